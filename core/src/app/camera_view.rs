//! The live camera view at the pickup desk: the chosen camera (or its stand-in, a
//! folder of images replayed as one) through `scanner::live`, whose capture thread
//! keeps only the newest frame for the decode thread. The view gets a small grey
//! preview a few times a second, a QR that is not a pickup code in words, and the
//! first Linli pickup QR's payload, which the app verifies exactly like a typed code.
//! A camera that is missing or fails says so in both languages; the typed code and
//! the handheld scanner keep working whatever the camera does.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use image::codecs::jpeg::JpegEncoder;
use serde::Serialize;

use super::AppError;
use crate::scanner::live::{LiveResult, MAX_FAILED_READS};
use crate::scanner::replay::ReplayFrames;
use crate::scanner::still::load_frame;
use crate::scanner::{Decoder, Frame, FrameError, FrameSource, LiveScanner, ScanOutcome};

/// Previews are at most this wide, and at most one per `PREVIEW_EVERY`.
pub const PREVIEW_WIDTH: u32 = 320;
pub const PREVIEW_EVERY: Duration = Duration::from_millis(200);
/// A replayed folder plays at a webcam's modest pace, looping.
pub const REPLAY_FPS: f64 = 10.0;

/// Which camera the counter uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CameraChoice {
    /// The system's camera at this index (0 is the first).
    Device(u32),
    /// The images in this folder, replayed in name order as a camera.
    Replay(PathBuf),
}

/// What the live view hears, in order of arrival.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum CameraUpdate {
    /// The latest frame, small and grey (`data:image/jpeg;base64,…`).
    Preview {
        image: String,
        width: u32,
        height: u32,
    },
    /// A Linli pickup QR: verify this payload like a typed code. Sent when the code
    /// differs from the last one found, so a code held still is verified once.
    Found { payload: String },
    /// A QR that is not a usable pickup code (a payment code, a bag label): scanning goes on.
    Refused { error: AppError },
    /// The camera is missing or failed; the view has stopped reading.
    Failed { error: AppError },
}

type Updates = Arc<dyn Fn(CameraUpdate) + Send + Sync>;

/// A running live view; stopping (or dropping) it releases the camera.
pub struct CameraView {
    scanner: LiveScanner,
}

impl CameraView {
    /// Checks the choice (a missing camera or folder is refused at once), then starts
    /// capturing and decoding; `updates` is called from the view's own threads.
    pub fn start(
        choice: &CameraChoice,
        updates: impl Fn(CameraUpdate) + Send + Sync + 'static,
    ) -> Result<CameraView, AppError> {
        let prepared = Prepared::check(choice)?;
        let updates: Updates = Arc::new(updates);
        let last_found = Mutex::new(String::new());
        let last_refusal = Mutex::new(String::new());
        let tap = Arc::clone(&updates);
        // A camera handle may not move between threads: it is made on the capture thread.
        let open = move || Ok(Previewing::new(prepared.camera(), tap));
        let on_result = move |r: LiveResult| match r.outcome {
            ScanOutcome::Pickup(qr) => {
                let payload = qr.encode();
                let mut last = last_found.lock().unwrap_or_else(|p| p.into_inner());
                if *last != payload {
                    last.clone_from(&payload);
                    updates(CameraUpdate::Found { payload });
                }
            }
            ScanOutcome::Refused(e) => {
                let error = AppError::from(e);
                let mut last = last_refusal.lock().unwrap_or_else(|p| p.into_inner());
                // The same refusal frame after frame is said once.
                if *last != error.zh {
                    last.clone_from(&error.zh);
                    updates(CameraUpdate::Refused { error });
                }
            }
            ScanOutcome::NoCode => {}
        };
        Ok(CameraView {
            scanner: LiveScanner::start(open, Decoder::for_live(), on_result),
        })
    }

    /// Stops reading and releases the camera (waits at most one frame and one decode).
    pub fn stop(self) {
        let _ = self.scanner.stop();
    }
}

pub fn no_camera(index: u32) -> AppError {
    AppError::new(
        "no_camera",
        format!("找不到摄像头 {index}（设置中选的摄像头）。请检查连接或在设置中改选；也可以用扫码枪或直接输入7位提货码。"),
        format!("Camera {index} (the one chosen in Settings) was not found. Check it is plugged in or choose another in Settings; the handheld scanner and the typed 7-digit code still work."),
    )
}

fn replay_error(dir: &Path, zh: &str, en: &str) -> AppError {
    AppError::new(
        "no_camera",
        format!("摄像头替身文件夹 {} {zh}；可以用扫码枪或直接输入7位提货码。", dir.display()),
        format!("The camera stand-in folder {} {en}; the handheld scanner and the typed 7-digit code still work.", dir.display()),
    )
}

/// The images of `dir` in name order, replayed as a camera, looping.
pub fn replay_folder(dir: &Path) -> Result<ReplayFrames, AppError> {
    let listing = std::fs::read_dir(dir).map_err(|e| {
        replay_error(
            dir,
            &format!("无法打开（{e}）"),
            &format!("cannot be opened ({e})"),
        )
    })?;
    let mut paths: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| ["png", "jpg", "jpeg"].contains(&x.to_ascii_lowercase().as_str()))
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(replay_error(
            dir,
            "里没有 PNG 或 JPEG 图片",
            "holds no PNG or JPEG image",
        ));
    }
    let frames = paths
        .iter()
        .map(|p| load_frame(p))
        .collect::<Result<Vec<Frame>, FrameError>>()?;
    Ok(ReplayFrames::new(frames, REPLAY_FPS, usize::MAX))
}

