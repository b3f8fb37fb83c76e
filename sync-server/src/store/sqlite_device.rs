//! `DeviceStore` on the embedded SQLite file: enrollment codes (see
//! `enrollment_code` for how they are drawn and kept), devices, the refusal log and
//! persisted sync states. The sync jobs themselves are in `sqlite_sync`.

use ed25519_dalek::VerifyingKey;
use linli_core::catalog::FieldError;
use linli_core::ids::{DeviceId, PointId};
use linli_core::time::Millis;
use rusqlite::{params, Connection, OptionalExtension};

use super::device::{
    Device, DeviceStatus, DeviceStore, EnrollError, EnrolledDevice, Enrollment, EnrollmentCode,
    RefusalRecord, SyncDevice, SyncRefusal, SyncSession, MAX_CODE_VALID_FOR_MS, MAX_LABEL_CHARS,
};
use super::enrollment_code::{code_digest, draw_code, enrollment_key, normalize_code, shown};
use super::sqlite_sync::{generate_job, load_state, receive_job, save_state};
use super::writer::optional;
use super::{PointStatus, SqliteStore, StoreError};

/// The point's status, or `NotFound`.
fn point_status(conn: &Connection, point: PointId) -> Result<String, StoreError> {
    optional(
        conn,
        "SELECT status FROM points WHERE id = ?1",
        [point.to_string()],
    )?
    .ok_or_else(|| StoreError::NotFound(format!("pickup point {point}")))
}

fn create_code(
    conn: &Connection,
    point: PointId,
    by: &str,
    at: Millis,
    valid_for_ms: i64,
) -> Result<EnrollmentCode, StoreError> {
    if point_status(conn, point)? != PointStatus::Approved.as_str() {
        return Err(StoreError::PointNotApproved(point));
    }
    let key = enrollment_key(conn)?;
    // A clash of two live 49-bit codes is all but impossible; the UNIQUE digest
    // would refuse one all the same, so draw again rather than fail.
    let (code, digest) = loop {
        let code = draw_code();
        let digest = code_digest(&key, &code)?;
        let taken = optional::<i64>(
            conn,
            "SELECT 1 FROM enrollment_codes WHERE digest = ?1",
            [&digest],
        )?;
        if taken.is_none() {
            break (code, digest);
        }
    };
    let expires_at = Millis(at.0.saturating_add(valid_for_ms));
    conn.prepare_cached(
        "INSERT INTO enrollment_codes (id, digest, point_id, created_by, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        uuid::Uuid::now_v7().to_string(),
        digest,
        point.to_string(),
        by,
        at.0,
        expires_at.0
    ])?;
    Ok(EnrollmentCode {
        code: shown(&code),
        point,
        expires_at,
    })
}

/// Checks what can be checked without the database: the key is an ed25519 public
/// key (32 bytes, a point on the curve) and the label fits.
fn check_enrollment(e: &Enrollment) -> Result<(String, [u8; 32]), EnrollError> {
    let key: [u8; 32] = e.public_key.as_slice().try_into().map_err(|_| {
        EnrollError::BadKey(format!(
            "an ed25519 public key is 32 bytes; this one is {}",
            e.public_key.len()
        ))
    })?;
    VerifyingKey::from_bytes(&key)
        .map_err(|_| EnrollError::BadKey("these 32 bytes are not an ed25519 public key".into()))?;
    let label = e.label.trim();
    let n = label.chars().count();
    if n == 0 || n > MAX_LABEL_CHARS {
        return Err(EnrollError::Invalid(vec![FieldError::new(
            "label",
            format!("must be 1–{MAX_LABEL_CHARS} characters"),
        )]));
    }
    Ok((label.to_string(), key))
}

