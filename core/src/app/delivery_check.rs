//! Delivery check (到货验收): the day's goods summary, a count per line (with
//! shortage or damage, a note and a photo), then acceptance.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::AppError;
use crate::delivery::LineResult;
use crate::ids::{EventId, SkuId};
use crate::replica::Replica;
use crate::time::Millis;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckLineView {
    #[serde(flatten)]
    pub line: LineResult,
    /// Expected units that cannot be handed over (missing or damaged).
    pub shortfall: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryCheckView {
    pub day: String,
    pub accepted_at: Option<Millis>,
    pub lines: Vec<CheckLineView>,
}

/// One line's count as the leader entered it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineCount {
    pub sku: SkuId,
    pub received: u32,
    #[serde(default)]
    pub damaged: u32,
    #[serde(default)]
    pub note: String,
    /// Content hash of a photo stored with [`store_photo`].
    #[serde(default)]
    pub photo: Option<String>,
}

pub fn view(replica: &Replica, day: &str) -> Result<DeliveryCheckView, AppError> {
    let lines = replica
        .goods_summary(day)?
        .into_iter()
        .map(|line| CheckLineView {
            shortfall: line.shortfall(),
            line,
        })
        .collect();
    Ok(DeliveryCheckView {
        day: day.to_string(),
        accepted_at: replica.accepted_at(day)?,
        lines,
    })
}

/// Records one line's count. A shortage or damage needs a note saying what happened.
pub fn count_line(
    replica: &mut Replica,
    day: &str,
    count: &LineCount,
) -> Result<EventId, AppError> {
    let expected = replica
        .goods_summary(day)?
        .into_iter()
        .find(|l| l.sku == count.sku)
        .map(|l| l.expected);
    if let Some(e) = expected {
        needs_note(e, count)?;
    }
    Ok(replica.record_check(
        day,
        count.sku,
        count.received,
        count.damaged,
        &count.note,
        count.photo.clone(),
    )?)
}

pub fn accept(replica: &mut Replica, day: &str) -> Result<EventId, AppError> {
    Ok(replica.accept_delivery(day)?)
}

/// The leader's counts of every line, then the acceptance: the counts are stored
/// as one change (or none is, if one is wrong), and only then is the day accepted.
pub fn count_and_accept(
    replica: &mut Replica,
    day: &str,
    counts: &[LineCount],
) -> Result<EventId, AppError> {
    let summary = replica.goods_summary(day)?;
    for count in counts {
        let expected = summary.iter().find(|l| l.sku == count.sku);
        if let Some(line) = expected {
            needs_note(line.expected, count).map_err(|e| with_line(e, &line.name))?;
        }
    }
    let rows: Vec<_> = counts
        .iter()
        .map(|c| {
            (
                c.sku,
                c.received,
                c.damaged,
                c.note.clone(),
                c.photo.clone(),
            )
        })
        .collect();
    replica.record_checks(day, &rows)?;
    accept(replica, day)
}

fn with_line(mut e: AppError, name: &str) -> AppError {
    e.zh = format!("{name}：{}", e.zh);
    e.en = format!("{name}: {}", e.en);
    e
}

/// A count short of the expected (missing or damaged) needs a note saying why.
fn needs_note(expected: u32, count: &LineCount) -> Result<(), AppError> {
    if count.received.saturating_sub(count.damaged) < expected && count.note.trim().is_empty() {
        return Err(AppError::new(
            "note_needed",
            "短缺或破损时请写明原因",
            "A shortage or damage needs a note saying what happened",
        ));
    }
    Ok(())
}

/// Largest photo taken at the counter that is kept (a phone photo is a few MB).
pub const MAX_PHOTO_BYTES: usize = 20 * 1024 * 1024;

/// Stores a photo of damage beside the replica under its content hash and returns
/// the hash, which is what the check records.
pub fn store_photo(dir: &std::path::Path, bytes: &[u8]) -> Result<String, AppError> {
    if bytes.is_empty() || bytes.len() > MAX_PHOTO_BYTES {
        return Err(AppError::new(
            "photo",
            "照片为空或超过20MB",
            "The photo is empty or larger than 20 MB",
        ));
    }
    let hash: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let io = |e: std::io::Error| {
        AppError::new(
            "photo",
            format!("照片无法保存：{e}"),
            format!("The photo could not be saved: {e}"),
        )
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    std::fs::write(dir.join(&hash), bytes).map_err(io)?;
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{sample_day_doc, sample_orders, SampleCatalog};
    use crate::ids::{DeviceId, PointId};
    use crate::pickup_code::CodeKey;
    use crate::replica::DeviceIdentity;

    const DAY: &str = "2026-11-22";

    fn replica(dir: &std::path::Path) -> Replica {
        let point = PointId::new();
        let key = CodeKey::from_bytes([3; 32]);
        let orders = sample_orders(&SampleCatalog::new(1), &key, Millis(0), 12, 5);
        let mut doc = sample_day_doc(point, DAY, &orders).unwrap();
        let mut r = Replica::open(&dir.join("replica.sqlite3")).unwrap();
        r.enroll(DeviceIdentity {
            point,
            device: DeviceId::new(),
            leader: "李姐".into(),
            code_key: key,
        })
        .unwrap();
        r.import_document(&doc.save()).unwrap();
        r
    }

    fn count(line: &CheckLineView, received: u32, note: &str) -> LineCount {
        LineCount {
            sku: line.line.sku,
            received,
            damaged: 0,
            note: note.into(),
            photo: None,
        }
    }

    #[test]
    fn all_counts_or_none_then_the_acceptance() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = replica(dir.path());
        let lines = view(&r, DAY).unwrap().lines;
        let (a, b) = (&lines[0], &lines[1]);

        // The second line is short without a note: nothing is stored or accepted.
        let bad = [count(a, a.line.expected, ""), count(b, 0, "")];
        let err = count_and_accept(&mut r, DAY, &bad).unwrap_err();
        assert_eq!(err.reason, "note_needed");
        assert!(err.zh.starts_with(&b.line.name), "{}", err.zh);
        let after = view(&r, DAY).unwrap();
        assert_eq!(after.accepted_at, None);
        assert!(after.lines.iter().all(|l| l.line.received.is_none()));

        let good = [count(a, a.line.expected, ""), count(b, 0, "没到货")];
        count_and_accept(&mut r, DAY, &good).unwrap();
        let after = view(&r, DAY).unwrap();
        assert!(after.accepted_at.is_some());
        let b_after = after
            .lines
            .iter()
            .find(|l| l.line.sku == b.line.sku)
            .unwrap();
        assert_eq!(b_after.shortfall, b.line.expected);
        assert_eq!(b_after.line.note, "没到货");
    }
}
