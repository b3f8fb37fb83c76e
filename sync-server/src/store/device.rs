//! Counter devices (issue 4): enrollment with a one-time code, revocation, and the
//! storage side of sync.
//!
//! A device is enrolled at one pickup point. Staff ask for a code for the point; the
//! leader types it into the new device, which sends it with the public half of a key
//! pair it made itself. From then on the device is known by that key only: the
//! private key never leaves it, and it never holds a staff or consumer token.
//!
//! Sync runs our own loop on automerge's sync protocol (docs: the sync design). The
//! store's part is two writer jobs per message kind, `receive_device_sync` and
//! `generate_device_sync`, which check the device and the document key, apply a
//! device's changes only if they keep field ownership, book the handovers they carry,
//! and keep the sync state that outlives a connection.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;

use chrono::NaiveDate;
use linli_core::catalog::FieldError;
use linli_core::doc::OwnershipViolation;
use linli_core::ids::{DeviceId, PointId};
use linli_core::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::StoreError;

/// How long an enrollment code stays usable unless staff ask otherwise.
pub const CODE_VALID_FOR_MS: i64 = 24 * 60 * 60 * 1000;
/// The longest a code may be asked to live: a week.
pub const MAX_CODE_VALID_FOR_MS: i64 = 7 * CODE_VALID_FOR_MS;
/// Digits and capitals without the ones people misread (0/O, 1/I/L).
pub const CODE_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// 31¹⁰ ≈ 8·10¹⁴ codes (49 bits): not guessable online within a day.
pub const CODE_CHARS: usize = 10;
/// A device's label, as staff see it in the list ("收银台电脑").
pub const MAX_LABEL_CHARS: usize = 40;

/// A code just made. `code` is shown this once; the store keeps only its digest.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EnrollmentCode {
    /// Ten characters in two groups, e.g. `K7QM4-XR2PD`; case, spaces and dashes
    /// do not matter when typed.
    pub code: String,
    #[schema(value_type = String)]
    pub point: PointId,
    /// UTC ms after which the code is refused.
    #[schema(value_type = i64)]
    pub expires_at: Millis,
}

// By hand, so a live code never reaches a log through `{:?}`.
impl fmt::Debug for EnrollmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrollmentCode")
            .field("code", &"<hidden>")
            .field("point", &self.point)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What a new device sends.
#[derive(Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub code: String,
    /// The ed25519 public key, 32 bytes.
    pub public_key: Vec<u8>,
    pub label: String,
}

impl fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrollment")
            .field("code", &"<hidden>")
            .field("public_key", &hex::encode(&self.public_key))
            .field("label", &self.label)
            .finish()
    }
}

/// What an enrolled device needs to start work at its point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EnrolledDevice {
    /// The device's id: its `device` in every counter stamp and its sync identity.
    #[schema(value_type = String)]
    pub device: DeviceId,
    #[schema(value_type = String)]
    pub point: PointId,
    pub point_name: String,
    /// The point's pickup-code key (hex, 32 bytes): the device digests typed codes
    /// with it and looks the digest up; it never sees plain codes.
    pub code_key: String,
    /// The server's clock at enrollment (UTC ms), so the device can tell how far
    /// off its own clock is.
    #[schema(value_type = i64)]
    pub server_time: Millis,
}

/// Why an enrollment was refused. Each names what to do next.
#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    #[error("no such enrollment code; check what was typed or ask for a new code")]
    UnknownCode,
    /// When it expired, UTC ms.
    #[error("this enrollment code has expired; ask for a new code")]
    CodeExpired(Millis),
    #[error("this enrollment code was already used; ask for a new code")]
    CodeUsed,
    #[error("pickup point {0} is not approved, so no device can be enrolled there")]
    PointNotApproved(PointId),
    #[error("{0}")]
    BadKey(String),
    #[error(
        "this public key is already enrolled; a device makes a new key pair for each enrollment"
    )]
    KeyTaken,
    #[error("invalid input: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl EnrollError {
    /// The request field a refusal is about, for a 422 that names it.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            EnrollError::UnknownCode
            | EnrollError::CodeExpired(_)
            | EnrollError::CodeUsed
            | EnrollError::PointNotApproved(_) => Some("code"),
            EnrollError::BadKey(_) | EnrollError::KeyTaken => Some("public_key"),
            EnrollError::Invalid(_) | EnrollError::Store(_) => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    Active,
    Revoked,
}

