//! The camera at the pickup desk: frames from any [`FrameSource`] (the camera, or
//! still images in tests) through the decoder until a Linli pickup QR is read. The
//! payload then goes through the same verify as a typed code.

use crate::pickup_qr::PickupQr;
use crate::scanner::{Decoder, FrameError, FrameSource, ScanOutcome};

use super::AppError;

/// Reads up to `max_frames` frames. Returns the QR payload, the plain reason a QR
/// was refused (a payment code, a damaged label), or "no code" after the last frame.
pub fn scan(source: &mut dyn FrameSource, max_frames: usize) -> Result<PickupQr, AppError> {
    source.open_stream()?;
    let decoder = Decoder::for_stills();
    let mut refused = None;
    for _ in 0..max_frames {
        let frame = match source.frame() {
            Ok(f) => f,
            Err(FrameError::Exhausted) => break,
            Err(e) => return Err(e.into()),
        };
        match decoder.scan(&frame).0 {
            ScanOutcome::Pickup(qr) => return Ok(qr),
            ScanOutcome::Refused(e) => refused = Some(e),
            ScanOutcome::NoCode => {}
        }
    }
    Err(match refused {
        Some(e) => e.into(),
        None => AppError::new(
            "no_code",
            "没有读到二维码，请把提货码对准摄像头，或直接输入7位提货码",
            "No QR code was read; hold the code to the camera or type the 7 digits",
        ),
    })
}
