//! linli-sync-client: the counter device's end of sync with the sync server.
//!
//! - [`enroll`]: exchange a one-time enrollment code for the device's place at its
//!   pickup point (HTTP; the key pair stays in the replica).
//! - [`SyncClient::start`]: the sync loop on the current tokio runtime: connect over
//!   WebSocket, prove the device's identity, sync each of the point's documents,
//!   take the server's pushes, and reconnect with jittered, capped exponential
//!   back-off. It returns a [`SyncHandle`] with the [`SyncStatus`] the app shows
//!   (online, last sync, pending local changes, progress, conflicts) and the calls
//!   the app makes after a local counter action ([`SyncHandle::local_change`]).
//!
//! For the app (Tauri commands), in order:
//!
//! ```text
//! let replica = linli_sync_client::share(Replica::open(path)?);   // one per app
//! // once, on the enrollment screen:
//! let enrolled = enroll("http://server:8080", "K7QM4-XR2PD", "收银台电脑", "李姐", &replica).await?;
//! // at start-up (and after enrolling), on the app's tokio runtime:
//! let sync = SyncClient::start(replica.clone(), SyncConfig::new("http://server:8080"))?;
//! // after every counter action that wrote day `day` (handover, check, acceptance, intake):
//! sync.local_change(&day)?;
//! // the sync badge / screen: a plain, serde-serialisable snapshot
//! let status: SyncStatus = sync.status();          // or sync.watch() to push changes
//! // a "sync now" button (also resumes after a refusal was dealt with):
//! sync.sync_now();
//! ```
//!
//! `EnrollError::Refused { message, field, .. }` carries the server's words for the
//! leader (unknown / expired / used code). `SyncStatus::blocked` set means the server
//! refused this device (e.g. revoked) or a change: show it; the loop waits for
//! `sync_now`.
//!
//! The protocol is `linli_core::sync::ClientSession` (sans-IO); the replica's
//! `receive_sync`/`generate_sync` do the storage. This crate only carries bytes,
//! clocks and storage calls between them.

mod backoff;
mod client;
mod enroll;
mod status;

use std::sync::{Arc, Mutex, MutexGuard};

use linli_core::replica::Replica;

pub use backoff::Backoff;
pub use client::{SyncClient, SyncConfig, SyncHandle};
pub use enroll::{enroll, EnrollError, Enrolled, ENROLL_PATH};
pub use status::{ConflictItem, SyncProgress, SyncStatus};

/// The replica as the app and the sync loop share it. Replica calls are short
/// SQLite transactions; the sync loop makes them on tokio's blocking threads.
pub type SharedReplica = Arc<Mutex<Replica>>;

/// Wraps a replica for sharing.
pub fn share(replica: Replica) -> SharedReplica {
    Arc::new(Mutex::new(replica))
}

/// Locks the replica. A panic while it was held leaves no half transaction on disk
/// (SQLite rolled it back), so the lock is taken over rather than refused.
pub(crate) fn lock(replica: &SharedReplica) -> MutexGuard<'_, Replica> {
    replica
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
