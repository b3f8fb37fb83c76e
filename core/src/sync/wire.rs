//! The frames of the sync protocol. One WebSocket binary message carries one frame,
//! through the socket's zstd stream (`socket_codec`, decision 0014):
//!
//! ```text
//! frame     = version:u8 (=1) | kind:u8 | body
//! Hello     0x01 C→S  device_id:16
//! Challenge 0x02 S→C  nonce:32
//! Proof     0x03 C→S  signature:64
//! Welcome   0x04 S→C  point_id:16 | n:u16 (big-endian) | n × (key_len:u8 | doc_key)
//! DocAdded  0x05 S→C  key_len:u8 | doc_key
//! Sync      0x10 both key_len:u8 | doc_key | automerge sync message (rest of frame)
//! Refused   0x11 S→C  code:u8 | key_len:u8 | doc_key (key_len 0: no document) | reason utf8
//! Error     0x7F both code:u8 | reason utf8
//! Pull      0x20 C→S  what:u8 | since:u64              (decision 0010: read-only pulls)
//! Pulled    0x21 S→C  what:u8 | version:u64 | JSON body (rest of frame, not empty)
//! NotModified 0x22 S→C what:u8 | version:u64
//! Changed   0x23 S→C  what:u8                          (pull again: the server's data moved)
//! Withdraw  0x24 C→S  request:16 | amount:i64 (fen)
//! WithdrawAnswer 0x25 S→C request:16 | verdict:u8 | reason utf8
//! ```
//!
//! `Frame::decode` checks every length against what is left, refuses trailing bytes,
//! and never indexes unchecked: hostile bytes give a `WireError` that says what was
//! wrong, never a panic.

use crate::ids::{DeviceId, PointId};
use crate::sync::auth::{Nonce, ProofSignature, NONCE_LEN, SIGNATURE_LEN};
use crate::sync::doc_key::{DocKey, DocKeyError};

pub const VERSION: u8 = 1;

/// The largest frame either side sends or accepts (a socket message inflating past
/// it is refused, `socket_codec`). A whole saved 500-order day (more than a point
/// sells in a day) is 45,254 bytes written as the server writes it, one change per
/// order (measured by `a_saved_500_order_day_fits_a_frame_with_room`), and that is
/// what the first sync of a day sends in one message. 8 MiB is over 150 such days:
/// room for the counter's events and for growth, yet small enough that a hostile
/// peer cannot make either side buffer much.
pub const MAX_FRAME_BYTES: usize = 8 * 1024 * 1024;
/// The longest reason text in `Refused`/`Error`; longer reasons are cut when encoded.
pub const MAX_REASON_BYTES: usize = 1024;
/// The most documents one `Welcome` lists (a point's sync window is a few weeks).
pub const MAX_WELCOME_DOCS: usize = 4096;

const HELLO: u8 = 0x01;
const CHALLENGE: u8 = 0x02;
const PROOF: u8 = 0x03;
const WELCOME: u8 = 0x04;
const DOC_ADDED: u8 = 0x05;
const SYNC: u8 = 0x10;
const REFUSED: u8 = 0x11;
const ERROR: u8 = 0x7F;
const PULL: u8 = 0x20;
const PULLED: u8 = 0x21;
const NOT_MODIFIED: u8 = 0x22;
const CHANGED: u8 = 0x23;
const WITHDRAW: u8 = 0x24;
const WITHDRAW_ANSWER: u8 = 0x25;

macro_rules! wire_code {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:literal => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_u8(self) -> u8 {
                match self { $($name::$variant => $value,)* }
            }

            pub fn from_u8(code: u8) -> Option<Self> {
                match code { $($value => Some($name::$variant),)* _ => None }
            }

            /// A stable name for logs and the app.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
        }
    };
}

