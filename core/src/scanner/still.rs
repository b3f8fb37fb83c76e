//! Still images as a frame source: photos on disk, fed through the camera's path in
//! tests and benchmarks.

use std::path::{Path, PathBuf};

use image::ImageReader;

use super::frame::{Frame, FrameError, FrameSource};

/// Yields one frame per file, in order, then [`FrameError::Exhausted`].
pub struct StillImages {
    paths: Vec<PathBuf>,
    next: usize,
    open: bool,
}

impl StillImages {
    pub fn new(paths: Vec<PathBuf>) -> Self {
        StillImages {
            paths,
            next: 0,
            open: false,
        }
    }
}

impl FrameSource for StillImages {
    fn open_stream(&mut self) -> Result<(), FrameError> {
        if let Some(missing) = self.paths.iter().find(|p| !p.is_file()) {
            return Err(image_error(missing, "no such file"));
        }
        self.open = true;
        Ok(())
    }

    fn frame(&mut self) -> Result<Frame, FrameError> {
        if !self.open {
            return Err(FrameError::NotOpen);
        }
        let path = self.paths.get(self.next).ok_or(FrameError::Exhausted)?;
        self.next += 1;
        load_frame(path)
    }
}

/// Reads a PNG or JPEG (whatever its extension says) into a grayscale frame. The
/// decoder's default memory limits refuse absurd dimensions instead of allocating them.
pub fn load_frame(path: &Path) -> Result<Frame, FrameError> {
    let reader = ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| image_error(path, &e.to_string()))?;
    let image = reader
        .decode()
        .map_err(|e| image_error(path, &e.to_string()))?;
    Ok(Frame::new(image.to_luma8()))
}

fn image_error(path: &Path, reason: &str) -> FrameError {
    FrameError::Image {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}
