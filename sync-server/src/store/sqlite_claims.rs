//! `ClaimDesk` on the embedded SQLite file: the claim and exception queues on the
//! readers; decisions and closings on the writer, each one job with its audit
//! entry (an approval's refund is the same job as the refund endpoint's).

use std::sync::Arc;

use linli_core::after_sale::{
    check_claim_line, check_filing, ClaimFiling, ClaimReason, ClaimRefusal, ReturnTerms,
};
use linli_core::catalog::FieldError;
use linli_core::ids::SkuId;
use linli_core::money::Fen;
use linli_core::refund::RefundLineAsk;
use linli_core::time::Millis;
use rusqlite::{params, Connection, Row};
use serde_json::json;

use super::audit::{append_audit, AuditRecord};
use super::claims::{
    Claim, ClaimDecision, ClaimDesk, ClaimFilter, ClaimLine, ClaimPage, ClaimPhoto, ClaimVerdict,
    ExceptionClose, ExceptionFilter, ExceptionItem, ExceptionPage, NewClaim, Said,
};
use super::ledger::NewRefund;
use super::listing::{page, Filter};
use super::payments::Payments;
use super::platform_store::PageRequest;
use super::report_sums;
use super::sqlite_ledger::{exception, Refusal, EXCEPTION_COLUMNS};
use super::sqlite_refund::refund_job;
use super::staff_request::{remember, replayed, StaffRequest};
use super::{SqliteStore, StoreError};

const FROM: &str = "claims c JOIN orders o ON o.id = c.order_id JOIN points p ON p.id = c.point_id
    JOIN consumers k ON k.id = o.consumer_id LEFT JOIN staff s ON s.id = c.decided_by";
const COLUMNS: &str = "c.id, c.order_id, o.number, o.day, c.point_id, p.name, c.source, c.reason,
    c.description, c.claimant_name, CASE WHEN c.claimant_phone <> '' THEN c.claimant_phone
    ELSE k.phone END, c.photos, c.status, c.opened_at, o.picked_up_at, c.decided_at,
    c.decided_by, s.name, c.decision_reason, c.refund_id";

fn said(r: ClaimRefusal) -> Said {
    let code = match r {
        ClaimRefusal::NotReturnable => "not_returnable",
        ClaimRefusal::NotReceived => "not_received",
        ClaimRefusal::PastWindow { .. } => "past_window",
    };
    Said {
        code: code.into(),
        zh: r.message_zh(),
        en: r.to_string(),
    }
}

fn reason_of(stored: &str) -> ClaimReason {
    // Stored by us from the enum; anything else is treated as a return.
    ClaimReason::parse(stored).unwrap_or(ClaimReason::Other)
}

/// The claim's lines: those it names, or every line of the order when it names
/// none; each with the product's return terms and what the rule says now.
fn claim_lines(
    conn: &Connection,
    claim: &str,
    order: &str,
    reason: ClaimReason,
    received_at: Option<Millis>,
    now: Millis,
) -> Result<Vec<ClaimLine>, StoreError> {
    let named: i64 = conn
        .prepare_cached("SELECT count(*) FROM claim_lines WHERE claim_id = ?1")?
        .query_row([claim], |r| r.get(0))?;
    let sql = if named > 0 {
        "SELECT l.sku, l.name, cl.qty, l.qty - l.refunded_qty, l.unit_price, pr.returnable,
            pr.return_window_days
         FROM claim_lines cl JOIN order_lines l ON l.order_id = ?2 AND l.sku = cl.sku
         JOIN products pr ON pr.sku = l.sku WHERE cl.claim_id = ?1 ORDER BY l.sku"
    } else {
        "SELECT l.sku, l.name, l.qty, l.qty - l.refunded_qty, l.unit_price, pr.returnable,
            pr.return_window_days
         FROM order_lines l JOIN products pr ON pr.sku = l.sku
         WHERE l.order_id = ?2 AND ?1 IS NOT NULL ORDER BY l.sku"
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params![claim, order])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let returnable: bool = r.get(5)?;
        let window: u32 = r.get(6)?;
        let refundable_qty: u32 = r.get::<_, i64>(3)?.max(0) as u32;
        let terms = ReturnTerms {
            returnable,
            window_days: window,
        };
        let refusal = if refundable_qty == 0 {
            Some(Said {
                code: "refunded".into(),
                zh: "这一行已全部退款".into(),
                en: "this line has been refunded in full".into(),
            })
        } else {
            check_claim_line(reason, terms, received_at, now)
                .err()
                .map(said)
        };
        out.push(ClaimLine {
            sku: r.get(0)?,
            name: r.get(1)?,
            qty: r.get(2)?,
            refundable_qty,
            unit_price: Fen(r.get(4)?),
            returnable,
            return_window_days: window,
            refusal,
        });
    }
    Ok(out)
}

