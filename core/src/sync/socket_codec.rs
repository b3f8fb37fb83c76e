//! Every frame on a sync socket goes through one zstd stream per direction
//! (decision 0014).
//!
//! A counter back after a week receives each day as its own `Sync` frame, and the
//! ledger in pages. Compressed one by one, each frame starts with an empty history:
//! the order ids, product ids, field names and device ids the previous day already
//! carried are paid for again. One stream per direction keeps the history across
//! frames (a window of `WINDOW_LOG`), and each frame is flushed whole, so the
//! receiver decodes it the moment it arrives.
//!
//! A stream holds its window and zstd's buffers on each side. A server with
//! thousands of counters connected all day should not keep that for every idle
//! socket, so a sender that has been quiet for `IDLE_MS` ends its stream with a
//! one-byte `END` message, and both sides free it; the next frame opens a new one.
//!
//! ```text
//! message = 0x01 | zstd bytes, flushed   one frame (a new stream if none is open)
//!         | 0x02                         the stream ended; the next 0x01 opens one
//! ```
//!
//! The receiver refuses, before holding it all, a message that inflates past
//! `MAX_FRAME_BYTES` (a zip bomb), and a stream whose window is larger than
//! `WINDOW_LOG` (memory a peer could otherwise make us reserve).

use std::io::Write;
use std::time::{Duration, Instant};

use super::wire::{Frame, WireError, MAX_FRAME_BYTES};

const FRAME: u8 = 0x01;
const END: u8 = 0x02;
/// 512 KiB of history: a week's days of one point fit, measured in decision 0014.
pub const WINDOW_LOG: u32 = 19;
/// zstd's level 1: on the reconnect bench, flushed per frame, it gave fewer bytes
/// than levels 3 and 6 (1.17x against 1.28x and 1.19x of gzip'd JSON) for the least
/// time and memory (decision 0014).
const LEVEL: i32 = 1;
/// A sender quiet this long ends its stream.
pub const IDLE_MS: u64 = 2_000;
/// The largest socket message: a `MAX_FRAME_BYTES` frame that does not compress
/// (zstd's bound adds 1/256 and a few headers) and its tag.
pub const MAX_MESSAGE_BYTES: usize = MAX_FRAME_BYTES + (MAX_FRAME_BYTES >> 7) + 4096;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("the socket message is empty")]
    Empty,
    #[error("0x{0:02x} is not a socket message tag")]
    UnknownTag(u8),
    #[error("the stream-end message carries {0} bytes after its tag")]
    EndWithBytes(usize),
    #[error("the frame inflates to more than the {max} bytes a frame may hold")]
    TooLarge { max: usize },
    #[error("the frame does not decompress: {0}")]
    Corrupt(String),
    #[error("the frame could not be compressed: {0}")]
    Compress(String),
}

/// The sending half: frames in, socket messages out.
#[derive(Default)]
pub struct FrameCompressor {
    stream: Option<zstd::stream::write::Encoder<'static, Vec<u8>>>,
}

impl FrameCompressor {
    pub fn new() -> Self {
        Self::default()
    }

    /// The socket message carrying `frame` (an encoded `Frame`).
    pub fn compress(&mut self, frame: &[u8]) -> Result<Vec<u8>, CodecError> {
        let failed = |e: std::io::Error| CodecError::Compress(e.to_string());
        let stream = match &mut self.stream {
            Some(s) => s,
            None => {
                let mut s =
                    zstd::stream::write::Encoder::new(vec![FRAME], LEVEL).map_err(failed)?;
                s.window_log(WINDOW_LOG).map_err(failed)?;
                // The socket already checks integrity; four bytes a frame saved.
                s.include_checksum(false).map_err(failed)?;
                self.stream.insert(s)
            }
        };
        stream.write_all(frame).map_err(failed)?;
        stream.flush().map_err(failed)?;
        Ok(std::mem::replace(stream.get_mut(), vec![FRAME]))
    }

    /// Ends the stream, if one is open: the message to send, so the peer frees its
    /// half too. Called when the sender has been quiet for `IDLE_MS`.
    pub fn end(&mut self) -> Option<Vec<u8>> {
        self.stream.take().map(|_| vec![END])
    }

