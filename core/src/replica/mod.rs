//! The counter's replica: one SQLite file (WAL, foreign keys on, synchronous FULL)
//! holding the point-day documents and the tables projected from them. Every write
//! stores the document change and patches the projection in one transaction, so a
//! power cut at any instant leaves both consistent, and an action the caller saw
//! succeed survives it.

mod actions;
mod project;
mod pulled;
mod queries;
mod store;
mod sync;

use std::collections::HashMap;
use std::path::Path;

use include_dir::{include_dir, Dir};
use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::Migrations;

pub use actions::HandoverReceipt;
pub use pulled::{pull_outcome, LedgerTotals, WithdrawalRow};
pub use queries::{
    CommissionSummary, DayCounts, HandledConflict, OrderCard, OrderCardLine, OrderList, OrderRow,
};
pub use store::DocumentHealth;
pub use sync::sync_outcome;

use crate::doc::{DocError, PointDayDoc};
use crate::handover::HandoverLineError;
use crate::ids::{DeviceId, PointId};
use crate::pickup::PickupRefusal;
use crate::pickup_code::CodeKey;
use crate::point_day::PointDay;
use crate::time::Millis;

static MIGRATIONS_DIR: Dir = include_dir!("$CARGO_MANIFEST_DIR/../migrations/device");

/// Who this device is: its point, its own id, the leader signed in, and the point's
/// code key (from enrollment).
#[derive(Clone, Debug)]
pub struct DeviceIdentity {
    pub point: PointId,
    pub device: DeviceId,
    pub leader: String,
    pub code_key: CodeKey,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    #[error("the replica database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the replica schema could not be brought up to date: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("document {key}: {source}")]
    Document {
        key: String,
        #[source]
        source: Box<DocError>,
    },
    #[error("this device is not enrolled at a pickup point yet")]
    NotEnrolled,
    #[error("this device is enrolled at point {0}; it cannot take documents of another point")]
    WrongPoint(PointId),
    #[error("the replica holds a value it cannot read: {0}")]
    BadRow(String),
    #[error(transparent)]
    Pickup(#[from] PickupRefusal),
    #[error(transparent)]
    Handover(#[from] HandoverLineError),
    #[error(transparent)]
    Check(#[from] crate::delivery::CheckError),
    #[error(transparent)]
    Intake(#[from] crate::after_sale::IntakeError),
    #[error("there is no delivery for {0} at this point")]
    NoSuchDay(String),
    #[error(transparent)]
    Resolution(#[from] crate::resolution::ResolutionError),
    #[error("the delivery for {0} is already accepted")]
    AlreadyAccepted(String),
    #[error("document {key}: {source}")]
    SyncMessage {
        key: String,
        #[source]
        source: crate::sync::SyncMessageError,
    },
    #[error("document {key}: the sync message could not be applied: {reason}")]
    SyncApply { key: String, reason: String },
    #[error("the server's {what} pull does not check out: {reason}")]
    BadPull { what: &'static str, reason: String },
    /// Ours, not the server's: a message for the server could not be made.
    #[error("document {key}: could not make a sync message: {source}")]
    SyncEncode {
        key: String,
        #[source]
        source: crate::sync::SyncMessageError,
    },
}

/// A loaded document with its hydrated facts, kept so that a counter action does
/// not re-read the day from disk.
struct Loaded {
    doc: PointDayDoc,
    facts: PointDay,
}

pub struct Replica {
    conn: Connection,
    identity: Option<DeviceIdentity>,
    loaded: HashMap<String, Loaded>,
    /// Sync with the server, per document, for the current connection.
    sync: HashMap<String, sync::SyncPeer>,
    /// The time counter events are stamped with; tests set it.
    clock: fn() -> Millis,
}

fn store_doc_err(key: &str, source: DocError) -> ReplicaError {
    ReplicaError::Document {
        key: key.to_string(),
        source: Box::new(source),
    }
}

fn doc_key(point: PointId, day: &str) -> String {
    format!("{point}/{day}")
}

impl Replica {
    /// Opens (or creates) the replica file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, ReplicaError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Migrations::from_directory(&MIGRATIONS_DIR)?.to_latest(&mut conn)?;
        let identity = load_identity(&conn)?;
        Ok(Replica {
            conn,
            identity,
            loaded: HashMap::new(),
            sync: HashMap::new(),
            clock: Millis::now,
        })
    }

    /// Records who this device is. Refuses to move an enrolled replica to another point.
    pub fn enroll(&mut self, identity: DeviceIdentity) -> Result<(), ReplicaError> {
        if let Some(current) = &self.identity {
            if current.point != identity.point {
                return Err(ReplicaError::WrongPoint(current.point));
            }
        }
        self.conn.execute(
            "INSERT INTO device_identity (id, point_id, device_id, leader, code_key)
             VALUES (1, ?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET device_id = ?2, leader = ?3, code_key = ?4",
            params![
                identity.point.to_string(),
                identity.device.to_string(),
                identity.leader,
                identity.code_key.as_bytes().as_slice()
            ],
        )?;
        self.identity = Some(identity);
        Ok(())
    }

    /// Replaces the clock that stamps counter events (for tests and simulations).
    pub fn set_clock(&mut self, clock: fn() -> Millis) {
        self.clock = clock;
    }

    pub fn identity(&self) -> Option<&DeviceIdentity> {
        self.identity.as_ref()
    }

    fn enrolled(&self) -> Result<&DeviceIdentity, ReplicaError> {
        self.identity.as_ref().ok_or(ReplicaError::NotEnrolled)
    }

    /// Runs SQLite's own integrity check; `Ok(())` when it answers "ok".
    pub fn integrity_check(&self) -> Result<Vec<String>, ReplicaError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

fn load_identity(conn: &Connection) -> Result<Option<DeviceIdentity>, ReplicaError> {
    let row = conn
        .query_row(
            "SELECT point_id, device_id, leader, code_key FROM device_identity WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((point, device, leader, key)) = row else {
        return Ok(None);
    };
    let bad = |what: &str| ReplicaError::BadRow(format!("device_identity.{what}"));
    Ok(Some(DeviceIdentity {
        point: point.parse().map_err(|_| bad("point_id"))?,
        device: device.parse().map_err(|_| bad("device_id"))?,
        leader,
        code_key: CodeKey::from_bytes(key.try_into().map_err(|_| bad("code_key"))?),
    }))
}
