//! Sync between counter devices and the sync server, without I/O: the frames on the
//! wire, the device's key and its challenge proof, the limits put on an automerge
//! sync message before it is applied, and the two sessions (device and server) as
//! state machines that take events and answer with effects. The drivers (a
//! WebSocket task on each side) and storage live outside; see
//! docs/decisions for why this is our own loop on automerge's sync protocol and not samod.

pub mod auth;
pub mod changes;
mod doc_key;
pub mod message;
pub mod pull;
pub mod session;
pub mod socket_codec;
pub mod wire;

pub use auth::{AuthError, DeviceKey, DevicePublicKey, Nonce, ProofSignature};
pub use doc_key::{DocKey, DocKeyError, DOC_KEY_LEN};
pub use message::{
    decode_sync_message, encode_sync_message, generate_sync_message, SyncMessageError,
};
pub use session::{
    ClientEffect, ClientEvent, ClientSession, CloseCode, DeviceRecord, DocOutcome, DocRefusal,
    Refusal, ServerEffect, ServerEvent, ServerSession,
};
pub use socket_codec::{CodecError, FrameCompressor, FrameDecompressor, SocketStreams};
pub use wire::{ErrorCode, Frame, PullKind, RefusalCode, WireError, WithdrawalVerdict};