fn claim_row(conn: &Connection, r: &Row<'_>, now: Millis) -> Result<Claim, StoreError> {
    let id: String = r.get(0)?;
    let order: String = r.get(1)?;
    let reason: String = r.get(7)?;
    let phone: String = r.get(10)?;
    let photos: Vec<String> = serde_json::from_str(&r.get::<_, String>(11)?)
        .map_err(|e| StoreError::Internal(format!("claim {id}: photos: {e}")))?;
    let opened_at = Millis(r.get(13)?);
    let received_at = r.get::<_, Option<i64>>(14)?.map(Millis);
    let decided_at = r.get::<_, Option<i64>>(15)?.map(Millis);
    let lines = claim_lines(conn, &id, &order, reason_of(&reason), received_at, now)?;
    Ok(Claim {
        order,
        order_number: r.get(2)?,
        day: r.get(3)?,
        point: r.get(4)?,
        point_name: r.get(5)?,
        source: r.get(6)?,
        reason,
        description: r.get(8)?,
        claimant_name: r.get(9)?,
        phone_tail: phone
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect(),
        lines,
        photos: photos
            .into_iter()
            .map(|hash| {
                Ok(ClaimPhoto {
                    url: photo_url(conn, &hash)?,
                    hash,
                })
            })
            .collect::<Result<_, StoreError>>()?,
        status: r.get(12)?,
        waited_ms: decided_at.unwrap_or(now).0 - opened_at.0,
        opened_at,
        received_at,
        decided_at,
        decided_by: r.get(16)?,
        decided_by_name: r.get(17)?,
        decision_reason: r.get(18)?,
        refund: r.get(19)?,
        id,
    })
}

/// Where staff see a photo, once the server holds it (a counter's photo stays on
/// the counter until it is uploaded; its hash is still shown).
fn photo_url(conn: &Connection, hash: &str) -> Result<Option<String>, StoreError> {
    let found: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM images WHERE digest = ?1)")?
        .query_row([hash], |r| r.get(0))?;
    Ok(found.then(|| super::sqlite_edits::image_url(hash)))
}

fn load_claim(conn: &Connection, id: &str, now: Millis) -> Result<Claim, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM {FROM} WHERE c.id = ?1"))?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(r) => claim_row(conn, r, now),
        None => Err(StoreError::NotFound(format!("claim {id}"))),
    }
}

fn claim_filter(f: &ClaimFilter) -> Filter {
    let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let tail = q.filter(|q| q.len() >= 4 && q.bytes().all(|b| b.is_ascii_digit()));
    Filter::new()
        .eq("c.status", f.status.clone())
        .eq("c.source", f.source.clone())
        .eq("c.point_id", f.point.clone())
        .eq("p.region_id", f.region.clone())
        .search(
            q.filter(|_| tail.is_none()),
            &["o.number", "c.order_id"],
            &[],
            &[],
        )
        .search(tail, &[], &[], &["k.phone", "c.claimant_phone"])
}

