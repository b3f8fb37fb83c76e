//! The audit log in the embedded SQLite store: read on the readers, newest first.

use linli_core::audit::changes;
use linli_core::time::Millis;
use rusqlite::Row;
use serde_json::Value;

use super::audit::{Actor, AuditEntry, AuditFilter, AuditPage, AuditRecord, AuditStore};
use super::listing::{page, Filter};
use super::platform_store::PageRequest;
use super::{SqliteStore, StoreError};

const COLUMNS: &str =
    "id, at, actor, actor_name, action, target_kind, target_id, summary, before, after";

fn entry(r: &Row<'_>) -> Result<AuditEntry, StoreError> {
    let json = |i: usize| -> Result<Option<Value>, StoreError> {
        r.get::<_, Option<String>>(i)?
            .map(|t| {
                serde_json::from_str(&t)
                    .map_err(|e| StoreError::Internal(format!("audit entry JSON: {e}")))
            })
            .transpose()
    };
    let (before, after) = (json(8)?, json(9)?);
    Ok(AuditEntry {
        id: r.get(0)?,
        at: Millis(r.get(1)?),
        actor: r.get(2)?,
        actor_name: r.get(3)?,
        action: r.get(4)?,
        target_kind: r.get(5)?,
        target_id: r.get(6)?,
        summary: r.get(7)?,
        changes: changes(before.as_ref(), after.as_ref()),
        before,
        after,
    })
}

impl AuditStore for SqliteStore {
    async fn append_audit(&self, by: Actor, record: AuditRecord) -> Result<(), StoreError> {
        self.writer
            .run(move |conn, _| super::audit::append_audit(conn, &by, Millis::now(), &record))
            .await
    }

    async fn audit_log(&self, f: AuditFilter, req: PageRequest) -> Result<AuditPage, StoreError> {
        self.readers
            .run(move |conn| {
                // `order.` lists every action on orders; a whole name lists that one.
                let (exact, prefix) = match f.action {
                    Some(a) if a.ends_with('.') => (None, Some(a)),
                    other => (other, None),
                };
                let filter = Filter::new()
                    .eq("actor", f.actor)
                    .eq("action", exact)
                    .search(prefix.as_deref(), &[], &["action"], &[])
                    .eq("target_kind", f.target_kind)
                    .eq("target_id", f.target_id)
                    .at_least("at", f.from.map(|m| m.0))
                    .before("at", f.to.map(|m| m.0));
                let (items, total) =
                    page(conn, "audit_log", COLUMNS, "id DESC", &filter, req, entry)?;
                Ok(AuditPage {
                    items,
                    total,
                    limit: req.limit,
                    offset: req.offset,
                })
            })
            .await
    }
}
