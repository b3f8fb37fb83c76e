//! Conflicts (冲突) as the leader meets them on the Sync screen and under Orders: per
//! open conflict, what happened and what to do, in both languages, and the one action
//! the counter has, "mark handled", which records a `resolution` fact (synced, kept
//! across restarts) and moves the conflict to the history.

use serde::{Deserialize, Serialize};

use super::AppError;
use crate::ids::{EventId, OrderId};
use crate::replica::{HandledConflict, OrderList, OrderRow, Replica};
use crate::status::{Conflict, OrderStatus};

/// At most this many open conflicts and this many handled ones are listed.
pub const LIST_LIMIT: u32 = 200;

/// A sentence in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Words {
    pub zh: String,
    pub en: String,
}

fn words(zh: String, en: String) -> Words {
    Words { zh, en }
}

/// One open conflict of one order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenConflict {
    pub order: OrderId,
    pub day: String,
    pub number: String,
    pub consumer_name: String,
    pub phone_tail: String,
    pub status: OrderStatus,
    /// `status::Conflict::as_str`: the name the UI's short label and the
    /// `resolve` command use.
    pub conflict: String,
    pub what_happened: Words,
    pub what_to_do: Words,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConflictsView {
    pub open: Vec<OpenConflict>,
    pub handled: Vec<HandledConflict>,
}

/// The open conflicts, each with its advice, and the handled ones, newest first.
pub fn view(replica: &Replica) -> Result<ConflictsView, AppError> {
    let mut open = Vec::new();
    for row in replica.list_orders(OrderList::Conflicts, None, LIST_LIMIT)? {
        let short_units: u32 = replica
            .order_card(row.id)?
            .map(|c| c.lines.iter().map(|l| l.short).sum())
            .unwrap_or(0);
        for name in &row.conflicts {
            let Some(conflict) = Conflict::from_name(name) else {
                continue;
            };
            let (what_happened, what_to_do) = advice(&row, conflict, short_units);
            open.push(OpenConflict {
                order: row.id,
                day: row.day.clone(),
                number: row.number.clone(),
                consumer_name: row.consumer_name.clone(),
                phone_tail: row.phone_tail.clone(),
                status: row.status,
                conflict: name.clone(),
                what_happened,
                what_to_do,
            });
        }
    }
    Ok(ConflictsView {
        open,
        handled: replica.handled_conflicts(LIST_LIMIT)?,
    })
}

/// What happened and what the leader should do, said plainly.
fn advice(o: &OrderRow, conflict: Conflict, short_units: u32) -> (Words, Words) {
    let tail = &o.phone_tail;
    match conflict {
        Conflict::HandedOverWhenVoid => {
            let (zh_void, en_void) = if o.status == OrderStatus::Refunded {
                ("已退款", "refunded")
            } else {
                ("已取消", "cancelled")
            };
            (
                words(
                    format!("订单{zh_void}，但商品已经交给了顾客。"),
                    format!("The order was {en_void}, but its goods were handed over."),
                ),
                words(
                    format!(
                        "请联系顾客（尾号 {tail}）：取回商品，或请其重新下单付款。平台已收到这条异常。处理后点“已处理”。"
                    ),
                    format!(
                        "Call the consumer (phone ending {tail}): take the goods back or ask them \
                         to order and pay again. The platform has this exception too. Then mark it handled."
                    ),
                ),
            )
        }
        Conflict::DuplicateHandover => (
            words(
                "这笔订单的商品交出了不止一次（可能是两台设备离线时都核销了）。".into(),
                "This order's goods were handed over more than once (perhaps by two devices \
                 while offline)."
                    .into(),
            ),
            words(
                format!(
                    "请核对货架上的商品；如果多交了，请联系顾客（尾号 {tail}）归还。处理后点“已处理”。"
                ),
                format!(
                    "Check the shelf; if too much was given, call the consumer (phone ending \
                     {tail}) to bring it back. Then mark it handled."
                ),
            ),
        ),
        Conflict::HandedOverBeforeAcceptance => (
            words(
                "商品在本日到货验收之前就交出了。".into(),
                "Goods were handed over before the day's delivery was accepted.".into(),
            ),
            words(
                "请完成到货核对并验收；如果交出的商品其实没有到，请联系平台。处理后点“已处理”。"
                    .into(),
                "Finish and accept the delivery check; if the goods given never arrived, tell \
                 the platform. Then mark it handled."
                    .into(),
            ),
        ),
        Conflict::ShortDelivery => (
            words(
                format!("到货短缺：这笔订单有 {short_units} 件商品没有到货，无法交付。"),
                format!(
                    "Short delivery: {short_units} unit(s) of this order did not arrive and \
                     cannot be given."
                ),
            ),
            words(
                format!(
                    "顾客（尾号 {tail}）来提货时请说明缺货；缺货部分由平台退款，无需交付。告知后点“已处理”。"
                ),
                format!(
                    "Tell the consumer (phone ending {tail}) when they come; the platform \
                     refunds the missing goods. Once told, mark it handled."
                ),
            ),
        ),
    }
}