fn decide(
    conn: &Connection,
    docs: &mut super::writer::DocCache,
    d: ClaimDecision,
    payments: &dyn Payments,
) -> Result<(), StoreError> {
    if replayed::<bool>(conn, &d.request)?.is_some() {
        return Ok(());
    }
    let claim = load_claim(conn, &d.claim, d.at)?;
    if claim.status != "open" {
        return Err(StoreError::not_allowed(
            format!("这个售后已处理（{}）", claim.status),
            format!("this claim was already {}", claim.status),
        ));
    }
    let before = json!({"status": claim.status});
    match &d.verdict {
        ClaimVerdict::Reject { reason } => {
            conn.prepare_cached(
                "UPDATE claims SET status = 'rejected', decided_at = ?2, decided_by = ?3,
                    decision_reason = ?4 WHERE id = ?1",
            )?
            .execute(params![claim.id, d.at.0, d.by.id, reason])?;
            append_audit(
                conn,
                &d.by,
                d.at,
                &AuditRecord::new(
                    "claim.reject",
                    "claim",
                    &claim.id,
                    format!("驳回订单 {} 的售后：{reason}", claim.order_number),
                )
                .states(
                    Some(&before),
                    Some(&json!({"status": "rejected", "reason": reason})),
                ),
            )?;
        }
        ClaimVerdict::Approve { lines } => {
            let asked: Option<Vec<RefundLineAsk>> = match lines {
                Some(l) => Some(l.clone()),
                // The claim's own lines, as far as they can still be refunded.
                None if claim.source != "counter" || !claim.lines.is_empty() => Some(
                    claim
                        .lines
                        .iter()
                        .filter(|l| l.refundable_qty > 0)
                        .filter_map(|l| {
                            Some(RefundLineAsk {
                                sku: l.sku.parse().ok()?,
                                qty: l.qty.min(l.refundable_qty),
                            })
                        })
                        .collect(),
                ),
                None => None,
            };
            // Every line refunded must pass the return rule (a short box always does).
            let now_lines = &claim.lines;
            if let Some(asked) = &asked {
                for (i, a) in asked.iter().enumerate() {
                    let sku = a.sku.to_string();
                    if let Some(refusal) = now_lines
                        .iter()
                        .find(|l| l.sku == sku)
                        .and_then(|l| l.refusal.as_ref())
                    {
                        return Err(StoreError::Invalid(vec![
                            linli_core::catalog::FieldError::new(
                                &format!("lines[{i}]"),
                                refusal.en.clone(),
                            )
                            .zh(refusal.zh.clone()),
                        ]));
                    }
                }
            } else if let Some(refusal) = now_lines.iter().find_map(|l| l.refusal.as_ref()) {
                return Err(StoreError::Invalid(vec![
                    linli_core::catalog::FieldError::new("lines", refusal.en.clone())
                        .zh(refusal.zh.clone()),
                ]));
            }
            // The refund's own key, derived from the decision's, so a retry reaches
            // the provider under the same refund id.
            let refund_request = StaffRequest::new(
                &d.request.staff,
                &format!("{}:refund", d.request.key),
                "order.refund",
                &(&claim.id, &asked),
            );
            let order = claim
                .order
                .parse()
                .map_err(|_| StoreError::Internal(format!("claim {}: order id", claim.id)))?;
            let outcome = refund_job(
                conn,
                docs,
                NewRefund {
                    order,
                    lines: asked,
                    reason: if d.note.is_empty() {
                        format!("售后 {}", claim.id)
                    } else {
                        d.note.clone()
                    },
                    claim: Some(claim.id.clone()),
                    by: d.by.clone(),
                    request: Some(refund_request),
                    at: d.at,
                },
                payments,
            )?;
            let outcome = match outcome {
                Ok(o) => o,
                Err(Refusal::NotShipped(_)) => {
                    return Err(StoreError::not_allowed(
                        "订单还未发货：请取消订单",
                        "the order has not shipped: cancel it instead",
                    ))
                }
                Err(_) => {
                    return Err(StoreError::Internal(
                        "a refund refused for a reason it never gives".into(),
                    ))
                }
            };
            conn.prepare_cached(
                "UPDATE claims SET status = 'approved', decided_at = ?2, decided_by = ?3,
                    decision_reason = ?4, refund_id = ?5 WHERE id = ?1",
            )?
            .execute(params![claim.id, d.at.0, d.by.id, d.note, outcome.refund])?;
            append_audit(
                conn,
                &d.by,
                d.at,
                &AuditRecord::new(
                    "claim.approve",
                    "claim",
                    &claim.id,
                    format!(
                        "同意订单 {} 的售后，退款 {}",
                        claim.order_number, outcome.amount
                    ),
                )
                .states(
                    Some(&before),
                    Some(&json!({"status": "approved", "refund": outcome.refund,
                        "amount": outcome.amount.0, "note": d.note})),
                ),
            )?;
        }
    }
    remember(conn, &d.request, &true, d.at)
}

