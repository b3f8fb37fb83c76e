//! The audit log (操作日志): every staff action that changes data appends one
//! entry — who, when, what, the record before and after — in the same writer job
//! as the change, so an entry exists exactly when the change does. Entries are
//! never changed or removed (the table's triggers refuse it).

use std::future::Future;

use linli_core::audit::FieldChange;
use linli_core::time::Millis;
use rusqlite::{params, Connection};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::platform_store::PageRequest;
use super::StoreError;

/// The member of staff doing something: stamped on the audit entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub id: String,
    pub name: String,
}

impl Actor {
    /// `linli-sync-server add-staff` at the server's command line.
    pub fn command_line() -> Actor {
        Actor {
            id: "command-line".into(),
            name: "命令行 (add-staff)".into(),
        }
    }

    /// `linli-sync-server demo` seeding its city.
    pub fn demo_seed() -> Actor {
        Actor {
            id: "demo-seed".into(),
            name: "演示数据".into(),
        }
    }
}

/// What one action did to one record. `action` is `<record>.<verb>`, e.g.
/// `product.update`, `order.refund`, `withdrawal.approve`.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRecord {
    pub action: &'static str,
    pub target_kind: &'static str,
    pub target_id: String,
    /// One line for the list, in the staff's words (Chinese first).
    pub summary: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl AuditRecord {
    pub fn new(
        action: &'static str,
        target_kind: &'static str,
        target_id: impl Into<String>,
        summary: impl Into<String>,
    ) -> Self {
        AuditRecord {
            action,
            target_kind,
            target_id: target_id.into(),
            summary: summary.into(),
            before: None,
            after: None,
        }
    }

    /// The record before and after, as their JSON (what the API shows of them).
    pub fn states(
        mut self,
        before: Option<&impl Serialize>,
        after: Option<&impl Serialize>,
    ) -> Self {
        self.before = before.and_then(|b| serde_json::to_value(b).ok());
        self.after = after.and_then(|a| serde_json::to_value(a).ok());
        self
    }
}

/// One entry as the audit screen lists it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Increasing in the order entries were appended.
    pub id: i64,
    #[schema(value_type = i64)]
    pub at: Millis,
    pub actor: String,
    pub actor_name: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub summary: String,
    /// The fields that differ between before and after (`linli_core::audit::changes`).
    pub changes: Vec<FieldChange>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
}

/// One page of the audit log, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// An action (`order.refund`) or a record kind's prefix (`order.`).
    pub action: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<Millis>,
    /// Exclusive.
    pub to: Option<Millis>,
}

pub trait AuditStore {
    /// Appends one entry on its own, after the change it records was made
    /// (creations, whose record is the answer itself). Edits that have a before
    /// append inside their own step instead.
    fn append_audit(
        &self,
        by: Actor,
        record: AuditRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn audit_log(
        &self,
        filter: AuditFilter,
        page: PageRequest,
    ) -> impl Future<Output = Result<AuditPage, StoreError>> + Send;
}

/// The actor for a staff id as stored (its display name), or the id itself for
/// one that is not a staff account (a device filing a withdrawal).
pub(super) fn actor_named(conn: &Connection, id: &str) -> Result<Actor, StoreError> {
    let name: Option<String> = conn
        .prepare_cached("SELECT name FROM staff WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    Ok(Actor {
        id: id.to_string(),
        name: name.unwrap_or_else(|| id.to_string()),
    })
}

/// Appends an entry inside the caller's writer job.
pub(super) fn append_audit(
    conn: &Connection,
    actor: &Actor,
    at: Millis,
    record: &AuditRecord,
) -> Result<(), StoreError> {
    let json = |v: &Option<Value>| v.as_ref().map(Value::to_string);
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor, actor_name, action, target_kind, target_id, summary,
            before, after)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        at.0,
        actor.id,
        actor.name,
        record.action,
        record.target_kind,
        record.target_id,
        record.summary,
        json(&record.before),
        json(&record.after),
    ])?;
    Ok(())
}