/// What the UI sends to mark one conflict handled.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolve {
    pub day: String,
    pub order: OrderId,
    pub conflict: String,
    #[serde(default)]
    pub note: String,
}

/// Marks a conflict handled (a counter fact, synced like a handover).
pub fn resolve(replica: &mut Replica, r: &Resolve) -> Result<EventId, AppError> {
    let conflict = Conflict::from_name(&r.conflict).ok_or_else(|| {
        AppError::new(
            "no_such_conflict",
            format!("没有“{}”这种冲突", r.conflict),
            format!("There is no conflict called '{}'", r.conflict),
        )
    })?;
    Ok(replica.resolve_conflict(&r.day, r.order, conflict, &r.note)?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::demo::{sample_day_doc, sample_orders, SampleCatalog};
    use crate::ids::{DeviceId, PointId};
    use crate::pickup_code::CodeKey;
    use crate::replica::DeviceIdentity;
    use crate::time::Millis;

    pub(crate) const DAY: &str = "2026-11-22";

    /// A replica enrolled at a point with four sample orders for `DAY`.
    pub(crate) fn seeded(path: &std::path::Path) -> Replica {
        let mut replica = Replica::open(path).unwrap();
        let point = PointId::new();
        let key = CodeKey::random(&mut rand::rngs::OsRng);
        let orders = sample_orders(
            &SampleCatalog::new(7),
            &key,
            Millis(1_795_276_800_000),
            4,
            9,
        );
        let mut doc = sample_day_doc(point, DAY, &orders).unwrap();
        replica
            .enroll(DeviceIdentity {
                point,
                device: DeviceId::new(),
                leader: "李姐".into(),
                code_key: key,
            })
            .unwrap();
        replica.import_document(&doc.save()).unwrap();
        replica
    }

    #[test]
    fn a_conflict_is_advised_then_handled_and_kept_across_a_restart_and_a_merge() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("replica.sqlite3");
        let mut replica = seeded(&path);
        // A short line, accepted: the latest buyer of it loses a unit.
        let line = replica.goods_summary(DAY).unwrap()[0].clone();
        replica
            .record_check(DAY, line.sku, line.expected - 1, 0, "少一件", None)
            .unwrap();
        replica.accept_delivery(DAY).unwrap();

        let v = view(&replica).unwrap();
        assert_eq!(v.open.len(), 1, "{:?}", v.open);
        let c = &v.open[0];
        assert_eq!(c.conflict, "short_delivery");
        assert!(c.what_happened.zh.contains("1 件") && c.what_happened.en.contains("1 unit"));
        assert!(c.what_to_do.zh.contains(&c.phone_tail) && c.what_to_do.en.contains(&c.phone_tail));
        assert!(v.handled.is_empty());

        let r = Resolve {
            day: c.day.clone(),
            order: c.order,
            conflict: c.conflict.clone(),
            note: " 已电话告知 ".into(),
        };
        resolve(&mut replica, &r).unwrap();
        assert_eq!(
            resolve(&mut replica, &r).unwrap_err().reason,
            "conflict_not_open"
        );
        let made_up = Resolve {
            conflict: "made_up".into(),
            ..r
        };
        assert_eq!(
            resolve(&mut replica, &made_up).unwrap_err().reason,
            "no_such_conflict"
        );

        let handled = |replica: &Replica| {
            let v = view(replica).unwrap();
            assert!(v.open.is_empty(), "{:?}", v.open);
            assert_eq!(v.handled.len(), 1);
            assert_eq!(v.handled[0].note, "已电话告知");
            assert_eq!(v.handled[0].conflict, "short_delivery");
            assert_eq!(v.handled[0].leader, "李姐");
            assert_eq!(replica.day_counts(DAY).unwrap().conflicts, 0);
        };
        handled(&replica);
        assert_eq!(
            replica.pending_changes().unwrap().len(),
            1,
            "it waits for sync"
        );
        // A restart re-reads the file; a merge (what sync does) re-projects the day.
        drop(replica);
        let mut replica = Replica::open(&path).unwrap();
        handled(&replica);
        let bytes = replica.export_document(DAY).unwrap();
        replica.import_document(&bytes).unwrap();
        handled(&replica);
        assert_eq!(
            replica.day_facts(DAY).unwrap().resolutions.len(),
            1,
            "the fact is in the document"
        );
    }
}