const EXCEPTION_QUEUE_FROM: &str = "ledger_exceptions x JOIN orders o ON o.id = x.order_id
    JOIN points p ON p.id = x.point_id LEFT JOIN staff cs ON cs.id = x.closed_by";

fn exception_item(r: &Row<'_>) -> Result<ExceptionItem, StoreError> {
    Ok(ExceptionItem {
        exception: exception(r)?,
        point_name: r.get(17)?,
        region: r.get(18)?,
        recorded_at: Millis(r.get(19)?),
    })
}

fn exception_columns() -> String {
    format!("{EXCEPTION_COLUMNS}, p.name, p.region_id, x.recorded_at")
}

fn load_exception(conn: &Connection, id: &str) -> Result<ExceptionItem, StoreError> {
    let sql = format!(
        "SELECT {} FROM {EXCEPTION_QUEUE_FROM} WHERE x.id = ?1",
        exception_columns()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(r) => exception_item(r),
        None => Err(StoreError::NotFound(format!("exception {id}"))),
    }
}

fn file(conn: &Connection, c: NewClaim) -> Result<Claim, StoreError> {
    let order = c.order.to_string();
    let missing = || StoreError::NotFound(format!("order {order}"));
    let (point, picked_up_at, name, phone): (String, Option<i64>, String, String) = conn
        .prepare_cached(
            "SELECT o.point_id, o.picked_up_at, k.name, k.phone FROM orders o
             JOIN consumers k ON k.id = o.consumer_id WHERE o.id = ?1 AND o.consumer_id = ?2",
        )?
        .query_row(params![order, c.consumer.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => missing(),
            e => e.into(),
        })?;
    let mut lines = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT l.sku, l.qty - l.refunded_qty, pr.returnable, pr.return_window_days
         FROM order_lines l JOIN products pr ON pr.sku = l.sku WHERE l.order_id = ?1",
    )?;
    let mut rows = stmt.query([&order])?;
    while let Some(r) = rows.next()? {
        let sku: String = r.get(0)?;
        let sku: SkuId = sku
            .parse()
            .map_err(|_| StoreError::Internal(format!("order {order} has a bad SKU {sku}")))?;
        let left = u32::try_from(r.get::<_, i64>(1)?.max(0)).unwrap_or(0);
        let terms = ReturnTerms {
            returnable: r.get(2)?,
            window_days: r.get(3)?,
        };
        lines.push((sku, left, terms));
    }
    let filing = ClaimFiling {
        reason: c.reason,
        description: &c.description,
        photos: c.photos.len(),
        lines: &c.lines,
    };
    check_filing(&filing, &lines, picked_up_at.map(Millis), c.at).map_err(StoreError::Invalid)?;
    let mut held = conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM images WHERE digest = ?1)")?;
    for (i, photo) in c.photos.iter().enumerate() {
        if !held.query_row([photo], |r| r.get::<_, bool>(0))? {
            return Err(StoreError::Invalid(vec![FieldError::new(
                &format!("photos[{i}]"),
                "not an uploaded photo: upload it first (POST /api/consumer/images)",
            )
            .zh("照片未上传，请先上传")]));
        }
    }
    let id = uuid::Uuid::now_v7().to_string();
    let photos =
        serde_json::to_string(&c.photos).map_err(|e| StoreError::Internal(e.to_string()))?;
    conn.prepare_cached(
        "INSERT INTO claims (id, point_id, order_id, source, reason, description, claimant_name,
            claimant_phone, photos, opened_at)
         VALUES (?1, ?2, ?3, 'consumer', ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        id,
        point,
        order,
        c.reason.as_str(),
        c.description.trim(),
        name,
        phone,
        photos,
        c.at.0
    ])?;
    report_sums::claim_filed(conn, &order)?;
    let mut line =
        conn.prepare_cached("INSERT INTO claim_lines (claim_id, sku, qty) VALUES (?1, ?2, ?3)")?;
    for (sku, qty) in &c.lines {
        line.execute(params![id, sku.to_string(), qty])?;
    }
    load_claim(conn, &id, c.at)
}

