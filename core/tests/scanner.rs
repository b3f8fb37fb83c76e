//! The pickup QR scanner end to end (needs `--features scanner`): real photos from
//! ZXing's black-box sets, generated Linli label photos, foreign codes, hostile
//! frames and live mode. Nothing here passes or fails on time: the budgets are set
//! out of reach so a slow debug build decodes exactly what a release build does.

#![cfg(feature = "scanner")]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use image::GrayImage;
use linli_core::ids::PointId;
use linli_core::pickup_code::PickupCode;
use linli_core::pickup_qr::{ForeignQr, PickupQr, PickupQrError};
use linli_core::scanner::label::LabelFrames;
use linli_core::scanner::replay::ReplayFrames;
use linli_core::scanner::still::{load_frame, StillImages};
use linli_core::scanner::{Decoder, Frame, FrameError, FrameSource, LiveScanner, ScanOutcome};

/// No deadline: what is decoded must not depend on the machine's speed.
fn untimed() -> Decoder {
    Decoder {
        budget: Duration::from_secs(3600),
        ..Decoder::for_stills()
    }
}

fn dataset() -> PathBuf {
    let dir = std::env::var_os("LINLI_QR_DATASET")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets/zxing-qr")
        });
    assert!(
        dir.is_dir(),
        "QR photo set not found at {}: put shared/ beside the repo or set LINLI_QR_DATASET",
        dir.display()
    );
    dir
}

/// Every scored photo (`N.png` with `N.txt`) and its expected text.
fn scored_photos() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut sets: Vec<PathBuf> = std::fs::read_dir(dataset())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    sets.sort();
    for set in sets.into_iter().filter(|p| p.is_dir()) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(set)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for path in files {
            let is_image = matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("png" | "jpg")
            );
            if let (true, Ok(text)) = (
                is_image,
                std::fs::read_to_string(path.with_extension("txt")),
            ) {
                out.push((path, text));
            }
        }
    }
    out
}

fn qr_image(text: &str, module_px: u32) -> GrayImage {
    let code = qrcode::QrCode::new(text).unwrap();
    let modules = code.width() as u32;
    let colors = code.to_colors();
    let side = (modules + 8) * module_px;
    GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (
            (x / module_px).wrapping_sub(4),
            (y / module_px).wrapping_sub(4),
        );
        let dark = mx < modules
            && my < modules
            && colors[(my * modules + mx) as usize] == qrcode::Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    })
}

fn sample_qr() -> PickupQr {
    PickupQr::new(PointId::new(), PickupCode::parse("0042042").unwrap())
}

#[test]
fn real_photos_decode_above_the_floor_and_no_panic_escapes() {
    let photos = scored_photos();
    assert_eq!(photos.len(), 116, "the README scores 116 photos");
    let decoder = untimed();
    let (mut correct, mut panics) = (0, 0);
    for (path, expected) in &photos {
        let frame = load_frame(path).unwrap();
        let report = decoder.decode(&frame, |_| true);
        panics += report.panics_caught;
        correct += usize::from(report.found.is_some_and(|f| &f.text == expected));
    }
    println!("decoded {correct}/116 real photos, {panics} decoder panics caught");
    // ZXing's own threshold on these sets; zbar reads 97.
    assert!(correct >= 106, "decoded only {correct}/116");
}

#[test]
fn generated_label_photos_decode_to_their_payload() {
    let decoder = untimed();
    let mut source = LabelFrames::new(2024, 640, 480);
    source.open_stream().unwrap();
    for i in 0..60 {
        let shot = source.next_shot().unwrap();
        let (outcome, _) = decoder.scan(&shot.frame);
        assert_eq!(
            outcome,
            ScanOutcome::Pickup(shot.qr),
            "label #{i}: {:?}",
            shot.photo
        );
    }
}

#[test]
fn foreign_codes_are_refused_by_kind() {
    let decoder = untimed();
    for (text, kind) in [
        ("https://example.com/shop?id=42", ForeignQr::WebAddress),
        ("wxp://f2f0z8M2GpO7", ForeignQr::PaymentCode),
        ("WIFI:S:counter;T:WPA;P:secret;;", ForeignQr::Other),
    ] {
        let (outcome, _) = decoder.scan(&Frame::new(qr_image(text, 4)));
        assert_eq!(
            outcome,
            ScanOutcome::Refused(PickupQrError::Foreign(kind)),
            "{text}"
        );
    }
}

#[test]
fn a_linli_code_next_to_a_foreign_one_wins() {
    let qr = sample_qr();
    let ours = qr_image(&qr.encode(), 4);
    let theirs = qr_image("https://example.com/", 4);
    let mut both = GrayImage::from_pixel(
        ours.width() + theirs.width() + 40,
        ours.height().max(theirs.height()),
        image::Luma([255]),
    );
    image::imageops::replace(&mut both, &theirs, 0, 0);
    image::imageops::replace(&mut both, &ours, i64::from(theirs.width()) + 40, 0);
    let (outcome, _) = untimed().scan(&Frame::new(both));
    assert_eq!(outcome, ScanOutcome::Pickup(qr));
}

