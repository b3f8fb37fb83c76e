//! A camera stand-in: replays prepared frames at a fixed frame rate, stamping each
//! with the time it is "captured", so live mode is measured against a camera's pace
//! without a camera.

use std::time::{Duration, Instant};

use super::frame::{Frame, FrameError, FrameSource};

pub struct ReplayFrames {
    frames: Vec<Frame>,
    period: Duration,
    total: usize,
    served: usize,
    next_due: Option<Instant>,
}

impl ReplayFrames {
    /// Serves `total` frames, cycling through `frames`, `fps` per second.
    pub fn new(frames: Vec<Frame>, fps: f64, total: usize) -> Self {
        ReplayFrames {
            frames,
            period: Duration::from_secs_f64(1.0 / fps.max(0.001)),
            total,
            served: 0,
            next_due: None,
        }
    }
}

impl FrameSource for ReplayFrames {
    fn open_stream(&mut self) -> Result<(), FrameError> {
        if self.frames.is_empty() {
            return Err(FrameError::Exhausted);
        }
        self.next_due = Some(Instant::now());
        Ok(())
    }

    /// Blocks until the next frame is due, like a camera's read.
    fn frame(&mut self) -> Result<Frame, FrameError> {
        let due = self.next_due.ok_or(FrameError::NotOpen)?;
        if self.served >= self.total {
            return Err(FrameError::Exhausted);
        }
        let frame = &self.frames[self.served % self.frames.len()];
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        self.served += 1;
        self.next_due = Some(due + self.period);
        Ok(Frame::new(frame.image.clone()))
    }
}
