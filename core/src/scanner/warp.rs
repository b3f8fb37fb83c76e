//! Geometry and photo effects: a plane projective map (homography) with bilinear
//! resampling, plus blur, sensor noise and glare. The label generator uses them to
//! make photo-like frames.

use image::GrayImage;
use rand::Rng;

/// A 3×3 projective map, row-major, taking (x, y) to (x', y').
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Homography(pub [f64; 9]);

impl Homography {
    /// The map that takes the four `from` corners to the four `to` corners, or `None`
    /// when the corners are degenerate (three on a line).
    pub fn from_quads(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> Option<Self> {
        // Eight equations in the eight unknowns h0..h7 (h8 = 1).
        let mut m = [[0.0f64; 9]; 8];
        for (i, (&(x, y), &(u, v))) in from.iter().zip(to.iter()).enumerate() {
            m[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
            m[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
        }
        let h = solve8(m)?;
        Some(Homography([
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0,
        ]))
    }

    /// Rotation by `degrees` about (`cx`, `cy`).
    pub fn rotation(cx: f64, cy: f64, degrees: f64) -> Self {
        let (s, c) = degrees.to_radians().sin_cos();
        Homography([
            c,
            -s,
            cx - c * cx + s * cy,
            s,
            c,
            cy - s * cx - c * cy,
            0.0,
            0.0,
            1.0,
        ])
    }

    pub fn apply(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let h = &self.0;
        let w = h[6] * x + h[7] * y + h[8];
        if w.abs() < 1e-12 {
            return None;
        }
        Some((
            (h[0] * x + h[1] * y + h[2]) / w,
            (h[3] * x + h[4] * y + h[5]) / w,
        ))
    }
}

/// Gaussian elimination with partial pivoting on an 8×9 augmented matrix.
fn solve8(mut m: [[f64; 9]; 8]) -> Option<[f64; 8]> {
    for col in 0..8 {
        let pivot = (col..8).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[pivot][col].abs() < 1e-12 {
            return None;
        }
        m.swap(col, pivot);
        let pivot_row = m[col];
        for (_, row) in m.iter_mut().enumerate().filter(|(i, _)| *i != col) {
            let f = row[col] / pivot_row[col];
            for (v, p) in row.iter_mut().zip(pivot_row.iter()).skip(col) {
                *v -= f * p;
            }
        }
    }
    let mut x = [0.0; 8];
    for (i, xi) in x.iter_mut().enumerate() {
        *xi = m[i][8] / m[i][i];
    }
    Some(x)
}

/// Renders an `out_w`×`out_h` image whose pixel (x, y) is `src` at `out_to_src(x, y)`,
/// bilinearly interpolated; points outside `src` get `fill`.
pub fn warp(
    src: &GrayImage,
    out_w: u32,
    out_h: u32,
    out_to_src: &Homography,
    fill: u8,
) -> GrayImage {
    GrayImage::from_fn(out_w, out_h, |x, y| {
        let v = out_to_src
            .apply(f64::from(x) + 0.5, f64::from(y) + 0.5)
            .and_then(|(sx, sy)| sample(src, sx - 0.5, sy - 0.5))
            .unwrap_or(fill);
        image::Luma([v])
    })
}

fn sample(src: &GrayImage, x: f64, y: f64) -> Option<u8> {
    let (w, h) = (f64::from(src.width()), f64::from(src.height()));
    if !(x > -1.0 && y > -1.0 && x < w && y < h) {
        return None;
    }
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let px = |xx: f64, yy: f64| {
        let cx = xx.clamp(0.0, w - 1.0) as u32;
        let cy = yy.clamp(0.0, h - 1.0) as u32;
        f64::from(src.get_pixel(cx, cy).0[0])
    };
    let top = px(x0, y0) * (1.0 - fx) + px(x0 + 1.0, y0) * fx;
    let bottom = px(x0, y0 + 1.0) * (1.0 - fx) + px(x0 + 1.0, y0 + 1.0) * fx;
    Some((top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8)
}

/// Gaussian blur: an out-of-focus or shaken camera.
pub fn blur(img: &GrayImage, sigma: f32) -> GrayImage {
    if sigma <= 0.0 {
        return img.clone();
    }
    image::imageops::blur(img, sigma)
}

/// Adds Gaussian sensor noise of standard deviation `sigma` grey levels.
pub fn add_noise<R: Rng>(img: &mut GrayImage, sigma: f64, rng: &mut R) {
    for p in img.pixels_mut() {
        // Box–Muller: two uniforms make one standard normal.
        let (u1, u2): (f64, f64) = (rng.gen_range(f64::EPSILON..1.0), rng.gen());
        let n = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        p.0[0] = (f64::from(p.0[0]) + sigma * n).round().clamp(0.0, 255.0) as u8;
    }
}

/// Brightens a soft round spot, as a ceiling lamp reflected on a glossy label or screen.
pub fn add_glare(img: &mut GrayImage, cx: f64, cy: f64, radius: f64, strength: f64) {
    for (x, y, p) in img.enumerate_pixels_mut() {
        let d2 = (f64::from(x) - cx).powi(2) + (f64::from(y) - cy).powi(2);
        let gain = strength * (-d2 / (radius * radius)).exp();
        let v = f64::from(p.0[0]);
        p.0[0] = (v + (255.0 - v) * gain).round().clamp(0.0, 255.0) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_homography_maps_its_corners() {
        let from = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
        let to = [(5.0, 3.0), (30.0, 6.0), (28.0, 40.0), (2.0, 35.0)];
        let h = Homography::from_quads(from, to).unwrap();
        for (a, b) in from.iter().zip(to.iter()) {
            let (x, y) = h.apply(a.0, a.1).unwrap();
            assert!((x - b.0).abs() < 1e-6 && (y - b.1).abs() < 1e-6);
        }
        assert!(Homography::from_quads(from, [(0.0, 0.0); 4]).is_none());
    }
}
