//! Staff actions done once however often they are sent. The admin web sends an
//! `Idempotency-Key` with every action; for those that move money or stock the
//! writer job looks the key up first and, if this member of staff already used it
//! for the same request, answers what it answered then — a double click, or a
//! retry after a lost answer, does nothing twice. The answer is kept in the same
//! job as the action, so "done" and "remembered" commit together.

use rusqlite::{params, Connection};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::StoreError;

/// The longest key accepted (a UUID is 36).
pub const MAX_KEY_CHARS: usize = 100;

/// One keyed request of one member of staff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffRequest {
    pub staff: String,
    pub key: String,
    pub action: &'static str,
    /// SHA-256 of the action and what it was asked with.
    pub request_hash: String,
}

impl StaffRequest {
    /// `what` is everything the action was asked with (ids and body), so the same
    /// key sent with a different request is told apart.
    pub fn new(staff: &str, key: &str, action: &'static str, what: &impl Serialize) -> Self {
        let mut h = Sha256::new();
        h.update(action.as_bytes());
        h.update([0]);
        h.update(serde_json::to_vec(what).unwrap_or_default());
        StaffRequest {
            staff: staff.to_string(),
            key: key.to_string(),
            action,
            request_hash: hex::encode(h.finalize()),
        }
    }
}

/// A key is 1–100 printable ASCII characters.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_CHARS && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The answer given to this request before, if any. The same key with another
/// request is refused (`KeyReused`): it is a client's mistake, not a retry.
pub(super) fn replayed<T: DeserializeOwned>(
    conn: &Connection,
    req: &StaffRequest,
) -> Result<Option<T>, StoreError> {
    let row: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT request_hash, answer FROM staff_requests WHERE staff_id = ?1 AND key = ?2",
        )?
        .query_row(params![req.staff, req.key], |r| Ok((r.get(0)?, r.get(1)?)))
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    match row {
        None => Ok(None),
        Some((hash, _)) if hash != req.request_hash => Err(StoreError::KeyReused),
        Some((_, answer)) => serde_json::from_str(&answer)
            .map(Some)
            .map_err(|e| StoreError::Internal(format!("a kept answer does not read back: {e}"))),
    }
}

/// Keeps the answer of a request just done, in the same job.
pub(super) fn remember<T: Serialize>(
    conn: &Connection,
    req: &StaffRequest,
    answer: &T,
    at: linli_core::time::Millis,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(answer)
        .map_err(|e| StoreError::Internal(format!("an answer does not serialize: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO staff_requests (staff_id, key, action, request_hash, answer, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        req.staff,
        req.key,
        req.action,
        req.request_hash,
        json,
        at.0
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::writer::optional;
    use super::*;
    use linli_core::time::Millis;

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("server.sqlite3")).unwrap();
        (dir, conn)
    }

    #[test]
    fn the_same_request_replays_and_another_with_the_key_is_refused() {
        let (_dir, c) = db();
        let req = StaffRequest::new("s1", "k-1", "order.refund", &("o1", 3));
        assert_eq!(replayed::<u32>(&c, &req).unwrap(), None);
        remember(&c, &req, &42u32, Millis(1)).unwrap();
        let kept: Option<i64> = optional(
            &c,
            "SELECT 1 FROM staff_requests WHERE staff_id = 's1' AND key = 'k-1'",
            [],
        )
        .unwrap();
        assert_eq!(kept, Some(1));
        assert_eq!(replayed::<u32>(&c, &req).unwrap(), Some(42));
        let other = StaffRequest::new("s1", "k-1", "order.refund", &("o1", 4));
        assert!(matches!(
            replayed::<u32>(&c, &other),
            Err(StoreError::KeyReused)
        ));
        // Keys are per member of staff.
        let theirs = StaffRequest::new("s2", "k-1", "order.refund", &("o1", 4));
        assert_eq!(replayed::<u32>(&c, &theirs).unwrap(), None);
    }

    #[test]
    fn keys_are_short_printable_text() {
        assert!(valid_key("0190c5d2-7a1b-7c3e-9f00-123456789abc"));
        assert!(!valid_key(""));
        assert!(!valid_key("has space"));
        assert!(!valid_key(&"k".repeat(101)));
        assert!(!valid_key("键"));
    }
}
