//! What the app shows about sync: one plain, serialisable snapshot.

use linli_core::replica::{OrderList, Replica, ReplicaError};
use linli_core::time::Millis;
use serde::Serialize;

/// At most this many conflicts are listed in the status (the conflicts screen
/// queries the replica for all of them).
pub const MAX_CONFLICTS: u32 = 200;

/// The sync status, for the app's badge and sync screen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    /// Connected and past the handshake.
    pub online: bool,
    /// The last moment the server held every local change (UTC ms).
    pub last_sync_at: Option<Millis>,
    /// Documents (`<point>/<YYYY-MM-DD>`) with local changes the server has not
    /// acknowledged yet. Empty means nothing would be lost if this device broke.
    pub pending: Vec<String>,
    /// The current connection's first exchange, while it runs.
    pub progress: Option<SyncProgress>,
    /// Orders whose merged facts contradict each other (e.g. handed over after a
    /// cancel, handed over twice), newest first, at most `MAX_CONFLICTS`.
    pub conflicts: Vec<ConflictItem>,
    /// Why the last connection attempt or connection ended, if it failed: the
    /// technical detail, in English, for a support call.
    pub last_error: Option<String>,
    /// The same failure as a code the app words for a leader: `unreachable` (no
    /// connection could be made), `lost` (a connection broke or was closed), or
    /// the server's refusal code (`revoked_device`, `other_point`, …).
    pub last_error_code: Option<&'static str>,
    /// Set when the server refused this device or one of its changes: sync stays
    /// stopped until someone looks (retrying would be refused again).
    pub blocked: Option<String>,
    /// When offline: the next attempt, in ms from the snapshot.
    pub retry_in_ms: Option<u64>,
    /// Bytes of sync frames over the current connection.
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncProgress {
    /// Documents the server offered on this connection.
    pub docs_total: usize,
    /// Of those, the ones that have heard from the server and hold nothing the
    /// server lacks.
    pub docs_done: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConflictItem {
    pub order: String,
    pub number: String,
    pub day: String,
    pub status: String,
    /// e.g. `duplicate_handover`, `handed_over_when_void`.
    pub conflicts: Vec<String>,
}

/// The replica's part of the status: pending documents and conflicts.
pub(crate) fn from_replica(
    replica: &mut Replica,
) -> Result<(Vec<String>, Vec<ConflictItem>), ReplicaError> {
    let pending = replica
        .pending_changes()?
        .into_iter()
        .map(|k| k.to_string())
        .collect();
    let conflicts = replica
        .list_orders(OrderList::Conflicts, None, MAX_CONFLICTS)?
        .into_iter()
        .map(|o| ConflictItem {
            order: o.id.to_string(),
            number: o.number,
            day: o.day,
            status: o.status.as_str().to_string(),
            conflicts: o.conflicts,
        })
        .collect();
    Ok((pending, conflicts))
}
