//! Nearby pickup points: great-circle distance and the "within N km, nearest first"
//! list a consumer picks their point from.

use serde::{Deserialize, Serialize};

/// A WGS-84 position in degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatLng {
    pub lat: f64,
    pub lng: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GeoError {
    #[error("latitude must be between -90 and 90")]
    BadLatitude,
    #[error("longitude must be between -180 and 180")]
    BadLongitude,
}

impl LatLng {
    pub fn new(lat: f64, lng: f64) -> Result<Self, GeoError> {
        if !(-90.0..=90.0).contains(&lat) {
            return Err(GeoError::BadLatitude);
        }
        if !(-180.0..=180.0).contains(&lng) {
            return Err(GeoError::BadLongitude);
        }
        Ok(LatLng { lat, lng })
    }

    /// Haversine distance in metres (mean Earth radius): within a few metres at the
    /// scale of a neighbourhood, which is all a 2 km radius needs.
    pub fn distance_m(self, other: LatLng) -> f64 {
        const R: f64 = 6_371_008.8;
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lng - self.lng).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * R * a.sqrt().asin()
    }
}

/// The items within `radius_m` of `from`, nearest first, with their distance.
pub fn nearby<T>(
    from: LatLng,
    radius_m: f64,
    items: impl IntoIterator<Item = (T, LatLng)>,
) -> Vec<(T, f64)> {
    let mut within: Vec<(T, f64)> = items
        .into_iter()
        .map(|(t, at)| (t, from.distance_m(at)))
        .filter(|(_, d)| *d <= radius_m)
        .collect();
    within.sort_by(|a, b| a.1.total_cmp(&b.1));
    within
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_right_at_city_scale() {
        // Changsha: Wuyi Square to the railway station is about 2.8 km.
        let square = LatLng::new(28.1960, 112.9770).unwrap();
        let station = LatLng::new(28.1940, 113.0060).unwrap();
        let d = square.distance_m(station);
        assert!((2_700.0..2_950.0).contains(&d), "{d}");
        assert_eq!(square.distance_m(square), 0.0);
    }

    #[test]
    fn nearby_keeps_the_radius_and_sorts_nearest_first() {
        let me = LatLng::new(28.2, 113.0).unwrap();
        let pts = vec![
            ("far", LatLng::new(28.25, 113.0).unwrap()),
            ("near", LatLng::new(28.201, 113.0).unwrap()),
            ("mid", LatLng::new(28.21, 113.0).unwrap()),
        ];
        let got: Vec<&str> = nearby(me, 2_000.0, pts)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(got, vec!["near", "mid"]);
    }

    #[test]
    fn bad_coordinates_are_refused() {
        assert_eq!(LatLng::new(91.0, 0.0), Err(GeoError::BadLatitude));
        assert_eq!(LatLng::new(0.0, -181.0), Err(GeoError::BadLongitude));
        assert!(LatLng::new(f64::NAN, 0.0).is_err());
    }
}
