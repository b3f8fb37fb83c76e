//! The pickup QR scanner: frames in, a [`PickupQr`](crate::pickup_qr::PickupQr) or a
//! plain-words refusal out.
//!
//! - [`frame`]: the [`FrameSource`] trait and the grayscale [`Frame`] every source yields;
//!   sources are still images ([`still`]), generated label photos ([`label`]), a
//!   fixed-rate camera stand-in ([`replay`]) and, with the `camera` feature, the `nokhwa`
//!   camera (`camera`).
//! - [`pipeline`]: the [`Decoder`] that tries preprocessing variants ([`preprocess`],
//!   [`warp`]) cheapest first under a per-frame time budget, with two decoders ([`engines`]:
//!   `rxing` and `rqrr`) isolated by [`guard`] so a decoder panic is caught and counted,
//!   never propagated. Why two: docs/decisions/0003-qr-decoder.md.
//! - [`live`]: the [`LiveScanner`] that keeps up with a camera by always decoding the
//!   newest frame and dropping stale ones.

#[cfg(feature = "camera")]
pub mod camera;
pub mod engines;
pub mod frame;
pub mod guard;
pub mod label;
pub mod live;
pub mod pipeline;
pub mod preprocess;
pub mod replay;
pub mod still;
pub mod warp;

pub use frame::{Frame, FrameError, FrameSource};
pub use live::{LiveScanner, LiveStats};
pub use pipeline::{DecodeReport, Decoder, ScanOutcome};