    pub fn is_open(&self) -> bool {
        self.stream.is_some()
    }
}

/// Holds at most `MAX_FRAME_BYTES`; past that, a write fails and nothing more is kept.
struct Bounded(Vec<u8>);

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_FRAME_BYTES {
            return Err(std::io::Error::other(FrameTooLarge));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the frame inflates past the limit")]
struct FrameTooLarge;

/// The receiving half: socket messages in, frames out.
#[derive(Default)]
pub struct FrameDecompressor {
    stream: Option<zstd::stream::write::Decoder<'static, Bounded>>,
}

impl FrameDecompressor {
    pub fn new() -> Self {
        Self::default()
    }

    /// The frame a message carries, or `None` for the stream's end. An error leaves
    /// the stream unusable: the connection is to be closed.
    pub fn decompress(&mut self, message: &[u8]) -> Result<Option<Vec<u8>>, CodecError> {
        let (&tag, body) = message.split_first().ok_or(CodecError::Empty)?;
        match tag {
            END if body.is_empty() => {
                self.stream = None;
                Ok(None)
            }
            END => Err(CodecError::EndWithBytes(body.len())),
            FRAME => self.frame(body).map(Some),
            other => Err(CodecError::UnknownTag(other)),
        }
    }

    fn frame(&mut self, body: &[u8]) -> Result<Vec<u8>, CodecError> {
        let corrupt = |e: std::io::Error| {
            if e.get_ref().is_some_and(|inner| inner.is::<FrameTooLarge>()) {
                CodecError::TooLarge {
                    max: MAX_FRAME_BYTES,
                }
            } else {
                CodecError::Corrupt(e.to_string())
            }
        };
        let stream = match &mut self.stream {
            Some(s) => s,
            None => {
                let mut s = zstd::stream::write::Decoder::new(Bounded(Vec::new()))
                    .map_err(|e| CodecError::Corrupt(e.to_string()))?;
                s.window_log_max(WINDOW_LOG)
                    .map_err(|e| CodecError::Corrupt(e.to_string()))?;
                self.stream.insert(s)
            }
        };
        let decoded = stream.write_all(body).and_then(|_| stream.flush());
        let frame = std::mem::take(&mut stream.get_mut().0);
        if let Err(e) = decoded {
            self.stream = None;
            return Err(corrupt(e));
        }
        Ok(frame)
    }
}

/// One sync socket's two streams, and when this side last sent: what every driver
/// of a socket (server, client, tests) holds. Fresh for every connection.
pub struct SocketStreams {
    compressor: FrameCompressor,
    decompressor: FrameDecompressor,
    last_sent: Instant,
}

impl Default for SocketStreams {
    fn default() -> Self {
        SocketStreams {
            compressor: FrameCompressor::new(),
            decompressor: FrameDecompressor::new(),
            last_sent: Instant::now(),
        }
    }
}

impl SocketStreams {
    pub fn new() -> Self {
        Self::default()
    }

    /// The socket message carrying `frame`.
    pub fn pack(&mut self, frame: &Frame) -> Result<Vec<u8>, WireError> {
        self.pack_bytes(&frame.encode()?)
    }

    /// The socket message carrying `bytes` as a frame (tests send malformed ones).
    pub fn pack_bytes(&mut self, bytes: &[u8]) -> Result<Vec<u8>, WireError> {
        let message = self.compressor.compress(bytes)?;
        self.last_sent = Instant::now();
        Ok(message)
    }

    /// The frame a socket message carries, or `None` for the peer's stream end.
    pub fn unpack(&mut self, message: &[u8]) -> Result<Option<Frame>, WireError> {
        match self.decompressor.decompress(message)? {
            Some(frame) => Frame::decode(&frame).map(Some),
            None => Ok(None),
        }
    }

    /// The stream-end message to send once this side has sent nothing for
    /// `IDLE_MS` with a stream open, so the peer frees its half.
    pub fn end_if_idle(&mut self) -> Option<Vec<u8>> {
        if self.last_sent.elapsed() < Duration::from_millis(IDLE_MS) {
            return None;
        }
        self.compressor.end()
    }
}

#[cfg(test)]
#[path = "socket_codec_tests.rs"]
mod tests;