fn enroll(
    conn: &Connection,
    code: &str,
    public_key: [u8; 32],
    label: &str,
    at: Millis,
) -> Result<Result<EnrolledDevice, EnrollError>, StoreError> {
    let digest = code_digest(&enrollment_key(conn)?, code)?;
    let row = conn
        .prepare_cached(
            "SELECT id, point_id, created_by, expires_at, used_at FROM enrollment_codes
             WHERE digest = ?1",
        )?
        .query_row([&digest], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<i64>>(4)?,
            ))
        })
        .optional()?;
    let Some((code_id, point, issued_by, expires_at, used_at)) = row else {
        return Ok(Err(EnrollError::UnknownCode));
    };
    if used_at.is_some() {
        return Ok(Err(EnrollError::CodeUsed));
    }
    if at.0 >= expires_at {
        return Ok(Err(EnrollError::CodeExpired(Millis(expires_at))));
    }
    let point: PointId = point
        .parse()
        .map_err(|_| StoreError::Internal(format!("stored point id '{point}' is not an id")))?;
    let (status, point_name, code_key): (String, String, Vec<u8>) = conn
        .prepare_cached("SELECT status, name, code_key FROM points WHERE id = ?1")?
        .query_row([point.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    if status != PointStatus::Approved.as_str() {
        return Ok(Err(EnrollError::PointNotApproved(point)));
    }
    let taken = optional::<i64>(
        conn,
        "SELECT 1 FROM devices WHERE public_key = ?1",
        [public_key.as_slice()],
    )?;
    if taken.is_some() {
        return Ok(Err(EnrollError::KeyTaken));
    }
    let device = DeviceId::new();
    conn.prepare_cached(
        "INSERT INTO devices (id, point_id, public_key, label, enrolled_at, enrolled_by, enrolled_with)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        device.to_string(),
        point.to_string(),
        public_key.as_slice(),
        label,
        at.0,
        issued_by,
        code_id
    ])?;
    // Spent in the same step as the device is made: the writer runs one job at a
    // time, and the `used_at IS NULL` guard would catch a second spender anyway.
    let spent = conn
        .prepare_cached(
            "UPDATE enrollment_codes SET used_at = ?2, used_by_device = ?3
             WHERE id = ?1 AND used_at IS NULL",
        )?
        .execute(params![code_id, at.0, device.to_string()])?;
    if spent != 1 {
        return Err(StoreError::Internal(format!(
            "enrollment code {code_id} was spent twice"
        )));
    }
    Ok(Ok(EnrolledDevice {
        device,
        point,
        point_name,
        code_key: hex::encode(code_key),
        server_time: at,
    }))
}

const DEVICE_COLUMNS: &str =
    "id, point_id, label, public_key, enrolled_at, enrolled_by, revoked_at,
    revoked_by, last_seen_at";

fn device_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Device, String, String)> {
    let revoked_at: Option<i64> = r.get(6)?;
    let key: Vec<u8> = r.get(3)?;
    Ok((
        Device {
            // Checked in `checked_device`.
            id: DeviceId(uuid::Uuid::nil()),
            point: PointId(uuid::Uuid::nil()),
            label: r.get(2)?,
            public_key: hex::encode(key),
            status: if revoked_at.is_some() {
                DeviceStatus::Revoked
            } else {
                DeviceStatus::Active
            },
            enrolled_at: Millis(r.get(4)?),
            enrolled_by: r.get(5)?,
            revoked_at: revoked_at.map(Millis),
            revoked_by: r.get(7)?,
            last_seen_at: r.get::<_, Option<i64>>(8)?.map(Millis),
        },
        r.get(0)?,
        r.get(1)?,
    ))
}

fn checked_device((mut d, id, point): (Device, String, String)) -> Result<Device, StoreError> {
    let bad =
        |what: &str, v: &str| StoreError::Internal(format!("stored {what} '{v}' is not an id"));
    d.id = id.parse().map_err(|_| bad("device id", &id))?;
    d.point = point.parse().map_err(|_| bad("point id", &point))?;
    Ok(d)
}

fn load_device(conn: &Connection, id: DeviceId) -> Result<Device, StoreError> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"
        ))?
        .query_row([id.to_string()], device_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("device {id}")))?;
    checked_device(row)
}

/// The device if it may sync: enrolled and not revoked.
pub(super) fn active_device(conn: &Connection, id: DeviceId) -> Result<SyncDevice, SyncRefusal> {
    let device = match load_device(conn, id) {
        Err(StoreError::NotFound(_)) => return Err(SyncRefusal::UnknownDevice(id)),
        other => other?,
    };
    if device.status == DeviceStatus::Revoked {
        return Err(SyncRefusal::Revoked(id));
    }
    let key = hex::decode(&device.public_key)
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or_else(|| StoreError::Internal(format!("device {id}: stored key is not 32 bytes")))?;
    Ok(SyncDevice {
        id,
        point: device.point,
        public_key: key,
        label: device.label,
    })
}

