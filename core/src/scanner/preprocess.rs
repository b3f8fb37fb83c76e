//! Cheap image transforms that turn a hard photo into one a QR decoder can read:
//! scaling, sharpening, and global and local ways to separate dark modules from paper.
//! All work on 8-bit grayscale and allocate one output image.

use image::GrayImage;

/// Shrinks by an integer `factor`, averaging each `factor`×`factor` block. Averaging
/// (not sampling) is the point: it suppresses sensor noise and JPEG blocking, and a
/// code that fills a 3-megapixel photo still has modules several pixels wide.
pub fn downscale(img: &GrayImage, factor: u32) -> GrayImage {
    if factor <= 1 {
        return img.clone();
    }
    let (w, h) = (img.width() / factor, img.height() / factor);
    let (w, h) = (w.max(1), h.max(1));
    let area = factor * factor;
    GrayImage::from_fn(w, h, |x, y| {
        let mut sum = 0u32;
        for dy in 0..factor {
            for dx in 0..factor {
                let sx = (x * factor + dx).min(img.width() - 1);
                let sy = (y * factor + dy).min(img.height() - 1);
                sum += u32::from(img.get_pixel(sx, sy).0[0]);
            }
        }
        image::Luma([(sum / area) as u8])
    })
}

/// The integer factor that brings the longer side to at most `max_side`.
pub fn factor_to_fit(img: &GrayImage, max_side: u32) -> u32 {
    let long = img.width().max(img.height());
    long.div_ceil(max_side.max(1)).max(1)
}

/// Doubles the size with bilinear interpolation: small or distant codes get modules
/// wide enough for the finder-pattern scan, with edges that stay where they were.
/// (Each new pixel is the mean of its two or four nearest originals: integer work only.)
pub fn upscale2(img: &GrayImage) -> GrayImage {
    let (w, h) = (img.width(), img.height());
    let at = |x: u32, y: u32| u32::from(img.get_pixel(x.min(w - 1), y.min(h - 1)).0[0]);
    GrayImage::from_fn(w * 2, h * 2, |x, y| {
        let (sx, sy) = (x / 2, y / 2);
        let v = match (x % 2, y % 2) {
            (0, 0) => at(sx, sy),
            (1, 0) => (at(sx, sy) + at(sx + 1, sy)).div_ceil(2),
            (0, _) => (at(sx, sy) + at(sx, sy + 1)).div_ceil(2),
            _ => (at(sx, sy) + at(sx + 1, sy) + at(sx, sy + 1) + at(sx + 1, sy + 1) + 2) / 4,
        };
        image::Luma([v as u8])
    })
}

/// Unsharp mask: adds back `amount` times the detail a Gaussian of `sigma` removes,
/// which restores module edges that defocus or motion smeared.
pub fn sharpen(img: &GrayImage, sigma: f32, amount: f32) -> GrayImage {
    let blurred = image::imageops::blur(img, sigma);
    let mut out = img.clone();
    for (p, b) in out.pixels_mut().zip(blurred.pixels()) {
        let (v, bv) = (f32::from(p.0[0]), f32::from(b.0[0]));
        p.0[0] = (v + amount * (v - bv)).round().clamp(0.0, 255.0) as u8;
    }
    out
}

/// One global threshold by Otsu's method: best for evenly lit prints and screens.
pub fn otsu_level(img: &GrayImage) -> u8 {
    let hist = histogram(img);
    let total: f64 = hist.iter().map(|&c| c as f64).sum();
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut w_b, mut sum_b, mut best, mut level) = (0.0, 0.0, -1.0, 127u8);
    for (t, &count) in hist.iter().enumerate() {
        w_b += count as f64;
        if w_b == 0.0 {
            continue;
        }
        let w_f = total - w_b;
        if w_f == 0.0 {
            break;
        }
        sum_b += t as f64 * count as f64;
        let (m_b, m_f) = (sum_b / w_b, (sum_all - sum_b) / w_f);
        let between = w_b * w_f * (m_b - m_f) * (m_b - m_f);
        if between > best {
            best = between;
            level = t as u8;
        }
    }
    level
}

