//! The device's side of sync with the server. The driver's `Receive`/`Generate`
//! effects land here. A received message is applied to the stored document, and
//! the new chunk, the patched projection and the persisted sync state are written
//! in one transaction before the reply is made, so everything the device tells the
//! server it has is on disk. The sync state on disk (automerge's shared heads) is
//! what makes a reconnect, even after a restart, send only what the other side lacks.

use std::panic::{catch_unwind, AssertUnwindSafe};

use automerge::sync::{Message, State, SyncDoc};
use automerge::AutoCommit;
use rusqlite::{params, OptionalExtension, Transaction};

use super::store::Touched;
use super::{Loaded, Replica, ReplicaError};
use crate::doc::{DocError, PointDayDoc};
use crate::sync::{
    decode_sync_message, generate_sync_message, DeviceKey, DocKey, DocOutcome, DocRefusal,
    RefusalCode,
};

/// Sync with the server for one document during one connection. automerge's
/// `State` holds per-connection facts (what was sent, what is in flight) besides
/// the shared heads; only the latter are stored, and `begin_sync_session` drops the
/// rest when a new connection starts.
pub(super) struct SyncPeer {
    state: State,
    /// The encoded state as last stored, to skip rewriting an unchanged one.
    stored: Vec<u8>,
    /// A document the device does not hold yet: the server's first messages are
    /// applied to an empty one until it holds the point-day's identity and maps.
    fresh: Option<AutoCommit>,
}

impl Replica {
    /// This device's key pair: the stored one, or a new one drawn from the CSPRNG
    /// and stored now (its public half goes to the server at enrollment).
    pub fn device_key(&mut self) -> Result<DeviceKey, ReplicaError> {
        if let Some(key) = self.stored_device_key()? {
            return Ok(key);
        }
        let key = DeviceKey::generate();
        self.conn.execute(
            "INSERT INTO device_key (id, secret, created_at) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO NOTHING",
            params![key.secret_bytes().as_slice(), (self.clock)().0],
        )?;
        // Whatever is stored now is the key, even if another handle stored one first.
        self.stored_device_key()?
            .ok_or_else(|| ReplicaError::BadRow("device_key vanished after insert".into()))
    }

    fn stored_device_key(&self) -> Result<Option<DeviceKey>, ReplicaError> {
        let secret: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT secret FROM device_key WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        secret
            .map(|s| {
                let bytes: [u8; 32] = s
                    .try_into()
                    .map_err(|_| ReplicaError::BadRow("device_key.secret".into()))?;
                Ok(DeviceKey::from_secret_bytes(&bytes))
            })
            .transpose()
    }

    /// Call when a new connection to the server opens: the next message of each
    /// document starts from the stored sync state.
    pub fn begin_sync_session(&mut self) {
        self.sync.clear();
    }

    /// A sync message for the server about `key`, or `None` when there is nothing
    /// to say. Writes nothing: local changes are on disk already, and generating
    /// does not move the stored shared heads.
    pub fn generate_sync(&mut self, key: DocKey) -> Result<Option<Vec<u8>>, ReplicaError> {
        let k = self.sync_key(key)?;
        let mut peer = self.take_peer(&k)?;
        let message = match self.take_document(&k) {
            Ok(Some(mut loaded)) => {
                let m = generate_sync_message(loaded.doc.automerge(), &mut peer.state);
                self.loaded.insert(k.clone(), loaded);
                m.map_err(|source| encode_err(&k, source))
            }
            Ok(None) => generate_sync_message(
                peer.fresh.get_or_insert_with(AutoCommit::new),
                &mut peer.state,
            )
            .map_err(|source| encode_err(&k, source)),
            Err(e) => Err(e),
        };
        self.sync.insert(k, peer);
        message
    }

    /// Applies the server's sync message about `key` and returns the reply to send.
    ///
    /// Garbage, a message over the limits, or a document that turns out to be
    /// another point's or day's is refused and nothing is stored. Otherwise the new
    /// changes, the re-projected day and the sync state are committed together
    /// before this returns.
    pub fn receive_sync(
        &mut self,
        key: DocKey,
        message: &[u8],
    ) -> Result<Option<Vec<u8>>, ReplicaError> {
        let k = self.sync_key(key)?;
        let message = decode_sync_message(message).map_err(|source| ReplicaError::SyncMessage {
            key: k.clone(),
            source,
        })?;
        let mut peer = self.take_peer(&k)?;
        // On an error the peer is dropped, so the next use starts again from what
        // is stored; the connection closes on a refusal anyway.
        let reply = self.apply(key, &k, &mut peer, message)?;
        self.sync.insert(k, peer);
        Ok(reply)
    }

