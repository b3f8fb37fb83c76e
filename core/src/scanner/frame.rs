//! Frames and where they come from. Every source hands the decoder the same thing: an
//! 8-bit grayscale picture stamped with its capture time, so tests feed still images or
//! generated labels through exactly the path the camera uses.

use std::time::Instant;

use image::GrayImage;

/// One grayscale picture. QR decoding needs luminance only, so colour is dropped at the
/// source and every later step touches a third of the bytes.
#[derive(Clone, Debug)]
pub struct Frame {
    pub image: GrayImage,
    /// When the picture was taken: live mode uses it to tell stale frames and latency.
    pub captured_at: Instant,
}

impl Frame {
    pub fn new(image: GrayImage) -> Self {
        Frame {
            image,
            captured_at: Instant::now(),
        }
    }

    /// A frame from raw luma bytes (row-major, one byte per pixel), as a camera hands it.
    pub fn from_luma(width: u32, height: u32, luma: Vec<u8>) -> Result<Self, FrameError> {
        if width == 0 || height == 0 {
            return Err(FrameError::BadDimensions {
                width,
                height,
                bytes: luma.len(),
            });
        }
        let bytes = luma.len();
        GrayImage::from_raw(width, height, luma)
            .map(Frame::new)
            .ok_or(FrameError::BadDimensions {
                width,
                height,
                bytes,
            })
    }

    pub fn width(&self) -> u32 {
        self.image.width()
    }

    pub fn height(&self) -> u32 {
        self.image.height()
    }
}

/// Anything that yields frames: a camera, a folder of photos, a generator. Like a
/// camera, a source must be opened before the first frame.
pub trait FrameSource {
    /// Starts the stream (opens the device, checks the files). Call once before `frame`.
    fn open_stream(&mut self) -> Result<(), FrameError>;
    /// The next frame. Blocks until one is available, as a camera does.
    fn frame(&mut self) -> Result<Frame, FrameError>;
}

/// Why a source gave no frame. A bad frame is an error value, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("the frame source was not opened (call open_stream first)")]
    NotOpen,
    #[error("the frame source has no more frames")]
    Exhausted,
    #[error("a frame of {width}×{height} cannot hold {bytes} bytes of grayscale")]
    BadDimensions {
        width: u32,
        height: u32,
        bytes: usize,
    },
    #[error("cannot read image {path}: {reason}")]
    Image { path: String, reason: String },
    #[error("camera: {0}")]
    Camera(String),
}
