//! The counter's camera through `nokhwa` (V4L2 on Linux, Media Foundation on
//! Windows, AVFoundation on macOS), as a [`FrameSource`]. Built only with the
//! `camera` feature, so tests and the sync server never link a camera stack.

use nokhwa::pixel_format::LumaFormat;
use nokhwa::utils::{
    CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType, Resolution,
};
use nokhwa::Camera;

use super::frame::{Frame, FrameError, FrameSource};

/// A camera asked for 1280×720 at 30 fps (MJPEG, which every USB camera and tablet
/// offers at that size); it may settle on the closest format it has.
pub struct CameraSource {
    index: u32,
    camera: Option<Camera>,
}

impl CameraSource {
    /// The camera at `index` (0 is the first the system lists). Nothing is opened yet.
    pub fn new(index: u32) -> Self {
        CameraSource {
            index,
            camera: None,
        }
    }
}

impl FrameSource for CameraSource {
    fn open_stream(&mut self) -> Result<(), FrameError> {
        let wanted = CameraFormat::new(Resolution::new(1280, 720), FrameFormat::MJPEG, 30);
        let format = RequestedFormat::new::<LumaFormat>(RequestedFormatType::Closest(wanted));
        let mut camera =
            Camera::new(CameraIndex::Index(self.index), format).map_err(camera_error)?;
        camera.open_stream().map_err(camera_error)?;
        self.camera = Some(camera);
        Ok(())
    }

    fn frame(&mut self) -> Result<Frame, FrameError> {
        let camera = self.camera.as_mut().ok_or(FrameError::NotOpen)?;
        let buffer = camera.frame().map_err(camera_error)?;
        // A corrupt MJPEG frame (a loose cable, a USB hiccup) is an error, not a panic.
        let image = buffer.decode_image::<LumaFormat>().map_err(camera_error)?;
        let (width, height) = (image.width(), image.height());
        Frame::from_luma(width, height, image.into_raw())
    }
}

impl Drop for CameraSource {
    fn drop(&mut self) {
        if let Some(camera) = self.camera.as_mut() {
            // Releasing the device on the way out; nothing useful to do if it fails.
            let _ = camera.stop_stream();
        }
    }
}

fn camera_error(e: nokhwa::NokhwaError) -> FrameError {
    FrameError::Camera(e.to_string())
}