    fn apply(
        &mut self,
        key: DocKey,
        k: &str,
        peer: &mut SyncPeer,
        message: Message,
    ) -> Result<Option<Vec<u8>>, ReplicaError> {
        let Some(mut loaded) = self.take_document(k)? else {
            return self.apply_first(key, k, peer, message);
        };
        // Until the commit below, `loaded` is out of the cache: if anything fails the
        // document is read again from the file, never from a half-applied copy.
        let before = loaded.doc.automerge().get_heads();
        receive_guarded(k, loaded.doc.automerge(), &mut peer.state, message)?;
        let state = peer.state.encode();
        let after = loaded.doc.automerge().get_heads();
        if after != before {
            check_identity(&key, k, &loaded.doc)?;
            // Only what the message touched is read again and projected.
            let refreshed = loaded
                .doc
                .refresh_facts(&mut loaded.facts, &before, &after)
                .map_err(|e| super::store_doc_err(k, e))?;
            // A new order or a cancel moves a short line's allocation between orders.
            let touched = if refreshed.day || !loaded.facts.checks.is_empty() {
                Touched::Day
            } else {
                Touched::Orders(refreshed.orders)
            };
            self.commit_change_and_sync_state(k, loaded, false, touched, Some(&state))?;
        } else {
            self.loaded.insert(k.to_string(), loaded);
            if state != peer.stored {
                let tx = self.conn.transaction()?;
                save_sync_state(&tx, k, &state)?;
                tx.commit()?;
            }
        }
        peer.stored = state;
        self.reply(k, peer)
    }

    /// The first contact with a document: apply to an empty one, and store it only
    /// once it reads as this point-day.
    fn apply_first(
        &mut self,
        key: DocKey,
        k: &str,
        peer: &mut SyncPeer,
        message: Message,
    ) -> Result<Option<Vec<u8>>, ReplicaError> {
        let mut fresh = peer.fresh.take().unwrap_or_default();
        receive_guarded(k, &mut fresh, &mut peer.state, message)?;
        if fresh.get_heads().is_empty() {
            let reply = generate_sync_message(&mut fresh, &mut peer.state)
                .map_err(|source| encode_err(k, source));
            peer.fresh = Some(fresh);
            return reply;
        }
        let doc = PointDayDoc::load_for(&fresh.save(), key.point(), &key.day_string())
            .map_err(|e| super::store_doc_err(k, e))?;
        let facts = doc.facts().map_err(|e| super::store_doc_err(k, e))?;
        let state = peer.state.encode();
        self.commit_change_and_sync_state(
            k,
            Loaded { doc, facts },
            true,
            Touched::Day,
            Some(&state),
        )?;
        peer.stored = state;
        self.reply(k, peer)
    }

    /// The reply, made from the committed document in the cache.
    fn reply(&mut self, k: &str, peer: &mut SyncPeer) -> Result<Option<Vec<u8>>, ReplicaError> {
        let loaded = self
            .loaded
            .get_mut(k)
            .ok_or_else(|| ReplicaError::NoSuchDay(k.to_string()))?;
        generate_sync_message(loaded.doc.automerge(), &mut peer.state)
            .map_err(|source| encode_err(k, source))
    }

    /// The documents holding changes the server has not acknowledged (the app's
    /// "not yet synced" badge): those whose heads are not all among the heads the
    /// stored sync state says the server has.
    pub fn pending_changes(&mut self) -> Result<Vec<DocKey>, ReplicaError> {
        let keys: Vec<String> = self
            .conn
            .prepare("SELECT doc_key FROM documents ORDER BY doc_key")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut pending = Vec::new();
        for k in keys {
            let key = DocKey::parse(&k)
                .map_err(|e| ReplicaError::BadRow(format!("documents.doc_key: {e}")))?;
            let shared = match self.sync.get(&k) {
                Some(peer) => peer.state.shared_heads.clone(),
                None => stored_state(&self.conn, &k)?.0.shared_heads,
            };
            let Some(mut loaded) = self.take_document(&k)? else {
                continue;
            };
            let heads = loaded.doc.automerge().get_heads();
            self.loaded.insert(k, loaded);
            // Every head of ours that the server has is one of the shared heads (a
            // shared head is one both sides hold, and nothing of ours descends from
            // our own heads), so this is exact.
            if !heads.iter().all(|h| shared.contains(h)) {
                pending.push(key);
            }
        }
        Ok(pending)
    }