impl ClaimDesk for SqliteStore {
    async fn file_claim(&self, claim: NewClaim) -> Result<Claim, StoreError> {
        self.writer.run(move |conn, _| file(conn, claim)).await
    }

    async fn list_claims(&self, f: ClaimFilter, req: PageRequest) -> Result<ClaimPage, StoreError> {
        self.readers
            .run(move |conn| {
                let now = Millis::now();
                // Open claims oldest first (the longest waiting on top); decided ones newest first.
                let order = if f.status.as_deref() == Some("open") {
                    "c.opened_at, c.id"
                } else {
                    "c.opened_at DESC, c.id DESC"
                };
                let (items, total) =
                    page(conn, FROM, COLUMNS, order, &claim_filter(&f), req, |r| {
                        claim_row(conn, r, now)
                    })?;
                Ok(ClaimPage {
                    items,
                    total,
                    limit: req.limit,
                    offset: req.offset,
                })
            })
            .await
    }

    async fn claim(&self, id: String) -> Result<Claim, StoreError> {
        self.readers
            .run(move |conn| load_claim(conn, &id, Millis::now()))
            .await
    }

    async fn decide_claim(
        &self,
        d: ClaimDecision,
        payments: Arc<dyn Payments>,
    ) -> Result<Claim, StoreError> {
        let id = d.claim.clone();
        self.writer
            .run(move |conn, docs| decide(conn, docs, d, payments.as_ref()))
            .await?;
        self.claim(id).await
    }

    async fn list_exceptions(
        &self,
        f: ExceptionFilter,
        req: PageRequest,
    ) -> Result<ExceptionPage, StoreError> {
        self.readers
            .run(move |conn| {
                let filter = Filter::new()
                    .when(f.status.as_deref() == Some("open"), "x.closed_at IS NULL")
                    .when(
                        f.status.as_deref() == Some("closed"),
                        "x.closed_at IS NOT NULL",
                    )
                    .eq("x.kind", f.kind)
                    .eq("x.point_id", f.point)
                    .eq("p.region_id", f.region)
                    .search(f.q.as_deref(), &["o.number", "x.order_id"], &[], &[]);
                let (items, total) = page(
                    conn,
                    EXCEPTION_QUEUE_FROM,
                    &exception_columns(),
                    "x.recorded_at DESC, x.id DESC",
                    &filter,
                    req,
                    exception_item,
                )?;
                Ok(ExceptionPage {
                    items,
                    total,
                    limit: req.limit,
                    offset: req.offset,
                })
            })
            .await
    }

    async fn close_exception(
        &self,
        c: ExceptionClose,
        by: super::Actor,
        at: Millis,
    ) -> Result<ExceptionItem, StoreError> {
        self.writer
            .run(move |conn, _| {
                let before = load_exception(conn, &c.id)?;
                if let Some(closed) = &before.exception.closed {
                    return Err(StoreError::not_allowed(
                        format!("这个异常已由 {} 关闭", closed.by_name),
                        format!("this exception was already closed by {}", closed.by_name),
                    ));
                }
                conn.prepare_cached(
                    "UPDATE ledger_exceptions SET closed_at = ?2, closed_by = ?3, resolution = ?4
                     WHERE id = ?1 AND closed_at IS NULL",
                )?
                .execute(params![c.id, at.0, by.id, c.resolution])?;
                let after = load_exception(conn, &c.id)?;
                append_audit(
                    conn,
                    &by,
                    at,
                    &AuditRecord::new(
                        "exception.close",
                        "exception",
                        &c.id,
                        format!(
                            "关闭订单 {} 的异常（{}）：{}",
                            after.exception.order_number, after.exception.kind, c.resolution
                        ),
                    )
                    .states(Some(&before), Some(&after)),
                )?;
                Ok(after)
            })
            .await
    }
}
