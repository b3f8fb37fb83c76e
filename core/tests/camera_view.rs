//! The live camera view with a folder of images replayed as the camera: previews
//! come, the pickup QR in a frame is found once and verifies like the typed code;
//! a missing camera or folder is refused in both languages.
#![cfg(feature = "scanner")]

use std::sync::mpsc;
use std::time::{Duration, Instant};

use linli_core::app::camera_view::{CameraChoice, CameraUpdate, CameraView, PREVIEW_WIDTH};
use linli_core::app::pickup_desk::{self, Verdict};
use linli_core::app::{delivery_check, demo_seed};
use linli_core::replica::Replica;

const DAY: &str = "2026-11-22";

/// Collects updates until `f` says stop or 15 s pass.
fn until(
    updates: &mpsc::Receiver<CameraUpdate>,
    mut f: impl FnMut(&CameraUpdate) -> bool,
) -> Vec<CameraUpdate> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match updates.recv_timeout(left) {
            Ok(u) => {
                let done = f(&u);
                seen.push(u);
                if done {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    seen
}

#[test]
fn a_replayed_pickup_qr_is_found_once_and_verifies_like_the_typed_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Replica::open(&dir.path().join("replica.sqlite3")).unwrap();
    let seed = dir.path().join("seed");
    let seeded = demo_seed::seed(&mut r, DAY, 3, &seed).unwrap();
    delivery_check::accept(&mut r, DAY).unwrap();
    // The camera sees a blank counter first, then order 1's label.
    let camera = dir.path().join("camera");
    std::fs::create_dir(&camera).unwrap();
    image::GrayImage::from_pixel(640, 360, image::Luma([200]))
        .save(camera.join("a-blank.png"))
        .unwrap();
    std::fs::copy(seed.join("qr-1.png"), camera.join("b-label.png")).unwrap();

    let (tx, updates) = mpsc::channel();
    let view = CameraView::start(&CameraChoice::Replay(camera), move |u| {
        let _ = tx.send(u);
    })
    .unwrap();
    let seen = until(&updates, |u| matches!(u, CameraUpdate::Found { .. }));
    // The label stays in view: previews go on, the same code is not sent again.
    std::thread::sleep(Duration::from_millis(600));
    view.stop();
    let later: Vec<CameraUpdate> = updates.try_iter().collect();

    let preview = seen.iter().find_map(|u| match u {
        CameraUpdate::Preview { image, width, .. } => Some((image, *width)),
        _ => None,
    });
    let (image, width) = preview.expect("a preview before the code was read");
    assert!(image.starts_with("data:image/jpeg;base64,"), "{image:.40}");
    assert!(width <= PREVIEW_WIDTH);
    let Some(CameraUpdate::Found { payload }) = seen.last() else {
        panic!("no pickup QR found: {seen:?}");
    };
    assert_eq!(payload, &seeded.orders[0].qr);
    assert!(
        !later
            .iter()
            .any(|u| matches!(u, CameraUpdate::Found { .. })),
        "a code held still is found once"
    );

    // The same verify as the typed code, the same card.
    let (Verdict::Ready { card: scanned }, Verdict::Ready { card: typed }) = (
        pickup_desk::verify(&r, payload),
        pickup_desk::verify(&r, &seeded.orders[0].code),
    ) else {
        panic!("order 1 is ready for pickup");
    };
    assert_eq!(scanned, typed);
}

#[test]
fn a_missing_camera_or_folder_is_refused_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let refused = |choice: CameraChoice| match CameraView::start(&choice, |_| {}) {
        Ok(_) => panic!("{choice:?} started"),
        Err(e) => e,
    };
    let missing = refused(CameraChoice::Replay(dir.path().join("nowhere")));
    assert_eq!(missing.reason, "no_camera");
    assert!(missing.zh.contains("无法打开") && missing.en.contains("cannot be opened"));
    let empty = refused(CameraChoice::Replay(dir.path().to_path_buf()));
    assert!(empty.zh.contains("没有") && empty.en.contains("no PNG or JPEG"));

    let device = refused(CameraChoice::Device(57));
    assert_eq!(device.reason, "no_camera");
    assert!(!device.zh.is_empty() && !device.en.is_empty());
    assert!(device.zh.contains("扫码枪") && device.en.contains("scanner"));
}

#[test]
fn a_folder_with_a_broken_image_is_refused_not_replayed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("frame.png"), b"not a png").unwrap();
    let e = match CameraView::start(&CameraChoice::Replay(dir.path().into()), |_| {}) {
        Ok(_) => panic!("a broken image started the view"),
        Err(e) => e,
    };
    assert_eq!(e.reason, "camera");
    assert!(e.en.contains("frame.png"), "{}", e.en);
}
