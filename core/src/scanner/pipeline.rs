//! The decode pipeline: one frame, several preprocessing variants tried cheapest first,
//! stopping at the first text the caller accepts (for the counter: a valid Linli
//! pickup payload), under a per-frame time budget.
//!
//! The order of [`Stage`]s comes from measurement on the ZXing photo set and on
//! generated label photos (docs/BENCHMARKS.md `## qr`, docs/decisions/0003-qr-decoder.md):
//! rxing settles most frames in about a millisecond, rqrr stages with their
//! preprocessing rescue the rest at a higher price, the costliest last.

use std::time::{Duration, Instant};

use image::GrayImage;

use super::engines;
use super::frame::Frame;
use super::guard::DecoderPanicked;
use super::preprocess;
use super::warp;
use crate::pickup_qr::{PickupQr, PickupQrError};

/// One way of looking at a frame: a preprocessing variant and the decoder run on it.
///
/// Rotation needs no stage of its own: both decoders locate the three finder patterns
/// at any angle and sample through a perspective map (generated labels at 0–360° and
/// tilted decode alike; a "turned 45°" stage was measured and found nothing the others
/// missed, nor did a contrast stretch, 2×2 averaging or a lighting-flattening stage).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// rxing (ZXing's algorithms, hybrid local binarizer) on the frame as it is.
    Rxing,
    /// rqrr on the frame as it is, with rqrr's own row-wise threshold.
    Plain,
    /// rqrr after a local-mean threshold: shadows, gradients and glare.
    Adaptive,
    /// rqrr after a global (Otsu) threshold: evenly lit prints and phone screens.
    Otsu,
    /// rxing on the frame enlarged 2×: small or distant codes.
    RxingDouble,
    /// rqrr after an unsharp mask: out-of-focus and shaken photos.
    Sharpened,
    /// rqrr after a fine local-mean threshold (a window of a few modules): glare and
    /// shadow edges running across the code.
    AdaptiveFine,
    /// rqrr after a light blur and a local threshold: sensor noise on small modules,
    /// where single noisy pixels would flip modules.
    DenoisedAdaptive,
    /// The same on the frame enlarged 2×: small, noisy and unevenly lit at once.
    DoubleAdaptive,
    /// rqrr on the enlarged, sharpened frame: small codes that are also blurred.
    SharpenedDouble,
}

impl Stage {
    /// Cheapest per decoded photo first (measured, see docs/BENCHMARKS.md `## qr`).
    pub const ALL: [Stage; 10] = [
        Stage::Rxing,
        Stage::Plain,
        Stage::Adaptive,
        Stage::Otsu,
        Stage::RxingDouble,
        Stage::Sharpened,
        Stage::AdaptiveFine,
        Stage::DenoisedAdaptive,
        Stage::DoubleAdaptive,
        Stage::SharpenedDouble,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Rxing => "rxing",
            Stage::Plain => "rqrr plain",
            Stage::Adaptive => "rqrr adaptive",
            Stage::Otsu => "rqrr otsu",
            Stage::RxingDouble => "rxing double",
            Stage::Sharpened => "rqrr sharpened",
            Stage::AdaptiveFine => "rqrr adaptive fine",
            Stage::SharpenedDouble => "rqrr sharpened double",
            Stage::DenoisedAdaptive => "rqrr denoised adaptive",
            Stage::DoubleAdaptive => "rqrr double adaptive",
        }
    }

    /// Runs this stage on `img` (already fitted to the working size).
    pub fn run(self, img: &GrayImage) -> Result<Vec<String>, DecoderPanicked> {
        let short_side = img.width().min(img.height());
        match self {
            Stage::Rxing => engines::rxing(img),
            Stage::Plain => engines::rqrr_grayscale(img),
            Stage::Adaptive => {
                // A window a fifth of the short side spans many modules of any code
                // that fills a useful part of the frame.
                let radius = (short_side / 10).max(4);
                engines::rqrr_binary(&preprocess::adaptive_threshold(img, radius, 4))
            }
            Stage::Otsu => {
                engines::rqrr_binary(&preprocess::threshold(img, preprocess::otsu_level(img)))
            }
            Stage::RxingDouble => engines::rxing(&preprocess::upscale2(img)),
            Stage::Sharpened => engines::rqrr_grayscale(&preprocess::sharpen(img, 2.0, 1.5)),
            Stage::AdaptiveFine => {
                let radius = (short_side / 40).max(3);
                engines::rqrr_binary(&preprocess::adaptive_threshold(img, radius, 2))
            }
            Stage::DenoisedAdaptive => {
                let radius = (short_side / 20).max(3);
                engines::rqrr_binary(&preprocess::adaptive_threshold(
                    &warp::blur(img, 0.8),
                    radius,
                    2,
                ))
            }
            Stage::DoubleAdaptive => {
                // The enlarged frame's window covers the same share of the code.
                let big = preprocess::upscale2(&warp::blur(img, 0.7));
                let radius = (short_side / 10).max(3);
                engines::rqrr_binary(&preprocess::adaptive_threshold(&big, radius, 2))
            }
            Stage::SharpenedDouble => {
                engines::rqrr_grayscale(&preprocess::sharpen(&preprocess::upscale2(img), 3.0, 1.5))
            }
        }
    }
}

