//! The two ends of a sync connection as state machines: an event goes in, a list of
//! effects comes out, and nothing here touches a socket, a clock or a database. The
//! driver (one task per connection) turns socket messages into `Frame` events,
//! carries out the effects in order — `Send`, `Close`, and the storage jobs
//! `Receive`/`Generate` whose answers come back as `DocResult` — and feeds `Tick`s.
//!
//! Server: `AwaitHello → AwaitDevice → AwaitProof → AwaitDocs → Ready`.
//! Device: `Connecting → AwaitChallenge → AwaitWelcome → Ready`.
//! Either ends in `Closed`; after that every event is ignored.

mod client;
mod jobs;
mod pulls;
mod server;

pub use client::{ClientEffect, ClientEvent, ClientPhase, ClientSession};
pub use server::{DeviceRecord, ServerEffect, ServerEvent, ServerPhase, ServerSession};

use crate::ids::DeviceId;
use crate::sync::doc_key::DocKey;
use crate::sync::wire::RefusalCode;

/// From the connection's start to `Welcome`. A peer that takes longer is cut off, so
/// half-open connections do not pile up on the server.
pub const HANDSHAKE_DEADLINE_MS: i64 = 10_000;

/// The WebSocket close code the driver sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseCode {
    /// 1000: the other side ended the connection, or asked us to.
    Normal,
    /// 1002: the peer broke the protocol (bad bytes, a frame out of turn).
    Protocol,
    /// 1008: a refusal (unknown device, bad proof, a document it may not have...).
    Policy,
    /// 1011: our own storage failed; the peer may retry later.
    Internal,
}

impl CloseCode {
    pub fn as_u16(self) -> u16 {
        match self {
            CloseCode::Normal => 1000,
            CloseCode::Protocol => 1002,
            CloseCode::Policy => 1008,
            CloseCode::Internal => 1011,
        }
    }
}

/// A refusal, as the server logs it (and keeps in its refusal table) and as the
/// device shows it: which device, why, and which document if one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub device: Option<DeviceId>,
    pub code: RefusalCode,
    pub doc: Option<DocKey>,
    pub reason: String,
}

/// Why storage did not take a document's sync message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocRefusal {
    /// The message or the change it carries is refused: nothing was stored.
    Refused { code: RefusalCode, reason: String },
    /// Storage itself failed (disk, database): nothing was stored; retry later.
    Failed { reason: String },
}

/// The answer to a `Receive` or `Generate` job: the sync message to send back, if any.
pub type DocOutcome = Result<Option<Vec<u8>>, DocRefusal>;

#[cfg(test)]
mod tests;
