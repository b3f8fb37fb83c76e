//! The platform's own records as staff enter them, with field-level validation.

use linli_core::catalog::FieldError;
use linli_core::geo::LatLng;
use linli_core::money::Rate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRegion {
    pub name: String,
    /// IANA zone; Asia/Shanghai when absent.
    #[serde(default = "default_zone")]
    pub zone: String,
    /// Local HH:MM.
    #[serde(default = "default_cutoff")]
    pub cutoff: String,
}

fn default_zone() -> String {
    "Asia/Shanghai".into()
}

fn default_cutoff() -> String {
    "23:00".into()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRoute {
    pub region: String,
    pub name: String,
    pub driver_name: String,
    pub driver_phone: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PointStatus {
    Applied,
    Approved,
    Suspended,
}

impl PointStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PointStatus::Applied => "applied",
            PointStatus::Approved => "approved",
            PointStatus::Suspended => "suspended",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPoint {
    pub region: String,
    pub name: String,
    pub leader_name: String,
    pub leader_phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub address: String,
    pub lat: f64,
    pub lng: f64,
    /// The route and the stop's 1-based position on it.
    pub route: Option<String>,
    pub stop_seq: Option<u32>,
    pub opening_hours: String,
    /// Basis points.
    #[schema(value_type = Option<u32>)]
    pub commission_override: Option<Rate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSupplier {
    pub name: String,
    pub contact: String,
    pub phone: String,
}

pub(super) fn required(errs: &mut Vec<FieldError>, field: &str, v: &str, max: usize) {
    if v.trim().is_empty() {
        errs.push(FieldError::new(field, "must not be empty"));
    } else if v.chars().count() > max {
        errs.push(FieldError::new(field, format!("at most {max} characters")));
    }
}

/// A mainland mobile number: 11 digits starting with 1.
pub(super) fn mobile(errs: &mut Vec<FieldError>, field: &str, v: &str) {
    if v.len() != 11 || !v.starts_with('1') || !v.bytes().all(|b| b.is_ascii_digit()) {
        errs.push(FieldError::new(
            field,
            "must be an 11-digit mobile number starting with 1",
        ));
    }
}

fn done(errs: Vec<FieldError>) -> Result<(), Vec<FieldError>> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

impl NewRegion {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();
        required(&mut errs, "name", &self.name, 40);
        if let Err(e) = linli_core::business_day::RegionClock::parse(&self.zone, &self.cutoff) {
            let field = match e {
                linli_core::business_day::ClockError::UnknownZone(_) => "zone",
                _ => "cutoff",
            };
            errs.push(FieldError::new(field, e.to_string()));
        }
        done(errs)
    }
}

impl NewRoute {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();
        required(&mut errs, "region", &self.region, 64);
        required(&mut errs, "name", &self.name, 40);
        required(&mut errs, "driver_name", &self.driver_name, 20);
        mobile(&mut errs, "driver_phone", &self.driver_phone);
        done(errs)
    }
}

impl NewPoint {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();
        required(&mut errs, "region", &self.region, 64);
        required(&mut errs, "name", &self.name, 40);
        required(&mut errs, "leader_name", &self.leader_name, 20);
        mobile(&mut errs, "leader_phone", &self.leader_phone);
        required(&mut errs, "province", &self.province, 20);
        required(&mut errs, "city", &self.city, 20);
        required(&mut errs, "district", &self.district, 20);
        required(&mut errs, "address", &self.address, 100);
        required(&mut errs, "opening_hours", &self.opening_hours, 40);
        if let Err(e) = LatLng::new(self.lat, self.lng) {
            let field = match e {
                linli_core::geo::GeoError::BadLatitude => "lat",
                linli_core::geo::GeoError::BadLongitude => "lng",
            };
            errs.push(FieldError::new(field, e.to_string()));
        }
        match (&self.route, self.stop_seq) {
            (Some(_), None) => errs.push(FieldError::new(
                "stop_seq",
                "a point on a route needs its stop number",
            )),
            (None, Some(_)) => errs.push(FieldError::new("route", "a stop number needs a route")),
            (_, Some(0)) => errs.push(FieldError::new("stop_seq", "stops count from 1")),
            _ => {}
        }
        if let Some(r) = self.commission_override {
            if Rate::from_bp(r.bp()).is_err() {
                errs.push(FieldError::new(
                    "commission_override",
                    "must be 0–10000 basis points",
                ));
            }
        }
        done(errs)
    }
}

impl NewSupplier {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();
        required(&mut errs, "name", &self.name, 60);
        required(&mut errs, "contact", &self.contact, 20);
        mobile(&mut errs, "phone", &self.phone);
        done(errs)
    }
}