/// Black (0) where the pixel is at or below `level`, white (255) elsewhere.
pub fn threshold(img: &GrayImage, level: u8) -> GrayImage {
    let mut out = img.clone();
    for p in out.pixels_mut() {
        p.0[0] = if p.0[0] <= level { 0 } else { 255 };
    }
    out
}

/// Local-mean threshold over a `(2r+1)`² window: a pixel is dark if it is `bias` below
/// its neighbourhood. Handles a shadow across half the code or a glare spot that no
/// single global level can.
pub fn adaptive_threshold(img: &GrayImage, radius: u32, bias: u8) -> GrayImage {
    let means = LocalMeans::new(img);
    GrayImage::from_fn(img.width(), img.height(), |x, y| {
        let v = u32::from(img.get_pixel(x, y).0[0]);
        image::Luma([if v + u32::from(bias) <= means.mean(x, y, radius) {
            0
        } else {
            255
        }])
    })
}

/// An integral image, so the mean of any window costs four lookups.
struct LocalMeans {
    sums: Vec<u64>,
    width: usize,
    height: usize,
}

impl LocalMeans {
    fn new(img: &GrayImage) -> Self {
        let (width, height) = (img.width() as usize, img.height() as usize);
        let stride = width + 1;
        let mut sums = vec![0u64; stride * (height + 1)];
        for y in 0..height {
            let mut row = 0u64;
            for x in 0..width {
                row += u64::from(img.get_pixel(x as u32, y as u32).0[0]);
                sums[(y + 1) * stride + x + 1] = sums[y * stride + x + 1] + row;
            }
        }
        LocalMeans {
            sums,
            width,
            height,
        }
    }

    fn mean(&self, x: u32, y: u32, radius: u32) -> u32 {
        let (x, y, r) = (x as usize, y as usize, radius as usize);
        let stride = self.width + 1;
        let (x0, y0) = (x.saturating_sub(r), y.saturating_sub(r));
        let (x1, y1) = ((x + r + 1).min(self.width), (y + r + 1).min(self.height));
        let sum = self.sums[y1 * stride + x1] + self.sums[y0 * stride + x0]
            - self.sums[y0 * stride + x1]
            - self.sums[y1 * stride + x0];
        (sum / ((x1 - x0) * (y1 - y0)).max(1) as u64) as u32
    }
}

fn histogram(img: &GrayImage) -> [u64; 256] {
    let mut hist = [0u64; 256];
    for p in img.pixels() {
        hist[p.0[0] as usize] += 1;
    }
    hist
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_tone() -> GrayImage {
        GrayImage::from_fn(8, 8, |x, _| image::Luma([if x < 4 { 60 } else { 180 }]))
    }

    #[test]
    fn otsu_splits_two_tones() {
        let level = otsu_level(&two_tone());
        assert!((60..180).contains(&level), "{level}");
        let bin = threshold(&two_tone(), level);
        assert_eq!(bin.get_pixel(0, 0).0[0], 0);
        assert_eq!(bin.get_pixel(7, 0).0[0], 255);
    }

    #[test]
    fn downscale_averages_blocks_and_never_reaches_zero_size() {
        let out = downscale(&two_tone(), 4);
        assert_eq!((out.width(), out.height()), (2, 2));
        assert_eq!(out.get_pixel(0, 0).0[0], 60);
        assert_eq!(downscale(&two_tone(), 100).dimensions(), (1, 1));
        assert_eq!(factor_to_fit(&two_tone(), 3), 3);
    }

    #[test]
    fn adaptive_threshold_marks_the_dark_side_of_an_edge() {
        let out = adaptive_threshold(&two_tone(), 2, 5);
        assert_eq!(out.get_pixel(3, 3).0[0], 0);
        assert_eq!(out.get_pixel(4, 3).0[0], 255);
    }
}