/// A camera choice checked on the caller's thread, so a missing one is refused at once.
enum Prepared {
    Replay(ReplayFrames),
    #[cfg(feature = "camera")]
    Device(u32),
}

impl Prepared {
    fn check(choice: &CameraChoice) -> Result<Prepared, AppError> {
        match choice {
            CameraChoice::Replay(dir) => Ok(Prepared::Replay(replay_folder(dir)?)),
            CameraChoice::Device(index) => device(*index),
        }
    }

    fn camera(self) -> CounterCamera {
        match self {
            Prepared::Replay(r) => CounterCamera::Replay(r),
            #[cfg(feature = "camera")]
            Prepared::Device(index) => {
                CounterCamera::Device(crate::scanner::camera::CameraSource::new(index))
            }
        }
    }
}

/// The camera as the counter has it: a replayed folder, or (with the `camera`
/// feature) the system's camera.
enum CounterCamera {
    Replay(ReplayFrames),
    #[cfg(feature = "camera")]
    Device(crate::scanner::camera::CameraSource),
}

#[cfg(feature = "camera")]
fn device(index: u32) -> Result<Prepared, AppError> {
    // On Linux a camera is a V4L2 device node; without it there is nothing to open.
    if cfg!(target_os = "linux") && !Path::new(&format!("/dev/video{index}")).exists() {
        return Err(no_camera(index));
    }
    Ok(Prepared::Device(index))
}

#[cfg(not(feature = "camera"))]
fn device(_index: u32) -> Result<Prepared, AppError> {
    Err(AppError::new(
        "no_camera",
        "这个版本的应用不带摄像头支持。请用扫码枪或直接输入7位提货码。",
        "This build of the app has no camera support. Use the handheld scanner or type the 7-digit code.",
    ))
}

impl FrameSource for CounterCamera {
    fn open_stream(&mut self) -> Result<(), FrameError> {
        match self {
            CounterCamera::Replay(r) => r.open_stream(),
            #[cfg(feature = "camera")]
            CounterCamera::Device(c) => c.open_stream(),
        }
    }

    fn frame(&mut self) -> Result<Frame, FrameError> {
        match self {
            CounterCamera::Replay(r) => r.frame(),
            #[cfg(feature = "camera")]
            CounterCamera::Device(c) => c.frame(),
        }
    }
}

/// Passes frames through, sending a preview now and then and a failure once.
struct Previewing {
    source: CounterCamera,
    updates: Updates,
    last_preview: Option<Instant>,
    failed_in_a_row: u32,
}

impl Previewing {
    fn new(source: CounterCamera, updates: Updates) -> Self {
        Previewing {
            source,
            updates,
            last_preview: None,
            failed_in_a_row: 0,
        }
    }

    fn failed(&self, e: &FrameError) {
        (self.updates)(CameraUpdate::Failed {
            error: AppError::from(e.clone()),
        });
    }
}

impl FrameSource for Previewing {
    fn open_stream(&mut self) -> Result<(), FrameError> {
        let opened = self.source.open_stream();
        if let Err(e) = &opened {
            self.failed(e);
        }
        opened
    }

    fn frame(&mut self) -> Result<Frame, FrameError> {
        match self.source.frame() {
            Ok(frame) => {
                self.failed_in_a_row = 0;
                if self
                    .last_preview
                    .is_none_or(|t| t.elapsed() >= PREVIEW_EVERY)
                {
                    self.last_preview = Some(Instant::now());
                    if let Some(preview) = preview(&frame) {
                        (self.updates)(preview);
                    }
                }
                Ok(frame)
            }
            Err(FrameError::Exhausted) => Err(FrameError::Exhausted),
            Err(e) => {
                // The live scanner gives up after this many failed reads in a row.
                self.failed_in_a_row += 1;
                if self.failed_in_a_row == MAX_FAILED_READS {
                    self.failed(&e);
                }
                Err(e)
            }
        }
    }
}

/// The frame at most `PREVIEW_WIDTH` wide as a grey JPEG data URL.
fn preview(frame: &Frame) -> Option<CameraUpdate> {
    let (w, h) = (frame.width(), frame.height());
    let width = w.min(PREVIEW_WIDTH);
    let height = ((u64::from(h) * u64::from(width)) / u64::from(w.max(1))).max(1) as u32;
    let small = image::imageops::thumbnail(&frame.image, width, height);
    let mut jpeg = Vec::new();
    // A frame that cannot be encoded just shows no preview; decoding goes on.
    JpegEncoder::new_with_quality(Cursor::new(&mut jpeg), 70)
        .encode_image(&small)
        .ok()?;
    Some(CameraUpdate::Preview {
        image: format!(
            "data:image/jpeg;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&jpeg)
        ),
        width,
        height,
    })
}
