//! Live mode: keep up with a camera without ever falling behind.
//!
//! Two threads. The capture thread reads frames as fast as the camera delivers them
//! and puts each in a one-frame mailbox, replacing (dropping) a frame the decoder has
//! not taken yet. The decode thread always takes the newest frame. So nothing queues:
//! when decoding is slower than the camera, frames are dropped, and the answer is at
//! most one frame plus one decode old — what the leader sees on screen.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use super::frame::{Frame, FrameError, FrameSource};
use super::pipeline::{DecodeReport, Decoder, ScanOutcome};

/// After this many failed reads in a row the camera is taken as gone.
pub const MAX_FAILED_READS: u32 = 30;

/// The result of one decoded frame, handed to the caller's callback.
#[derive(Clone, Debug)]
pub struct LiveResult {
    pub outcome: ScanOutcome,
    pub report: DecodeReport,
    /// From the frame's capture to the end of its decoding.
    pub latency: Duration,
}

/// Counters over a live session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveStats {
    pub frames_captured: u64,
    pub frames_decoded: u64,
    /// Frames replaced in the mailbox before the decoder took them.
    pub frames_dropped: u64,
    pub failed_reads: u64,
    pub panics_caught: u64,
    /// Why capture stopped, if it stopped on an error (not on `stop` or end of input).
    pub capture_error: Option<FrameError>,
}

#[derive(Default)]
struct Mailbox {
    frame: Option<Frame>,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    mailbox: Mutex<Mailbox>,
    posted: Condvar,
    stats: Mutex<LiveStats>,
    stop: AtomicBool,
}

impl Shared {
    // A panic while one of these locks is held cannot leave a half-written frame or
    // counter behind, so a poisoned lock is still safe to use.
    fn mailbox(&self) -> MutexGuard<'_, Mailbox> {
        self.mailbox.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stats(&self) -> MutexGuard<'_, LiveStats> {
        self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn close(&self) {
        self.mailbox().closed = true;
        self.posted.notify_all();
    }
}

pub struct LiveScanner {
    shared: Arc<Shared>,
    capture: Option<JoinHandle<()>>,
    decode: Option<JoinHandle<()>>,
}

impl LiveScanner {
    /// Starts capturing and decoding. `open_source` runs on the capture thread, so a
    /// camera handle that cannot move between threads never has to.
    pub fn start<S, F, C>(open_source: F, decoder: Decoder, mut on_result: C) -> Self
    where
        S: FrameSource,
        F: FnOnce() -> Result<S, FrameError> + Send + 'static,
        C: FnMut(LiveResult) + Send + 'static,
    {
        let shared = Arc::new(Shared::default());
        let capture = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                if let Err(e) = capture_loop(open_source, &shared) {
                    shared.stats().capture_error = Some(e);
                }
                shared.close();
            })
        };
        let decode = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                while let Some(frame) = next_frame(&shared) {
                    let (outcome, report) = decoder.scan(&frame);
                    let latency = frame.captured_at.elapsed();
                    {
                        let mut stats = shared.stats();
                        stats.frames_decoded += 1;
                        stats.panics_caught += u64::from(report.panics_caught);
                    }
                    on_result(LiveResult {
                        outcome,
                        report,
                        latency,
                    });
                }
            })
        };
        LiveScanner {
            shared,
            capture: Some(capture),
            decode: Some(decode),
        }
    }

    pub fn stats(&self) -> LiveStats {
        self.shared.stats().clone()
    }

    /// Waits until the source runs out of frames and the last frame is decoded.
    pub fn wait(mut self) -> LiveStats {
        self.join();
        self.stats()
    }

    /// Stops capturing, then lets the decoder finish the frames already captured (at
    /// most the one being decoded and the one waiting).
    pub fn stop(mut self) -> LiveStats {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.join();
        self.stats()
    }

    fn join(&mut self) {
        // A thread only ends by panicking in the caller's callback; the counters stay valid.
        if let Some(handle) = self.capture.take() {
            let _ = handle.join();
        }
        self.shared.close();
        if let Some(handle) = self.decode.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for LiveScanner {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.join();
    }
}

fn capture_loop<S, F>(open_source: F, shared: &Shared) -> Result<(), FrameError>
where
    S: FrameSource,
    F: FnOnce() -> Result<S, FrameError>,
{
    let mut source = open_source()?;
    source.open_stream()?;
    let mut failed_in_a_row = 0;
    while !shared.stop.load(Ordering::Relaxed) {
        match source.frame() {
            Ok(frame) => {
                failed_in_a_row = 0;
                let replaced = {
                    let mut mailbox = shared.mailbox();
                    mailbox.frame.replace(frame).is_some()
                };
                shared.posted.notify_one();
                let mut stats = shared.stats();
                stats.frames_captured += 1;
                stats.frames_dropped += u64::from(replaced);
            }
            Err(FrameError::Exhausted) => return Ok(()),
            Err(e) => {
                shared.stats().failed_reads += 1;
                failed_in_a_row += 1;
                if failed_in_a_row >= MAX_FAILED_READS {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

/// Blocks until a frame is posted; `None` once capture has ended and the box is empty.
fn next_frame(shared: &Shared) -> Option<Frame> {
    let mut mailbox = shared.mailbox();
    loop {
        if let Some(frame) = mailbox.frame.take() {
            return Some(frame);
        }
        if mailbox.closed {
            return None;
        }
        mailbox = shared
            .posted
            .wait(mailbox)
            .unwrap_or_else(|p| p.into_inner());
    }
}