#[test]
fn hostile_frames_are_misses_not_crashes() {
    let decoder = untimed();
    let mut noise = GrayImage::new(320, 240);
    for (i, p) in noise.pixels_mut().enumerate() {
        p.0[0] = (i.wrapping_mul(2_654_435_761) >> 13) as u8;
    }
    let stripes = GrayImage::from_fn(320, 240, |x, _| {
        image::Luma([if (x / 3) % 2 == 0 { 0 } else { 255 }])
    });
    for img in [
        noise,
        stripes,
        GrayImage::new(1, 1),
        GrayImage::from_pixel(640, 480, image::Luma([0])),
        GrayImage::from_pixel(2, 900, image::Luma([255])),
        GrayImage::from_pixel(4000, 3000, image::Luma([128])),
    ] {
        let (outcome, _) = decoder.scan(&Frame::new(img));
        assert_eq!(outcome, ScanOutcome::NoCode);
    }
    assert!(matches!(
        Frame::from_luma(10, 10, vec![0; 99]),
        Err(FrameError::BadDimensions { .. })
    ));
    assert!(matches!(
        Frame::from_luma(0, 10, vec![]),
        Err(FrameError::BadDimensions { .. })
    ));
}

#[test]
fn still_images_behave_like_a_camera() {
    let photos = scored_photos();
    let mut source = StillImages::new(vec![photos[0].0.clone()]);
    assert_eq!(source.frame().unwrap_err(), FrameError::NotOpen);
    source.open_stream().unwrap();
    assert!(source.frame().is_ok());
    assert_eq!(source.frame().unwrap_err(), FrameError::Exhausted);

    let mut missing = StillImages::new(vec![PathBuf::from("/nonexistent/qr.png")]);
    assert!(matches!(
        missing.open_stream(),
        Err(FrameError::Image { .. })
    ));
    // A text file with an image's name is an error value, not a panic.
    let not_an_image = photos[0].0.with_extension("txt");
    assert!(matches!(
        load_frame(&not_an_image),
        Err(FrameError::Image { .. })
    ));
}

#[test]
fn live_mode_decodes_the_newest_frame_and_drops_stale_ones() {
    let qr = sample_qr();
    let frames = vec![
        Frame::new(qr_image(&qr.encode(), 6)),
        Frame::new(GrayImage::from_pixel(640, 480, image::Luma([90]))),
    ];
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    // A camera far faster than any decoder: most frames must be dropped, none queued.
    let scanner = LiveScanner::start(
        move || Ok(ReplayFrames::new(frames, 2_000.0, 400)),
        Decoder::for_live(),
        move |r| sink.lock().unwrap().push(r.outcome),
    );
    let stats = scanner.wait();
    assert_eq!(stats.frames_captured, 400);
    assert_eq!(
        stats.frames_captured,
        stats.frames_decoded + stats.frames_dropped
    );
    assert!(stats.frames_decoded >= 1);
    assert_eq!(stats.capture_error, None);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len() as u64, stats.frames_decoded);
    assert!(seen
        .iter()
        .all(|o| *o == ScanOutcome::Pickup(qr) || *o == ScanOutcome::NoCode));
}

#[test]
fn live_mode_stops_an_endless_camera_and_reports_a_dead_one() {
    struct Endless;
    impl FrameSource for Endless {
        fn open_stream(&mut self) -> Result<(), FrameError> {
            Ok(())
        }
        fn frame(&mut self) -> Result<Frame, FrameError> {
            std::thread::sleep(Duration::from_millis(2));
            Ok(Frame::new(GrayImage::from_pixel(
                64,
                48,
                image::Luma([200]),
            )))
        }
    }
    let scanner = LiveScanner::start(|| Ok(Endless), Decoder::for_live(), |_| {});
    std::thread::sleep(Duration::from_millis(50));
    let stats = scanner.stop();
    assert_eq!(stats.capture_error, None);

    struct Unplugged;
    impl FrameSource for Unplugged {
        fn open_stream(&mut self) -> Result<(), FrameError> {
            Ok(())
        }
        fn frame(&mut self) -> Result<Frame, FrameError> {
            Err(FrameError::Camera("device gone".into()))
        }
    }
    let stats = LiveScanner::start(|| Ok(Unplugged), Decoder::for_live(), |_| {}).wait();
    assert_eq!(
        stats.capture_error,
        Some(FrameError::Camera("device gone".into()))
    );
    assert_eq!(stats.frames_decoded, 0);
}