/// A device as staff see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Device {
    #[schema(value_type = String)]
    pub id: DeviceId,
    #[schema(value_type = String)]
    pub point: PointId,
    pub label: String,
    /// The ed25519 public key, hex.
    pub public_key: String,
    pub status: DeviceStatus,
    #[schema(value_type = i64)]
    pub enrolled_at: Millis,
    /// The staff member who issued the enrollment code.
    pub enrolled_by: String,
    #[schema(value_type = Option<i64>)]
    pub revoked_at: Option<Millis>,
    pub revoked_by: Option<String>,
    /// Its last accepted sync message.
    #[schema(value_type = Option<i64>)]
    pub last_seen_at: Option<Millis>,
}

/// An active device as the sync session knows it after the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncDevice {
    pub id: DeviceId,
    pub point: PointId,
    /// The ed25519 public key the handshake verifies signatures with.
    pub public_key: [u8; 32],
    pub label: String,
}

/// A point-day document's key, `<point id>/<YYYY-MM-DD>`, parsed and re-rendered
/// so that two spellings of one key cannot be two documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocKey {
    pub point: PointId,
    pub day: NaiveDate,
}

impl DocKey {
    /// Only the canonical spelling parses (lower-case hyphenated id, zero-padded date).
    pub fn parse(s: &str) -> Option<DocKey> {
        let (point, day) = s.split_once('/')?;
        let key = DocKey {
            point: point.parse().ok()?,
            day: NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?,
        };
        (key.to_string() == s).then_some(key)
    }
}

impl fmt::Display for DocKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.point, self.day.format("%Y-%m-%d"))
    }
}

/// One live connection of a device. It holds automerge's per-document sync state
/// between messages (what was sent, what is in flight), which must not outlive the
/// connection: a new connection starts a new session, from the persisted state.
pub struct SyncSession {
    device: SyncDevice,
    pub(super) states: HashMap<String, automerge::sync::State>,
}

impl SyncSession {
    pub fn new(device: SyncDevice) -> Self {
        SyncSession {
            device,
            states: HashMap::new(),
        }
    }

    pub fn device(&self) -> &SyncDevice {
        &self.device
    }
}

/// Why a sync message (or the device sending it) was refused. Every variant but
/// `Store` is the device's doing: the session logs it, answers `Refused` and
/// closes; the document was left exactly as it was.
#[derive(Debug, thiserror::Error)]
pub enum SyncRefusal {
    #[error("device {0} is not enrolled")]
    UnknownDevice(DeviceId),
    #[error("device {0} was revoked")]
    Revoked(DeviceId),
    #[error("'{0}' is not a document key (<point id>/<YYYY-MM-DD>)")]
    BadDocKey(String),
    #[error("document {0} belongs to another pickup point")]
    OtherPoint(String),
    #[error("the server has no document {0}")]
    UnknownDocument(String),
    #[error("the sync message could not be read: {0}")]
    BadMessage(String),
    #[error("the changes do not keep the point-day shape: {0}")]
    Malformed(String),
    #[error("the changes break field ownership: {0}")]
    Ownership(#[from] OwnershipViolation),
    #[error("the changes write {0}, which no device may write")]
    NotCounterFact(String),
    #[error("automerge panicked on this message")]
    Panicked,
    /// Not the device's fault: the server could not answer. Close and let it retry.
    #[error("the server could not process the message: {0}")]
    Store(#[from] StoreError),
}

impl SyncRefusal {
    /// The machine-readable reason kept in `sync_refusals`.
    pub fn code(&self) -> &'static str {
        match self {
            SyncRefusal::UnknownDevice(_) => "unknown_device",
            SyncRefusal::Revoked(_) => "revoked",
            SyncRefusal::BadDocKey(_) => "bad_doc_key",
            SyncRefusal::OtherPoint(_) => "other_point",
            SyncRefusal::UnknownDocument(_) => "unknown_document",
            SyncRefusal::BadMessage(_) => "bad_message",
            SyncRefusal::Malformed(_) => "malformed",
            SyncRefusal::Ownership(_) => "ownership",
            SyncRefusal::NotCounterFact(_) => "not_counter_fact",
            SyncRefusal::Panicked => "panicked",
            SyncRefusal::Store(_) => "storage",
        }
    }

    /// True for a refusal of what the device sent; false for the server's failure.
    pub fn is_device_fault(&self) -> bool {
        !matches!(self, SyncRefusal::Store(_))
    }
}

/// One refused message or handshake, for the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusalRecord {
    /// The device's id as claimed, known or not.
    pub device: Option<DeviceId>,
    pub point: Option<PointId>,
    pub doc_key: Option<String>,
    /// `SyncRefusal::code()` or the session's own reason (e.g. `bad_signature`).
    pub reason: String,
    pub detail: String,
    pub at: Millis,
}