/// Tries [`Stage`]s in order within a time budget per frame.
#[derive(Clone, Debug)]
pub struct Decoder {
    pub stages: Vec<Stage>,
    /// No new stage starts once this much time has passed on a frame. A stage that has
    /// started runs to its end, so the budget bounds the work, not the last stage.
    pub budget: Duration,
    /// Frames larger than this (longer side, pixels) are block-averaged down first: a
    /// QR code never needs more, and the decoders' cost grows with the pixel count.
    pub max_side: u32,
}

/// A text the caller accepted and the stage that found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub text: String,
    pub stage: Stage,
}

/// What decoding one frame did.
#[derive(Clone, Debug, Default)]
pub struct DecodeReport {
    pub found: Option<Found>,
    /// Texts decoded but not accepted (a foreign QR), in the order first seen.
    pub refused: Vec<String>,
    pub stages_tried: u32,
    pub panics_caught: u32,
    /// The budget ran out before every stage was tried.
    pub out_of_time: bool,
    pub elapsed: Duration,
}

/// What the counter does with a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanOutcome {
    /// A valid Linli pickup QR: go to the verify screen.
    Pickup(PickupQr),
    /// A QR was read but it is not a usable Linli pickup QR; the error says why.
    Refused(PickupQrError),
    /// No QR code was read in this frame.
    NoCode,
}

impl Decoder {
    /// For photos and single frames: every stage, a generous budget.
    pub fn for_stills() -> Self {
        Decoder {
            stages: Stage::ALL.to_vec(),
            budget: Duration::from_millis(400),
            max_side: 1280,
        }
    }

    /// For a camera at the counter: the consumer holds the phone still for a second
    /// or more, so a hard frame may be skipped for the next one. A code held up to the
    /// camera fills a good part of the frame, so a 1280×720 frame is read at 640×360,
    /// and the budget keeps one frame within a 15 fps slot on one core.
    pub fn for_live() -> Self {
        Decoder {
            stages: vec![Stage::Rxing, Stage::Plain, Stage::Adaptive, Stage::Otsu],
            budget: Duration::from_millis(50),
            max_side: 640,
        }
    }

    /// Decodes `frame`, stopping at the first stage that yields a text `accept` takes.
    pub fn decode(&self, frame: &Frame, mut accept: impl FnMut(&str) -> bool) -> DecodeReport {
        let start = Instant::now();
        let mut report = DecodeReport::default();
        let factor = preprocess::factor_to_fit(&frame.image, self.max_side);
        let fitted;
        let img = if factor > 1 {
            fitted = preprocess::downscale(&frame.image, factor);
            &fitted
        } else {
            &frame.image
        };
        for &stage in &self.stages {
            if start.elapsed() >= self.budget {
                report.out_of_time = true;
                break;
            }
            report.stages_tried += 1;
            let Ok(texts) = stage.run(img) else {
                report.panics_caught += 1;
                continue;
            };
            for text in texts {
                if report.found.is_none() && accept(&text) {
                    report.found = Some(Found { text, stage });
                } else if !report.refused.contains(&text) {
                    report.refused.push(text);
                }
            }
            if report.found.is_some() {
                break;
            }
        }
        report.elapsed = start.elapsed();
        report
    }

    /// Decodes `frame` for the counter: a Linli pickup QR, a refusal in plain words, or
    /// nothing. A misread Linli code is reported before a foreign one, since it means
    /// "the right code, scan again".
    pub fn scan(&self, frame: &Frame) -> (ScanOutcome, DecodeReport) {
        let report = self.decode(frame, |text| PickupQr::parse(text).is_ok());
        let outcome = match &report.found {
            Some(found) => match PickupQr::parse(&found.text) {
                Ok(qr) => ScanOutcome::Pickup(qr),
                Err(e) => ScanOutcome::Refused(e),
            },
            None => {
                let mut errors: Vec<PickupQrError> = report
                    .refused
                    .iter()
                    .filter_map(|t| PickupQr::parse(t).err())
                    .collect();
                errors.sort_by_key(|e| matches!(e, PickupQrError::Foreign(_)));
                errors
                    .into_iter()
                    .next()
                    .map_or(ScanOutcome::NoCode, ScanOutcome::Refused)
            }
        };
        (outcome, report)
    }
}
