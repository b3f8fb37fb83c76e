//! A stand-in for the first sync, for demos and the end-to-end test before the
//! device sync client exists: enrolls the replica at a fresh point and imports one
//! sample day document, exactly what a first sync leaves behind (identity, code
//! key, the point-day document). It also writes what only consumers would hold —
//! the plain codes and their QR images — so a test can play the consumer.

use std::path::Path;

use serde::Serialize;

use super::AppError;
use crate::demo::{sample_day_doc, sample_orders, SampleCatalog};
use crate::ids::{DeviceId, PointId};
use crate::pickup_code::{CodeKey, PickupCode};
use crate::pickup_qr::PickupQr;
use crate::replica::{DeviceIdentity, Replica};
use crate::scanner::label::render_label;
use crate::time::Millis;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeededOrder {
    pub number: String,
    pub code: String,
    pub qr: String,
    pub cancelled: bool,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Seeded {
    pub point: String,
    pub day: String,
    pub orders: Vec<SeededOrder>,
    /// A valid QR payload of another point, for the "other point" refusal.
    pub other_point_qr: String,
}

fn failed(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::new(
        "seed",
        format!("示例数据无法写入（{what}）：{e}"),
        format!("Sample data could not be written ({what}): {e}"),
    )
}

/// Seeds `replica` (if not enrolled yet) with `n` orders for `day`; the second
/// order is cancelled. Writes `seed.json` and `qr-<n>.png` per order into `out`.
pub fn seed(replica: &mut Replica, day: &str, n: usize, out: &Path) -> Result<Seeded, AppError> {
    if replica.identity().is_some() {
        return Err(failed("replica", "already enrolled"));
    }
    let point = PointId::new();
    let key = CodeKey::random(&mut rand::rngs::OsRng);
    let catalog = SampleCatalog::new(7);
    let start = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|e| failed("day", e))?
        .and_hms_opt(0, 0, 0)
        .map(|t| Millis(t.and_utc().timestamp_millis() - 8 * 3_600_000))
        .ok_or_else(|| failed("day", "no midnight"))?;
    let mut orders = sample_orders(&catalog, &key, start, n, rand::random());
    if let Some(o) = orders.get_mut(1) {
        o.facts.cancelled_at = Some(Millis(start.0 + 3_600_000));
    }
    let mut doc = sample_day_doc(point, day, &orders).map_err(|e| failed("document", e))?;
    replica.enroll(DeviceIdentity {
        point,
        device: DeviceId::new(),
        leader: "李姐".into(),
        code_key: key,
    })?;
    replica.import_document(&doc.save())?;

    std::fs::create_dir_all(out).map_err(|e| failed("folder", e))?;
    let mut seeded = Vec::new();
    for (i, o) in orders.iter().enumerate() {
        let qr = PickupQr::new(point, o.code);
        let label = render_label(&qr).map_err(|e| failed("label", e))?;
        label
            .image
            .save(out.join(format!("qr-{}.png", i + 1)))
            .map_err(|e| failed("label", e))?;
        seeded.push(SeededOrder {
            number: o.facts.number.clone(),
            code: o.code.digits(),
            qr: qr.encode(),
            cancelled: o.facts.cancelled_at.is_some(),
        });
    }
    let other = PickupQr::new(PointId::new(), PickupCode::random(&mut rand::rngs::OsRng));
    let result = Seeded {
        point: point.to_string(),
        day: day.to_string(),
        orders: seeded,
        other_point_qr: other.encode(),
    };
    let json = serde_json::to_vec_pretty(&result).map_err(|e| failed("seed.json", e))?;
    std::fs::write(out.join("seed.json"), json).map_err(|e| failed("seed.json", e))?;
    Ok(result)
}