pub trait DeviceStore {
    /// Makes a one-time code that enrolls one device at `point` until
    /// `at + valid_for_ms` (use `CODE_VALID_FOR_MS`). Only approved points; `by` is
    /// the staff member asking. The plain code is in the answer and nowhere else.
    fn create_enrollment_code(
        &self,
        point: PointId,
        by: String,
        at: Millis,
        valid_for_ms: i64,
    ) -> impl Future<Output = Result<EnrollmentCode, StoreError>> + Send;
    /// Spends the code and enrolls the device under its public key, in one step:
    /// a code enrolls one device, however many try it at once.
    fn enroll_device(
        &self,
        e: Enrollment,
        at: Millis,
    ) -> impl Future<Output = Result<EnrolledDevice, EnrollError>> + Send;
    /// A point's devices, earliest enrolled first, revoked ones included.
    fn point_devices(
        &self,
        point: PointId,
    ) -> impl Future<Output = Result<Vec<Device>, StoreError>> + Send;
    /// Revokes a device: its next sync message, and every one after, is refused.
    /// Revoking twice keeps the first revocation.
    fn revoke_device(
        &self,
        device: DeviceId,
        by: String,
        at: Millis,
    ) -> impl Future<Output = Result<Device, StoreError>> + Send;
    /// The device a sync handshake claims to be, if it is enrolled and not revoked.
    fn device_for_sync(
        &self,
        device: DeviceId,
    ) -> impl Future<Output = Result<SyncDevice, SyncRefusal>> + Send;
    /// Logs a refusal (tracing and `sync_refusals`).
    fn record_sync_refusal(
        &self,
        r: RefusalRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The persisted `automerge::sync::State` of a device for a document, encoded.
    fn load_sync_state(
        &self,
        device: DeviceId,
        doc_key: String,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send;
    fn save_sync_state(
        &self,
        device: DeviceId,
        doc_key: String,
        state: Vec<u8>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Applies one `automerge::sync::Message` from the session's device to a
    /// document of its point, and answers the reply to send, if any. The changes are
    /// kept only if they keep field ownership; their new handovers are booked in the
    /// commission ledger in the same step. A refusal changes nothing, is logged, and
    /// leaves the session's state as it was.
    fn receive_device_sync(
        &self,
        session: &mut SyncSession,
        doc_key: String,
        message: Vec<u8>,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, SyncRefusal>> + Send;
    /// Keys (`<point>/<YYYY-MM-DD>`) of point-day documents changed by each
    /// commit, delivered after the commit: what pushes a new order to the point's
    /// online devices. A receiver that falls behind gets `Lagged` and should
    /// re-check every document it follows.
    fn doc_changes(&self) -> tokio::sync::broadcast::Receiver<String>;
    /// The keys of the point's documents for `from` and later days, oldest first:
    /// the documents a device of the point syncs (its sync window).
    fn point_documents(
        &self,
        point: PointId,
        from: NaiveDate,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
    /// The message to send the session's device about a document, if there is
    /// anything new for it (e.g. after an order was placed).
    fn generate_device_sync(
        &self,
        session: &mut SyncSession,
        doc_key: String,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, SyncRefusal>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doc_key_parses_only_in_its_canonical_spelling() {
        let point = PointId::new();
        let key = format!("{point}/2026-11-02");
        let parsed = DocKey::parse(&key).unwrap();
        assert_eq!(parsed.point, point);
        assert_eq!(parsed.to_string(), key);
        for bad in [
            format!("{point}/2026-11-2"),
            format!("{}/2026-11-02", point.to_string().to_uppercase()),
            format!("{point}/2026-02-30"),
            format!("{point}2026-11-02"),
            format!("{point}/2026-11-02/x"),
            "/".to_string(),
            String::new(),
        ] {
            assert_eq!(DocKey::parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn refusals_name_their_field_and_fault() {
        assert_eq!(EnrollError::CodeUsed.field(), Some("code"));
        assert_eq!(EnrollError::KeyTaken.field(), Some("public_key"));
        assert!(SyncRefusal::Panicked.is_device_fault());
        assert!(!SyncRefusal::Store(StoreError::Internal("x".into())).is_device_fault());
    }
}
