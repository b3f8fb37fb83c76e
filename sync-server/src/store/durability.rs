//! When a committed group may be told: after its WAL frames are on disk.
//!
//! With `synchronous=FULL` SQLite fsyncs the WAL inside every commit, and the writer
//! thread waits for the disk while the next group's jobs queue up: a fifth of the
//! writer's time at peak ingest. Instead the writer commits with `synchronous=NORMAL`
//! (the frames reach the WAL file, not yet the disk) and hands the group to a
//! `linli-wal-sync` thread, which fsyncs the WAL file once for every group that
//! arrived meanwhile and only then answers the group's callers and announces its
//! documents. Nothing is acknowledged, and no device hears of a change, before the
//! frames that hold it are durable: the same promise FULL makes, with the wait moved
//! off the writer. (A checkpoint in NORMAL mode syncs the WAL before copying it back,
//! so frames are never overwritten before they were synced.)
//!
//! Without a WAL file (an in-memory database) a group settles at once, inline.

use std::fs::File;
use std::path::PathBuf;
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::broadcast;

/// One answer waiting for its group: called with whether the group is durable.
pub(super) type Deliver = Box<dyn FnOnce(bool) + Send>;

/// A group the writer has finished with.
pub(super) struct Group {
    pub committed: bool,
    /// Keys of the documents the group changed (repeats allowed).
    pub changed: Vec<String>,
    pub answers: Vec<Deliver>,
}

/// Where finished groups go: inline, or to the WAL sync thread.
pub(super) enum Settle {
    Inline(broadcast::Sender<String>),
    Synced(mpsc::Sender<Group>),
}

impl Settle {
    /// Moves WAL syncs to their own thread when `conn` is a WAL file (and sets
    /// `synchronous=NORMAL` so commits stop syncing themselves); otherwise inline.
    pub fn for_connection(conn: &Connection, changes: broadcast::Sender<String>) -> Settle {
        let Some(wal) = wal_path(conn) else {
            return Settle::Inline(changes);
        };
        let (tx, rx) = mpsc::channel::<Group>();
        let publish = changes.clone();
        let started = std::thread::Builder::new()
            .name("linli-wal-sync".into())
            .spawn(move || sync_loop(wal, rx, publish));
        match started {
            Ok(_) => match conn.pragma_update(None, "synchronous", "NORMAL") {
                Ok(()) => Settle::Synced(tx),
                // Still FULL: every commit is durable by itself; the thread only relays.
                Err(e) => {
                    tracing::warn!(error = %e, "could not set synchronous=NORMAL; commits stay FULL");
                    Settle::Synced(tx)
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "no WAL sync thread; commits stay FULL");
                Settle::Inline(changes)
            }
        }
    }

    pub fn settle(&self, group: Group) {
        match self {
            Settle::Inline(changes) => finish(changes, vec![group], true),
            Settle::Synced(tx) => {
                if let Err(mpsc::SendError(group)) = tx.send(group) {
                    // The sync thread is gone: nothing can be promised durable.
                    for a in group.answers {
                        a(false);
                    }
                }
            }
        }
    }
}

/// The WAL file of a file database in WAL mode.
fn wal_path(conn: &Connection) -> Option<PathBuf> {
    let db = conn.path().filter(|p| !p.is_empty())?;
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .ok()?;
    mode.eq_ignore_ascii_case("wal")
        .then(|| PathBuf::from(format!("{db}-wal")))
}

fn sync_loop(wal: PathBuf, rx: mpsc::Receiver<Group>, changes: broadcast::Sender<String>) {
    while let Ok(first) = rx.recv() {
        let mut groups = vec![first];
        groups.extend(rx.try_iter());
        let durable = !groups.iter().any(|g| g.committed) || sync(&wal);
        finish(&changes, groups, durable);
    }
}

/// fsyncs the WAL file: every frame written before this call is then on disk,
/// whichever connection wrote it.
fn sync(wal: &PathBuf) -> bool {
    match File::open(wal).and_then(|f| f.sync_data()) {
        Ok(()) => true,
        Err(e) => {
            // The callers hear "the commit failed"; a retried order finds itself by
            // its idempotency key if the frames did reach the disk after all.
            tracing::error!(error = %e, wal = %wal.display(), "syncing the WAL failed");
            false
        }
    }
}

/// Answers each group's callers and announces the documents durable groups changed.
fn finish(changes: &broadcast::Sender<String>, groups: Vec<Group>, durable: bool) {
    let mut keys = Vec::new();
    for g in groups {
        let kept = g.committed && durable;
        if kept {
            keys.extend(g.changed);
        }
        for a in g.answers {
            a(kept);
        }
    }
    if changes.receiver_count() == 0 {
        return;
    }
    keys.sort_unstable();
    keys.dedup();
    for k in keys {
        // No receiver left is not an error: nobody is connected.
        let _ = changes.send(k);
    }
}