    /// The key as stored, after checking it is this device's point.
    fn sync_key(&self, key: DocKey) -> Result<String, ReplicaError> {
        let me = self.enrolled()?.point;
        if key.point() != me {
            return Err(ReplicaError::WrongPoint(me));
        }
        Ok(key.to_string())
    }

    fn take_peer(&mut self, k: &str) -> Result<SyncPeer, ReplicaError> {
        if let Some(peer) = self.sync.remove(k) {
            return Ok(peer);
        }
        let (state, stored) = stored_state(&self.conn, k)?;
        Ok(SyncPeer {
            state,
            stored,
            fresh: None,
        })
    }
}

fn encode_err(k: &str, source: crate::sync::SyncMessageError) -> ReplicaError {
    ReplicaError::SyncEncode {
        key: k.to_string(),
        source,
    }
}

/// The stored sync state (or a new one) and its stored bytes. A state that does
/// not decode is dropped rather than refused: it only saves bandwidth, and a new
/// one re-syncs fully.
fn stored_state(conn: &rusqlite::Connection, k: &str) -> Result<(State, Vec<u8>), ReplicaError> {
    let stored: Vec<u8> = conn
        .query_row(
            "SELECT state FROM sync_states WHERE doc_key = ?1",
            [k],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_default();
    let state = State::decode(&stored).unwrap_or_default();
    Ok((state, stored))
}

pub(super) fn save_sync_state(
    tx: &Transaction<'_>,
    key: &str,
    state: &[u8],
) -> Result<(), ReplicaError> {
    tx.execute(
        "INSERT INTO sync_states (doc_key, state) VALUES (?1, ?2)
         ON CONFLICT (doc_key) DO UPDATE SET state = ?2",
        params![key, state],
    )?;
    Ok(())
}

/// Applies a message. automerge 0.12 returns errors for the malformed changes we
/// know of, but a panic on hostile bytes must not take the counter app down with it:
/// it is caught and reported like any refused message (the caller drops the document
/// copy it was applied to).
fn receive_guarded(
    k: &str,
    doc: &mut AutoCommit,
    state: &mut State,
    message: Message,
) -> Result<(), ReplicaError> {
    let applied = catch_unwind(AssertUnwindSafe(|| {
        doc.sync().receive_sync_message(state, message)
    }));
    match applied {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(ReplicaError::SyncApply {
            key: k.to_string(),
            reason: e.to_string(),
        }),
        Err(_) => Err(ReplicaError::SyncApply {
            key: k.to_string(),
            reason: "automerge panicked on it".into(),
        }),
    }
}

/// A stored document must still be the point-day its key names after a merge.
fn check_identity(key: &DocKey, k: &str, doc: &PointDayDoc) -> Result<(), ReplicaError> {
    let found = doc.point().map_err(|e| super::store_doc_err(k, e))?;
    let found_day = doc.day().map_err(|e| super::store_doc_err(k, e))?;
    if found != key.point() || found_day != key.day_string() {
        return Err(super::store_doc_err(
            k,
            DocError::WrongDocument {
                expected: key.point(),
                expected_day: key.day_string(),
                found,
                found_day,
            },
        ));
    }
    Ok(())
}

/// The answer a driver feeds back to `ClientSession` for a `Receive`/`Generate`:
/// what the server sent that the replica refuses is a refusal (alert, no retry);
/// the replica's own failures are failures (retry on the next connection).
pub fn sync_outcome(result: Result<Option<Vec<u8>>, ReplicaError>) -> DocOutcome {
    result.map_err(|e| {
        let reason = e.to_string();
        let code = match &e {
            ReplicaError::WrongPoint(_) => RefusalCode::OtherPoint,
            ReplicaError::Document { source, .. }
                if matches!(**source, DocError::WrongDocument { .. }) =>
            {
                RefusalCode::OtherPoint
            }
            ReplicaError::SyncMessage { .. }
            | ReplicaError::SyncApply { .. }
            | ReplicaError::Document { .. } => RefusalCode::BadSyncMessage,
            _ => return DocRefusal::Failed { reason },
        };
        DocRefusal::Refused { code, reason }
    })
}