wire_code!(
    /// Why the server turned a device or one of its documents away. The server
    /// closes the connection after sending it; the device stops and alerts rather
    /// than retrying.
    RefusalCode {
        UnknownDevice = 1 => "unknown_device",
        RevokedDevice = 2 => "revoked_device",
        BadProof = 3 => "bad_proof",
        /// A document of another point than the device's.
        OtherPoint = 4 => "other_point",
        /// A document the server did not offer this device.
        UnknownDocument = 5 => "unknown_document",
        /// A change the writer may not make (field ownership).
        ChangeNotAllowed = 6 => "change_not_allowed",
        /// A document frame before the handshake finished.
        TooEarly = 7 => "too_early",
        HandshakeTimeout = 8 => "handshake_timeout",
        /// The automerge sync message inside a frame is not one, or breaks its limits.
        BadSyncMessage = 9 => "bad_sync_message",
    }
);

wire_code!(
    /// A protocol failure (either side), followed by a close.
    ErrorCode {
        /// Bytes that are not a frame.
        Malformed = 1 => "malformed",
        /// A frame the receiver does not expect now, or from this side.
        Unexpected = 2 => "unexpected",
        /// The sender's storage failed; try again later.
        Internal = 3 => "internal",
    }
);

wire_code!(
    /// What a device pulls read-only from the server (`crate::sync::pull`).
    PullKind {
        /// The products the platform sells (a versioned snapshot).
        Catalog = 1 => "catalog",
        /// The point's commission ledger (incremental: entries after a version).
        Ledger = 2 => "ledger",
        /// The point's promoters and the consumers they brought (a snapshot).
        Team = 3 => "team",
        /// The point's withdrawal requests and their status (a snapshot).
        Withdrawals = 4 => "withdrawals",
    }
);

