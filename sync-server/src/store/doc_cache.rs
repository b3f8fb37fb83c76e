//! The point-day documents the writer keeps in memory, least recently used first
//! out. Every order and every device message works on one document; loading it from
//! its chunks each time would cost more than the job, so the writer keeps documents
//! between jobs. Unbounded, that cache held every document any job had touched
//! since the server started (about 95 KB for a 30-order day, measured with the
//! `devices` bench): weeks of days at 2,000 points would not fit.

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use automerge::ChangeHash;
use linli_core::doc::PointDayDoc;
use linli_core::point_day::PointDay;
use lru::LruCache;
use rusqlite::Connection;

use super::StoreError;

/// Documents kept after a group commits: today's and the next delivery day's
/// document at 2,000 points, with room to spare, so a busy day's orders never
/// reload their document.
pub(super) const CACHED_DOCS: usize = 4_096;

/// Point-day documents kept in memory by the writer, with the keys a job touched
/// so that a rolled-back job cannot leave a document ahead of the file.
pub(super) struct DocCache {
    /// Bounded only between groups (`trim`): a document a job of the current group
    /// touched may hold changes the group has not committed yet.
    docs: LruCache<String, PointDayDoc>,
    /// A document's hydrated facts and the heads they are of, kept by device sync
    /// so that the next message of a reconnect does not hydrate the day again. Only
    /// beside their document: every way a document leaves takes its facts too.
    facts: HashMap<String, (Vec<ChangeHash>, PointDay)>,
    touched: HashSet<String>,
    capacity: usize,
}

impl DocCache {
    pub fn new(capacity: usize) -> Self {
        DocCache {
            docs: LruCache::unbounded(),
            facts: HashMap::new(),
            touched: HashSet::new(),
            capacity,
        }
    }

    /// The document for `key`, from the cache or its chunks; `None` if it has none.
    pub fn get(
        &mut self,
        conn: &Connection,
        key: &str,
    ) -> Result<Option<&mut PointDayDoc>, StoreError> {
        self.touched.insert(key.to_string());
        if !self.docs.contains(key) {
            let Some(doc) = load_document(conn, key)? else {
                return Ok(None);
            };
            self.docs.put(key.to_string(), doc);
        }
        Ok(self.docs.get_mut(key))
    }

    pub fn insert(&mut self, key: &str, doc: PointDayDoc) -> &mut PointDayDoc {
        self.touched.insert(key.to_string());
        self.docs.get_or_insert_mut(key.to_string(), || doc)
    }

    /// The facts kept for `key` if they are of `heads` (any other write to the
    /// document since makes them stale, and they are dropped).
    pub fn take_facts(&mut self, key: &str, heads: &[ChangeHash]) -> Option<PointDay> {
        match self.facts.remove(key) {
            Some((at, facts)) if at == heads => Some(facts),
            _ => None,
        }
    }

    pub fn keep_facts(&mut self, key: &str, heads: Vec<ChangeHash>, facts: PointDay) {
        self.touched.insert(key.to_string());
        self.facts.insert(key.to_string(), (heads, facts));
    }

    /// A job's savepoint committed: what it touched stays as it is.
    pub(super) fn keep_touched(&mut self) {
        self.touched.clear();
    }

    /// A job rolled back: what it touched is dropped, to be loaded again from the file.
    pub(super) fn forget_touched(&mut self) {
        for k in self.touched.drain() {
            self.docs.pop(&k);
            self.facts.remove(&k);
        }
    }

    /// A group committed: the least recently used documents (and their facts) go
    /// until `capacity` are left; they are on disk.
    pub(super) fn trim(&mut self) {
        while self.docs.len() > self.capacity {
            match self.docs.pop_lru() {
                Some((key, _)) => {
                    self.facts.remove(&key);
                }
                None => break,
            }
        }
    }

    /// A group did not commit: nothing of it is on disk, so nothing is remembered.
    pub(super) fn clear(&mut self) {
        self.docs.clear();
        self.facts.clear();
        self.touched.clear();
    }
}

/// The document for `key` read from its chunks (the writer's cache, or a reader
/// that shows a day), or `None` if it has none.
pub(super) fn load_document(
    conn: &Connection,
    key: &str,
) -> Result<Option<PointDayDoc>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT bytes FROM doc_chunks WHERE doc_key = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([key])?;
    let mut bytes = Vec::new();
    while let Some(r) = rows.next()? {
        bytes.extend_from_slice(r.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?);
    }
    if bytes.is_empty() {
        return Ok(None);
    }
    // automerge has panicked on hostile input before; a panic here would stop the
    // writer, and every order with it. The bytes are ours, so a panic means a
    // corrupt document: refused with its key, the other documents unharmed.
    let loaded = catch_unwind(AssertUnwindSafe(|| {
        PointDayDoc::load(&bytes).map_err(Box::new)
    }))
    .map_err(|_| StoreError::Internal(format!("document {key}: automerge panicked loading it")))?;
    Ok(Some(loaded.map_err(|e| StoreError::from(*e))?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::writer::store_changes;
    use linli_core::ids::PointId;

    fn file() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE doc_chunks (doc_key TEXT NOT NULL, seq INTEGER NOT NULL,
                bytes BLOB NOT NULL, PRIMARY KEY (doc_key, seq))",
        )
        .unwrap();
        conn
    }

    /// A stored day for a new point; its key and heads.
    fn stored_day(conn: &Connection, cache: &mut DocCache) -> (String, Vec<ChangeHash>) {
        let point = PointId::new();
        let key = format!("{point}/2026-12-01");
        let doc = cache.insert(&key, PointDayDoc::genesis(point, "2026-12-01").unwrap());
        store_changes(conn, &key, doc, true).unwrap();
        let heads = doc.automerge().get_heads();
        (key, heads)
    }

    #[test]
    fn after_a_group_the_least_recently_used_documents_go_and_come_back_from_the_file() {
        let conn = file();
        let mut cache = DocCache::new(2);
        let (a, a_heads) = stored_day(&conn, &mut cache);
        let (b, _) = stored_day(&conn, &mut cache);
        let (c, _) = stored_day(&conn, &mut cache);
        let facts = cache.get(&conn, &a).unwrap().unwrap().facts().unwrap();
        cache.keep_facts(&a, a_heads.clone(), facts);
        // Within the group nothing goes, whatever the bound.
        assert_eq!(cache.docs.len(), 3);
        // b is used again, so a is the least recently used.
        cache.get(&conn, &b).unwrap().unwrap();
        cache.get(&conn, &c).unwrap().unwrap();
        cache.keep_touched();
        cache.trim();
        assert_eq!(cache.docs.len(), 2);
        assert!(!cache.docs.contains(&a) && cache.docs.contains(&b) && cache.docs.contains(&c));
        assert!(
            cache.take_facts(&a, &a_heads).is_none(),
            "facts go with their document"
        );
        // Loaded again from its chunks, the same document.
        let again = cache.get(&conn, &a).unwrap().unwrap();
        assert_eq!(again.automerge().get_heads(), a_heads);
    }

    #[test]
    fn a_group_that_did_not_commit_leaves_nothing_remembered() {
        let conn = file();
        let mut cache = DocCache::new(8);
        let (a, heads) = stored_day(&conn, &mut cache);
        let facts = cache.get(&conn, &a).unwrap().unwrap().facts().unwrap();
        cache.keep_facts(&a, heads, facts);
        cache.clear();
        assert_eq!(cache.docs.len(), 0);
        assert!(cache.facts.is_empty());
    }
}