pub(super) fn insert_refusal(conn: &Connection, r: &RefusalRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO sync_refusals (device_id, point_id, doc_key, reason, detail, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        r.device.map(|d| d.to_string()),
        r.point.map(|p| p.to_string()),
        r.doc_key,
        r.reason,
        r.detail,
        r.at.0
    ])?;
    Ok(())
}

impl SqliteStore {
    /// Logs a refusal of a sync job (after its rollback, in a job of its own) and
    /// hands it back. Failures of the server itself are not the device's doing
    /// and are only traced.
    async fn logged(&self, device: &SyncDevice, doc_key: &str, r: SyncRefusal) -> SyncRefusal {
        if !r.is_device_fault() {
            tracing::error!(device = %device.id, doc_key, error = %r, "device sync failed");
            return r;
        }
        let record = RefusalRecord {
            device: Some(device.id),
            point: Some(device.point),
            doc_key: Some(doc_key.to_string()),
            reason: r.code().to_string(),
            detail: r.to_string(),
            at: Millis::now(),
        };
        if let Err(e) = self.record_sync_refusal(record).await {
            tracing::error!(device = %device.id, error = %e, "could not log a sync refusal");
        }
        r
    }
}

impl DeviceStore for SqliteStore {
    async fn create_enrollment_code(
        &self,
        point: PointId,
        by: String,
        at: Millis,
        valid_for_ms: i64,
    ) -> Result<EnrollmentCode, StoreError> {
        if !(1..=MAX_CODE_VALID_FOR_MS).contains(&valid_for_ms) {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "valid_hours",
                "a code lives from 1 hour to 7 days",
            )]));
        }
        self.writer
            .run(move |conn, _| create_code(conn, point, &by, at, valid_for_ms))
            .await
    }

    async fn enroll_device(
        &self,
        e: Enrollment,
        at: Millis,
    ) -> Result<EnrolledDevice, EnrollError> {
        let (label, key) = check_enrollment(&e)?;
        // Not even a possible code: answered like an unknown one, without a lookup.
        let code = normalize_code(&e.code).ok_or(EnrollError::UnknownCode)?;
        let enrolled = self
            .writer
            .run(move |conn, _| enroll(conn, &code, key, &label, at))
            .await??;
        tracing::info!(device = %enrolled.device, point = %enrolled.point, "device enrolled");
        Ok(enrolled)
    }

    async fn point_devices(&self, point: PointId) -> Result<Vec<Device>, StoreError> {
        self.writer
            .run(move |conn, _| {
                point_status(conn, point)?;
                let devices = conn
                    .prepare_cached(&format!(
                        "SELECT {DEVICE_COLUMNS} FROM devices WHERE point_id = ?1 ORDER BY enrolled_at, id"
                    ))?
                    .query_map([point.to_string()], device_row)?
                    .map(|r| checked_device(r?))
                    .collect::<Result<Vec<_>, StoreError>>()?;
                Ok(devices)
            })
            .await
    }

    async fn revoke_device(
        &self,
        device: DeviceId,
        by: String,
        at: Millis,
    ) -> Result<Device, StoreError> {
        let revoked = self
            .writer
            .run(move |conn, _| {
                conn.prepare_cached(
                    "UPDATE devices SET revoked_at = ?2, revoked_by = ?3
                     WHERE id = ?1 AND revoked_at IS NULL",
                )?
                .execute(params![device.to_string(), at.0, by])?;
                load_device(conn, device)
            })
            .await?;
        tracing::info!(device = %device, by = ?revoked.revoked_by, "device revoked");
        Ok(revoked)
    }

    async fn device_for_sync(&self, device: DeviceId) -> Result<SyncDevice, SyncRefusal> {
        self.writer
            .run(move |conn, _| Ok(active_device(conn, device)))
            .await?
    }

    async fn record_sync_refusal(&self, r: RefusalRecord) -> Result<(), StoreError> {
        tracing::warn!(device = ?r.device, point = ?r.point, doc_key = ?r.doc_key,
            reason = %r.reason, detail = %r.detail, "sync refused");
        self.writer
            .run(move |conn, _| insert_refusal(conn, &r))
            .await
    }

    async fn load_sync_state(
        &self,
        device: DeviceId,
        doc_key: String,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.writer
            .run(move |conn, _| load_state(conn, device, &doc_key))
            .await
    }

    async fn save_sync_state(
        &self,
        device: DeviceId,
        doc_key: String,
        state: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.writer
            .run(move |conn, _| save_state(conn, device, &doc_key, &state, Millis::now()))
            .await
    }

    async fn receive_device_sync(
        &self,
        session: &mut SyncSession,
        doc_key: String,
        message: Vec<u8>,
    ) -> Result<Option<Vec<u8>>, SyncRefusal> {
        let device = session.device().clone();
        let state = session.states.get(&doc_key).cloned();
        let (key, d) = (doc_key.clone(), device.clone());
        let answer = self
            .writer
            .run_refusable(move |conn, docs| receive_job(conn, docs, &d, &key, state, &message))
            .await;
        match answer {
            Ok(Ok((reply, state))) => {
                session.states.insert(doc_key, state);
                Ok(reply)
            }
            Ok(Err(r)) => Err(self.logged(&device, &doc_key, r).await),
            Err(e) => Err(self.logged(&device, &doc_key, e.into()).await),
        }
    }

    fn doc_changes(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.writer.subscribe_changes()
    }

    async fn point_documents(
        &self,
        point: PointId,
        from: chrono::NaiveDate,
    ) -> Result<Vec<String>, StoreError> {
        // Keys sort by day within a point, and every key of the point sorts below
        // "<point>0" ('/' < '0'): the window is one range of the primary key.
        let low = format!("{point}/{}", from.format("%Y-%m-%d"));
        let high = format!("{point}0");
        self.writer
            .run(move |conn, _| {
                let keys = conn
                    .prepare_cached(
                        "SELECT DISTINCT doc_key FROM doc_chunks
                         WHERE doc_key >= ?1 AND doc_key < ?2 ORDER BY doc_key",
                    )?
                    .query_map(params![low, high], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(keys)
            })
            .await
    }

    async fn generate_device_sync(
        &self,
        session: &mut SyncSession,
        doc_key: String,
    ) -> Result<Option<Vec<u8>>, SyncRefusal> {
        let device = session.device().clone();
        let state = session.states.get(&doc_key).cloned();
        let (key, d) = (doc_key.clone(), device.clone());
        let answer = self
            .writer
            .run_refusable(move |conn, docs| generate_job(conn, docs, &d, &key, state))
            .await;
        match answer {
            Ok(Ok((message, state))) => {
                session.states.insert(doc_key, state);
                Ok(message)
            }
            Ok(Err(r)) => Err(self.logged(&device, &doc_key, r).await),
            Err(e) => Err(self.logged(&device, &doc_key, e.into()).await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_32_bytes_on_the_curve() {
        let e = |key: Vec<u8>, label: &str| Enrollment {
            code: "K7QM4XR2PD".into(),
            public_key: key,
            label: label.into(),
        };
        let good = ed25519_dalek::SigningKey::from_bytes(&[9; 32])
            .verifying_key()
            .to_bytes()
            .to_vec();
        assert!(check_enrollment(&e(good.clone(), " 收银台 ")).is_ok());
        assert!(matches!(
            check_enrollment(&e(vec![1; 31], "a")),
            Err(EnrollError::BadKey(m)) if m.contains("31")
        ));
        // y = 2 is not the y of any point on the curve.
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        assert!(VerifyingKey::from_bytes(&off_curve).is_err());
        assert!(matches!(
            check_enrollment(&e(off_curve.to_vec(), "a")),
            Err(EnrollError::BadKey(_))
        ));
        assert!(matches!(
            check_enrollment(&e(good, "   ")),
            Err(EnrollError::Invalid(f)) if f[0].field == "label"
        ));
    }
}
