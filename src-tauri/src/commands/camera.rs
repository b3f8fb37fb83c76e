//! The Pickup screen's live camera view: `camera_open` starts the chosen camera
//! (`linli_core::app::camera_view`) and emits each update to the window as the
//! `camera-view` event (previews, a refused QR, the pickup QR's payload, a failure);
//! `camera_close` releases it. The payload goes through `verify_code` like a typed code.
//!
//! The camera is Settings' camera index; `LINLI_CAMERA_REPLAY=DIR` (read at start-up)
//! makes a folder of images, replayed in name order, the first camera (index 0):
//! how the E2E test and a machine without a camera show the live view.

use linli_core::app::camera_view::{CameraChoice, CameraView};
use linli_core::app::AppError;
use tauri::{AppHandle, Emitter, Runtime, State};

use crate::counter::Counter;

/// The event's name, as the UI listens for it.
pub const EVENT: &str = "camera-view";

/// Opens the live view (closing one left open); a missing camera is refused here.
#[tauri::command]
pub async fn camera_open<R: Runtime>(
    app: AppHandle<R>,
    counter: State<'_, Counter>,
) -> Result<(), AppError> {
    close(&counter)?;
    let index = counter.settings()?.camera;
    let choice = match (counter.camera_replay.get(), index) {
        (Some(dir), 0) => CameraChoice::Replay(dir.clone()),
        _ => CameraChoice::Device(index),
    };
    let view = CameraView::start(&choice, move |update| {
        // A window that is closing cannot take it; the view is closed with it.
        let _ = app.emit(EVENT, update);
    })?;
    *counter.camera()? = Some(view);
    Ok(())
}

#[tauri::command]
pub async fn camera_close(counter: State<'_, Counter>) -> Result<(), AppError> {
    close(&counter)
}

fn close(counter: &Counter) -> Result<(), AppError> {
    let open = counter.camera()?.take();
    if let Some(view) = open {
        view.stop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use serde_json::{json, Value};
    use tauri::{Listener, Manager};

    use crate::commands::test_support::{counter, MockCounter};
    use crate::counter::Counter;

    use super::EVENT;

    /// A camera stand-in folder holding order 1's label; returns the app with it.
    fn with_replay(c: MockCounter) -> MockCounter {
        let dir = c.dir.path().join("camera");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(
            c.dir.path().join("seed").join("qr-1.png"),
            dir.join("qr-1.png"),
        )
        .unwrap();
        // As main reads LINLI_CAMERA_REPLAY at start-up.
        c.app().state::<Counter>().inner().set_camera_replay(dir);
        c
    }

    #[test]
    fn the_live_view_reads_a_pickup_qr_and_it_verifies_like_a_typed_code() {
        let c = with_replay(counter(3));
        c.ok("accept_delivery", json!({ "day": "2026-11-22" }));
        let (tx, events) = mpsc::channel();
        c.app().listen(EVENT, move |e| {
            let _ = tx.send(serde_json::from_str::<Value>(e.payload()).expect("json"));
        });
        c.ok("camera_open", json!({}));
        let deadline = Instant::now() + Duration::from_secs(15);
        let (mut previews, mut found) = (0, None);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Ok(update) = events.recv_timeout(left) else {
                break;
            };
            match update["kind"].as_str() {
                Some("preview") => previews += 1,
                Some("found") => {
                    found = update["payload"].as_str().map(str::to_owned);
                    break;
                }
                _ => panic!("unexpected update {update}"),
            }
        }
        c.ok("camera_close", json!({}));
        let payload = found.expect("the replayed label was read");
        assert!(previews > 0, "previews came before the code");
        assert_eq!(payload, c.seeded.orders[0].qr);
        let scanned = c.ok("verify_code", json!({ "input": payload }));
        let typed = c.ok("verify_code", json!({ "input": c.code(0) }));
        assert_eq!(scanned["kind"], "ready", "{scanned}");
        assert_eq!(scanned, typed);
    }

    #[test]
    fn a_camera_that_is_not_there_is_refused_plainly_and_the_desk_still_works() {
        let c = with_replay(counter(3));
        let mut settings = c.ok("get_settings", json!({}));
        settings["camera"] = json!(5);
        c.ok("save_settings", json!({ "settings": settings }));
        let refused = c.call("camera_open", json!({})).unwrap_err();
        assert_eq!(refused["reason"], "no_camera", "{refused}");
        assert!(!refused["zh"].as_str().unwrap_or_default().is_empty());
        assert!(refused["en"]
            .as_str()
            .unwrap_or_default()
            .contains("scanner"));
        c.ok("camera_close", json!({}));
        c.ok("accept_delivery", json!({ "day": "2026-11-22" }));
        let typed = c.ok("verify_code", json!({ "input": c.code(0) }));
        assert_eq!(typed["kind"], "ready");
    }
}
