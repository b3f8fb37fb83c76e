//! Document storage: a snapshot chunk followed by incremental change chunks per
//! document, appended in the same transaction as the projection they produce.

use rusqlite::{params, OptionalExtension, Transaction};

use super::{doc_key, project, Loaded, Replica, ReplicaError};
use crate::doc::PointDayDoc;
use crate::ids::OrderId;

/// Incremental chunks kept before a document is rewritten as one snapshot.
const COMPACT_AFTER_CHUNKS: i64 = 200;

/// A document's key and whether it reads: `Err` holds the reason it is refused.
pub type DocumentHealth = (String, Result<(), String>);

/// What a write changed, so the projection patches only that.
pub(super) enum Touched {
    /// The whole day (a merge, a check, an acceptance).
    Day,
    /// One order (a handover).
    Order(OrderId),
    /// Some orders (a sync message that brought handovers, new orders, cancels).
    Orders(std::collections::BTreeSet<OrderId>),
    /// Nothing projected (an intake).
    Nothing,
}

impl Replica {
    /// Reads a document from its chunks. A corrupt document is refused with an error
    /// naming it; its rows are left exactly as they are.
    fn read_document(&self, key: &str) -> Result<Option<Loaded>, ReplicaError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT bytes FROM doc_chunks WHERE doc_key = ?1 ORDER BY seq")?;
        let mut bytes = Vec::new();
        let mut rows = stmt.query([key])?;
        let mut any = false;
        while let Some(row) = rows.next()? {
            any = true;
            bytes.extend_from_slice(row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?);
        }
        if !any {
            return Ok(None);
        }
        let doc = PointDayDoc::load(&bytes).map_err(|e| super::store_doc_err(key, e))?;
        let facts = doc.facts().map_err(|e| super::store_doc_err(key, e))?;
        Ok(Some(Loaded { doc, facts }))
    }

    /// Takes the document out of the cache (reading it if needed). The caller puts it
    /// back only after its transaction commits, so a failed write never leaves the
    /// cache ahead of the file.
    pub(super) fn take_document(&mut self, key: &str) -> Result<Option<Loaded>, ReplicaError> {
        if let Some(l) = self.loaded.remove(key) {
            return Ok(Some(l));
        }
        self.read_document(key)
    }

    /// Checks every stored document: `(doc_key, Ok | the reason it is refused)`.
    pub fn check_documents(&self) -> Result<Vec<DocumentHealth>, ReplicaError> {
        let keys: Vec<String> = self
            .conn
            .prepare("SELECT doc_key FROM documents ORDER BY doc_key")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(keys
            .into_iter()
            .map(|k| {
                let r = self
                    .read_document(&k)
                    .map(|_| ())
                    .map_err(|e| e.to_string());
                (k, r)
            })
            .collect())
    }

    /// Stores a change made to `loaded` (its unsaved part) and patches the projection,
    /// in one transaction. On success the document goes back into the cache.
    pub(super) fn commit_change(
        &mut self,
        key: &str,
        loaded: Loaded,
        new_document: bool,
        touched: Touched,
    ) -> Result<(), ReplicaError> {
        self.commit_change_and_sync_state(key, loaded, new_document, touched, None)
    }

    /// `commit_change`, also saving the document's persisted sync state (when given)
    /// in the same transaction.
    pub(super) fn commit_change_and_sync_state(
        &mut self,
        key: &str,
        mut loaded: Loaded,
        new_document: bool,
        touched: Touched,
        sync_state: Option<&[u8]>,
    ) -> Result<(), ReplicaError> {
        let chunk = if new_document {
            loaded.doc.save()
        } else {
            loaded.doc.save_incremental()
        };
        let tx = self.conn.transaction()?;
        if new_document {
            tx.execute(
                "INSERT INTO documents (doc_key, point_id, day) VALUES (?1, ?2, ?3)",
                params![key, loaded.facts.point.to_string(), loaded.facts.day],
            )?;
        }
        let chunks = append_chunk(&tx, key, &chunk)?;
        match touched {
            Touched::Day => project::project_day(&tx, key, &loaded.facts)?,
            Touched::Order(id) => project::project_orders(&tx, key, &loaded.facts, [&id])?,
            Touched::Orders(ids) => project::project_orders(&tx, key, &loaded.facts, &ids)?,
            Touched::Nothing => {}
        }
        if let Some(state) = sync_state {
            super::sync::save_sync_state(&tx, key, state)?;
        }
        if chunks > COMPACT_AFTER_CHUNKS {
            let snapshot = loaded.doc.save();
            tx.execute("DELETE FROM doc_chunks WHERE doc_key = ?1", [key])?;
            append_chunk(&tx, key, &snapshot)?;
        }
        tx.commit()?;
        self.loaded.insert(key.to_string(), loaded);
        Ok(())
    }

    /// Merges a document that arrived from the server or another device into the
    /// replica (or stores it if new), then re-projects that day.
    pub fn import_document(&mut self, bytes: &[u8]) -> Result<(), ReplicaError> {
        let me = self.enrolled()?.point;
        let mut incoming =
            PointDayDoc::load(bytes).map_err(|e| super::store_doc_err("(incoming)", e))?;
        let point = incoming
            .point()
            .map_err(|e| super::store_doc_err("(incoming)", e))?;
        let day = incoming
            .day()
            .map_err(|e| super::store_doc_err("(incoming)", e))?;
        if point != me {
            return Err(ReplicaError::WrongPoint(me));
        }
        let key = doc_key(point, &day);
        let (loaded, new_document) = match self.take_document(&key)? {
            Some(mut l) => {
                l.doc
                    .merge(&mut incoming)
                    .map_err(|e| super::store_doc_err(&key, e))?;
                l.facts = l.doc.facts().map_err(|e| super::store_doc_err(&key, e))?;
                (l, false)
            }
            None => {
                let facts = incoming
                    .facts()
                    .map_err(|e| super::store_doc_err(&key, e))?;
                (
                    Loaded {
                        doc: incoming,
                        facts,
                    },
                    true,
                )
            }
        };
        self.commit_change(&key, loaded, new_document, Touched::Day)
    }

    /// The whole saved document for `day`, as sent to a peer.
    pub fn export_document(&mut self, day: &str) -> Result<Vec<u8>, ReplicaError> {
        let key = doc_key(self.enrolled()?.point, day);
        let mut loaded = self
            .take_document(&key)?
            .ok_or_else(|| ReplicaError::NoSuchDay(day.to_string()))?;
        // `save` moves automerge's incremental cursor too: store that state first, so
        // the next incremental chunk written to the file is still complete.
        let pending = loaded.doc.save_incremental();
        if !pending.is_empty() {
            let tx = self.conn.transaction()?;
            append_chunk(&tx, &key, &pending)?;
            tx.commit()?;
        }
        let bytes = loaded.doc.save();
        self.loaded.insert(key, loaded);
        Ok(bytes)
    }

    /// The hydrated facts of one day, for derivations the projection does not hold.
    pub fn day_facts(&mut self, day: &str) -> Result<crate::point_day::PointDay, ReplicaError> {
        let key = doc_key(self.enrolled()?.point, day);
        let loaded = self
            .take_document(&key)?
            .ok_or_else(|| ReplicaError::NoSuchDay(day.to_string()))?;
        let facts = loaded.facts.clone();
        self.loaded.insert(key, loaded);
        Ok(facts)
    }
}

/// Appends a chunk; returns how many chunks the document now has.
fn append_chunk(tx: &Transaction<'_>, key: &str, bytes: &[u8]) -> Result<i64, ReplicaError> {
    let last: Option<i64> = tx
        .query_row(
            "SELECT max(seq) FROM doc_chunks WHERE doc_key = ?1",
            [key],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    if bytes.is_empty() {
        return Ok(last.map_or(0, |s| s + 1));
    }
    let seq = last.map_or(0, |s| s + 1);
    tx.execute(
        "INSERT INTO doc_chunks (doc_key, seq, bytes) VALUES (?1, ?2, ?3)",
        params![key, seq, bytes],
    )?;
    tx.query_row(
        "SELECT count(*) FROM doc_chunks WHERE doc_key = ?1",
        [key],
        |r| r.get(0),
    )
    .map_err(Into::into)
}