wire_code!(
    /// The server's answer to a device's withdrawal request.
    WithdrawalVerdict {
        /// Stored as a pending request for finance (or already stored: a retry).
        Accepted = 1 => "accepted",
        /// More than the settled balance not yet withdrawn or requested.
        OverBalance = 2 => "over_balance",
        /// The amount is not a positive number of fen, or the id is taken.
        Invalid = 3 => "invalid",
    }
);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Hello {
        device: DeviceId,
    },
    Challenge {
        nonce: Nonce,
    },
    Proof {
        signature: ProofSignature,
    },
    Welcome {
        point: PointId,
        docs: Vec<DocKey>,
    },
    DocAdded {
        doc: DocKey,
    },
    Sync {
        doc: DocKey,
        message: Vec<u8>,
    },
    Refused {
        code: RefusalCode,
        doc: Option<DocKey>,
        reason: String,
    },
    Error {
        code: ErrorCode,
        reason: String,
    },
    Pull {
        what: PullKind,
        /// The version the device holds (0: nothing yet).
        since: u64,
    },
    Pulled {
        what: PullKind,
        version: u64,
        /// JSON, as `crate::sync::pull` describes per kind.
        body: Vec<u8>,
    },
    NotModified {
        what: PullKind,
        version: u64,
    },
    Changed {
        what: PullKind,
    },
    Withdraw {
        request: uuid::Uuid,
        amount: i64,
    },
    WithdrawAnswer {
        request: uuid::Uuid,
        verdict: WithdrawalVerdict,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("the socket message is unreadable: {0}")]
    Socket(#[from] crate::sync::socket_codec::CodecError),
    #[error("the frame is empty")]
    Empty,
    #[error("the frame is {len} bytes, more than the {max} allowed")]
    TooLarge { len: usize, max: usize },
    #[error("the frame is protocol version {0}, this side speaks version {VERSION}")]
    Version(u8),
    #[error("the frame has no kind byte")]
    NoKind,
    #[error("0x{0:02x} is not a frame kind")]
    UnknownKind(u8),
    #[error("the {frame} frame ends before its {field} ({needed} bytes needed, {left} left)")]
    Truncated {
        frame: &'static str,
        field: &'static str,
        needed: usize,
        left: usize,
    },
    #[error("the {frame} frame has {count} bytes after its last field")]
    TrailingBytes { frame: &'static str, count: usize },
    #[error("the {frame} frame names a bad document: {source}")]
    BadDocKey {
        frame: &'static str,
        #[source]
        source: DocKeyError,
    },
    #[error("the {frame} frame's document key is not UTF-8")]
    DocKeyNotUtf8 { frame: &'static str },
    #[error("the {frame} frame has an empty document key")]
    EmptyDocKey { frame: &'static str },
    #[error("the Welcome frame lists {count} documents, more than the {max} allowed")]
    TooManyDocs { count: usize, max: usize },
    #[error("the {frame} frame's reason is {len} bytes, more than the {max} allowed")]
    ReasonTooLong {
        frame: &'static str,
        len: usize,
        max: usize,
    },
    #[error("the {frame} frame's reason is not UTF-8")]
    ReasonNotUtf8 { frame: &'static str },
    #[error("{code} is not a {frame} code")]
    UnknownCode { frame: &'static str, code: u8 },
    #[error("the Sync frame carries no sync message")]
    EmptySyncMessage,
    #[error("the Pulled frame carries no body")]
    EmptyPullBody,
    /// A WebSocket text message: every frame is a binary message.
    #[error("a text message arrived; sync frames are binary messages")]
    TextMessage,
}

impl Frame {
    /// The frame's name, for logs and errors.
    pub fn name(&self) -> &'static str {
        match self {
            Frame::Hello { .. } => "Hello",
            Frame::Challenge { .. } => "Challenge",
            Frame::Proof { .. } => "Proof",
            Frame::Welcome { .. } => "Welcome",
            Frame::DocAdded { .. } => "DocAdded",
            Frame::Sync { .. } => "Sync",
            Frame::Refused { .. } => "Refused",
            Frame::Error { .. } => "Error",
            Frame::Pull { .. } => "Pull",
            Frame::Pulled { .. } => "Pulled",
            Frame::NotModified { .. } => "NotModified",
            Frame::Changed { .. } => "Changed",
            Frame::Withdraw { .. } => "Withdraw",
            Frame::WithdrawAnswer { .. } => "WithdrawAnswer",
        }
    }

    /// The bytes of one WebSocket binary message. Fails only when the frame would
    /// break a limit the other side enforces (too many documents, too large); reasons
    /// longer than `MAX_REASON_BYTES` are cut at a character boundary instead.
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let mut out = vec![VERSION];
        match self {
            Frame::Hello { device } => {
                out.push(HELLO);
                out.extend_from_slice(device.0.as_bytes());
            }
            Frame::Challenge { nonce } => {
                out.push(CHALLENGE);
                out.extend_from_slice(nonce.as_bytes());
            }
            Frame::Proof { signature } => {
                out.push(PROOF);
                out.extend_from_slice(signature.as_bytes());
            }
            Frame::Welcome { point, docs } => {
                let count = u16::try_from(docs.len())
                    .ok()
                    .filter(|n| usize::from(*n) <= MAX_WELCOME_DOCS)
                    .ok_or(WireError::TooManyDocs {
                        count: docs.len(),
                        max: MAX_WELCOME_DOCS,
                    })?;
                out.push(WELCOME);
                out.extend_from_slice(point.0.as_bytes());
                out.extend_from_slice(&count.to_be_bytes());
                for doc in docs {
                    put_key(&mut out, Some(doc));
                }
            }
            Frame::DocAdded { doc } => {
                out.push(DOC_ADDED);
                put_key(&mut out, Some(doc));
            }
            Frame::Sync { doc, message } => {
                out.push(SYNC);
                put_key(&mut out, Some(doc));
                out.extend_from_slice(message);
            }
            Frame::Refused { code, doc, reason } => {
                out.push(REFUSED);
                out.push(code.as_u8());
                put_key(&mut out, doc.as_ref());
                out.extend_from_slice(cut_reason(reason).as_bytes());
            }
            Frame::Error { code, reason } => {
                out.push(ERROR);
                out.push(code.as_u8());
                out.extend_from_slice(cut_reason(reason).as_bytes());
            }
            Frame::Pull { what, since } => {
                out.extend_from_slice(&[PULL, what.as_u8()]);
                out.extend_from_slice(&since.to_be_bytes());
            }
            Frame::Pulled {
                what,
                version,
                body,
            } => {
                out.extend_from_slice(&[PULLED, what.as_u8()]);
                out.extend_from_slice(&version.to_be_bytes());
                out.extend_from_slice(body);
            }
            Frame::NotModified { what, version } => {
                out.extend_from_slice(&[NOT_MODIFIED, what.as_u8()]);
                out.extend_from_slice(&version.to_be_bytes());
            }
            Frame::Changed { what } => out.extend_from_slice(&[CHANGED, what.as_u8()]),
            Frame::Withdraw { request, amount } => {
                out.push(WITHDRAW);
                out.extend_from_slice(request.as_bytes());
                out.extend_from_slice(&amount.to_be_bytes());
            }
            Frame::WithdrawAnswer {
                request,
                verdict,
                reason,
            } => {
                out.extend_from_slice(&[WITHDRAW_ANSWER]);
                out.extend_from_slice(request.as_bytes());
                out.push(verdict.as_u8());
                out.extend_from_slice(cut_reason(reason).as_bytes());
            }
        }
        if out.len() > MAX_FRAME_BYTES {
            return Err(WireError::TooLarge {
                len: out.len(),
                max: MAX_FRAME_BYTES,
            });
        }
        Ok(out)
    }

    pub fn decode(bytes: &[u8]) -> Result<Frame, WireError> {
        if bytes.len() > MAX_FRAME_BYTES {
            return Err(WireError::TooLarge {
                len: bytes.len(),
                max: MAX_FRAME_BYTES,
            });
        }
        let (&version, rest) = bytes.split_first().ok_or(WireError::Empty)?;
        if version != VERSION {
            return Err(WireError::Version(version));
        }
        let (&kind, body) = rest.split_first().ok_or(WireError::NoKind)?;
        let frame = match kind {
            HELLO => {
                let mut r = Reader::new("Hello", body);
                let device = DeviceId(uuid::Uuid::from_bytes(r.array("device id")?));
                r.finish()?;
                Frame::Hello { device }
            }
            CHALLENGE => {
                let mut r = Reader::new("Challenge", body);
                let nonce = Nonce::from_bytes(r.array::<NONCE_LEN>("nonce")?);
                r.finish()?;
                Frame::Challenge { nonce }
            }
            PROOF => {
                let mut r = Reader::new("Proof", body);
                let signature = ProofSignature::from_bytes(r.array::<SIGNATURE_LEN>("signature")?);
                r.finish()?;
                Frame::Proof { signature }
            }
            WELCOME => {
                let mut r = Reader::new("Welcome", body);
                let point = PointId(uuid::Uuid::from_bytes(r.array("point id")?));
                let count = usize::from(u16::from_be_bytes(r.array("document count")?));
                if count > MAX_WELCOME_DOCS {
                    return Err(WireError::TooManyDocs {
                        count,
                        max: MAX_WELCOME_DOCS,
                    });
                }
                let mut docs = Vec::with_capacity(count);
                for _ in 0..count {
                    docs.push(r.required_key()?);
                }
                r.finish()?;
                Frame::Welcome { point, docs }
            }
            DOC_ADDED => {
                let mut r = Reader::new("DocAdded", body);
                let doc = r.required_key()?;
                r.finish()?;
                Frame::DocAdded { doc }
            }
            SYNC => {
                let mut r = Reader::new("Sync", body);
                let doc = r.required_key()?;
                let message = r.rest().to_vec();
                if message.is_empty() {
                    return Err(WireError::EmptySyncMessage);
                }
                Frame::Sync { doc, message }
            }
            REFUSED => {
                let mut r = Reader::new("Refused", body);
                let [code] = r.array("code")?;
                let code = RefusalCode::from_u8(code).ok_or(WireError::UnknownCode {
                    frame: "Refused",
                    code,
                })?;
                let doc = r.key()?;
                let reason = r.reason()?;
                Frame::Refused { code, doc, reason }
            }
            ERROR => {
                let mut r = Reader::new("Error", body);
                let [code] = r.array("code")?;
                let code = ErrorCode::from_u8(code).ok_or(WireError::UnknownCode {
                    frame: "Error",
                    code,
                })?;
                let reason = r.reason()?;
                Frame::Error { code, reason }
            }
            PULL => {
                let mut r = Reader::new("Pull", body);
                let what = r.pull_kind()?;
                let since = u64::from_be_bytes(r.array("since")?);
                r.finish()?;
                Frame::Pull { what, since }
            }
            PULLED => {
                let mut r = Reader::new("Pulled", body);
                let what = r.pull_kind()?;
                let version = u64::from_be_bytes(r.array("version")?);
                let body = r.rest().to_vec();
                if body.is_empty() {
                    return Err(WireError::EmptyPullBody);
                }
                Frame::Pulled {
                    what,
                    version,
                    body,
                }
            }
            NOT_MODIFIED => {
                let mut r = Reader::new("NotModified", body);
                let what = r.pull_kind()?;
                let version = u64::from_be_bytes(r.array("version")?);
                r.finish()?;
                Frame::NotModified { what, version }
            }
            CHANGED => {
                let mut r = Reader::new("Changed", body);
                let what = r.pull_kind()?;
                r.finish()?;
                Frame::Changed { what }
            }
            WITHDRAW => {
                let mut r = Reader::new("Withdraw", body);
                let request = uuid::Uuid::from_bytes(r.array("request id")?);
                let amount = i64::from_be_bytes(r.array("amount")?);
                r.finish()?;
                Frame::Withdraw { request, amount }
            }
            WITHDRAW_ANSWER => {
                let mut r = Reader::new("WithdrawAnswer", body);
                let request = uuid::Uuid::from_bytes(r.array("request id")?);
                let [code] = r.array("verdict")?;
                let verdict = WithdrawalVerdict::from_u8(code).ok_or(WireError::UnknownCode {
                    frame: "WithdrawAnswer",
                    code,
                })?;
                let reason = r.reason()?;
                Frame::WithdrawAnswer {
                    request,
                    verdict,
                    reason,
                }
            }
            other => return Err(WireError::UnknownKind(other)),
        };
        Ok(frame)
    }
}

fn put_key(out: &mut Vec<u8>, key: Option<&DocKey>) {
    match key {
        // A valid key is always 47 ASCII bytes, so the length fits the u8.
        Some(k) => {
            let text = k.to_string();
            out.push(text.len() as u8);
            out.extend_from_slice(text.as_bytes());
        }
        None => out.push(0),
    }
}

fn cut_reason(reason: &str) -> &str {
    if reason.len() <= MAX_REASON_BYTES {
        return reason;
    }
    let mut end = MAX_REASON_BYTES;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

/// Reads a frame body from the front, every length checked against what is left.
struct Reader<'a> {
    frame: &'static str,
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(frame: &'static str, body: &'a [u8]) -> Self {
        Reader { frame, rest: body }
    }

    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], WireError> {
        let (head, tail) = self.rest.split_at_checked(n).ok_or(WireError::Truncated {
            frame: self.frame,
            field,
            needed: n,
            left: self.rest.len(),
        })?;
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], WireError> {
        let bytes = self.take(field, N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// `key_len:u8 | doc_key`; a zero length means "no document".
    fn key(&mut self) -> Result<Option<DocKey>, WireError> {
        let [len] = self.array("document key length")?;
        if len == 0 {
            return Ok(None);
        }
        let bytes = self.take("document key", usize::from(len))?;
        let frame = self.frame;
        let text = std::str::from_utf8(bytes).map_err(|_| WireError::DocKeyNotUtf8 { frame })?;
        DocKey::parse(text)
            .map(Some)
            .map_err(|source| WireError::BadDocKey { frame, source })
    }

    fn pull_kind(&mut self) -> Result<PullKind, WireError> {
        let [code] = self.array("pull kind")?;
        PullKind::from_u8(code).ok_or(WireError::UnknownCode {
            frame: self.frame,
            code,
        })
    }

    fn required_key(&mut self) -> Result<DocKey, WireError> {
        let frame = self.frame;
        self.key()?.ok_or(WireError::EmptyDocKey { frame })
    }

    fn reason(&mut self) -> Result<String, WireError> {
        let frame = self.frame;
        let bytes = self.rest();
        if bytes.len() > MAX_REASON_BYTES {
            return Err(WireError::ReasonTooLong {
                frame,
                len: bytes.len(),
                max: MAX_REASON_BYTES,
            });
        }
        String::from_utf8(bytes.to_vec()).map_err(|_| WireError::ReasonNotUtf8 { frame })
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }

    fn finish(self) -> Result<(), WireError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(WireError::TrailingBytes {
                frame: self.frame,
                count: self.rest.len(),
            })
        }
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
