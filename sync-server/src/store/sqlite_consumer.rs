//! `ConsumerStore` on the embedded SQLite file. Everything runs on the writer, so
//! an order's status is read from the same document cache that orders are written
//! into, and a cancel is one job: rolled back whole if any part of it fails.

use std::collections::HashMap;
use std::sync::Arc;

use linli_core::catalog::FieldError;
use linli_core::ids::{ConsumerId, OrderId, PointId};
use linli_core::money::Fen;
use linli_core::pickup_code::PickupCode;
use linli_core::pickup_qr::PickupQr;
use linli_core::status::{derive_day, DayView, OrderStatus};
use linli_core::time::Millis;
use rusqlite::{params, Connection, OptionalExtension};

use super::consumer::{
    CatalogItem, ConsumerAccount, ConsumerOrder, ConsumerOrderLine, ConsumerOrderStatus,
    ConsumerStore, PointPlace,
};
use super::payments::{ChargeRequest, PaymentError, PaymentReceipt, Payments};
use super::projection::project_day;
use super::sqlite::place;
use super::writer::{optional, store_changes, DocCache};
use super::{PlaceOrder, PlacedOrder, SqliteStore, StoreError};

fn payment_refused(e: PaymentError) -> StoreError {
    match e {
        PaymentError::Declined(_) => {
            StoreError::Invalid(vec![FieldError::new("payment", e.to_string())])
        }
        PaymentError::Provider(_) => StoreError::Internal(e.to_string()),
    }
}

fn account(
    conn: &Connection,
    by: &str,
    value: &str,
) -> Result<Option<ConsumerAccount>, StoreError> {
    let sql = format!("SELECT id, name, phone, points FROM consumers WHERE {by} = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([value], |r| {
            Ok(ConsumerAccount {
                id: r.get(0)?,
                name: r.get(1)?,
                phone: r.get(2)?,
                points: r.get::<_, i64>(3)?.max(0) as u64,
            })
        })
        .optional()?)
}

fn catalog(conn: &Connection, at: Millis) -> Result<Vec<CatalogItem>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT sku, name, category, spec, image_urls, price, stock, purchase_limit,
                points_eligible, sale_closes
         FROM products
         WHERE stock > 0 AND (sale_opens IS NULL OR (sale_opens <= ?1 AND ?1 < sale_closes))
         ORDER BY category, name, sku",
    )?;
    let rows = stmt.query_map([at.0], |r| {
        let urls: String = r.get(4)?;
        Ok(CatalogItem {
            sku: r.get(0)?,
            name: r.get(1)?,
            category: r.get(2)?,
            spec: r.get(3)?,
            image_urls: serde_json::from_str(&urls).unwrap_or_default(),
            price: r.get(5)?,
            stock_left: r.get(6)?,
            purchase_limit: r.get(7)?,
            points_eligible: r.get(8)?,
            sale_closes: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn points_within(
    conn: &Connection,
    lat: (f64, f64),
    lng: (f64, f64),
) -> Result<Vec<PointPlace>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, address, opening_hours, lat, lng FROM points
         WHERE status = 'approved' AND lat BETWEEN ?1 AND ?2 AND lng BETWEEN ?3 AND ?4",
    )?;
    let rows = stmt.query_map(params![lat.0, lat.1, lng.0, lng.1], |r| {
        Ok((
            r.get::<_, String>(0)?,
            PointPlace {
                id: PointId::default(),
                name: r.get(1)?,
                address: r.get(2)?,
                opening_hours: r.get(3)?,
                lat: r.get(4)?,
                lng: r.get(5)?,
            },
        ))
    })?;
    rows.map(|row| {
        let (id, mut place) = row?;
        place.id = id
            .parse()
            .map_err(|_| StoreError::Internal(format!("stored point id '{id}' is not an id")))?;
        Ok(place)
    })
    .collect()
}

/// The columns of `orders` (and its point) that a consumer's view is made from.
struct OrderRow {
    id: OrderId,
    number: String,
    point: PointId,
    point_name: String,
    region: String,
    day: String,
    placed_at: i64,
    paid: i64,
    payment: String,
    points_earned: u64,
    code: String,
    cancelled_at: Option<i64>,
    refunded_at: Option<i64>,
    refunded: Option<i64>,
}

const ORDER_COLUMNS: &str =
    "o.id, o.number, o.point_id, p.name, p.region_id, o.day, o.placed_at, o.paid, o.payment,
     o.points_earned, o.code, o.cancelled_at, o.refunded_at,
     (SELECT sum(amount) FROM payment_movements y WHERE y.order_id = o.id AND y.kind = 'refund')
     FROM orders o JOIN points p ON p.id = o.point_id";

fn order_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, OrderRow)> {
    Ok((
        r.get(0)?,
        r.get(2)?,
        OrderRow {
            id: OrderId::default(),
            number: r.get(1)?,
            point: PointId::default(),
            point_name: r.get(3)?,
            region: r.get(4)?,
            day: r.get(5)?,
            placed_at: r.get(6)?,
            paid: r.get(7)?,
            payment: r.get(8)?,
            points_earned: r.get::<_, i64>(9)?.max(0) as u64,
            code: r.get(10)?,
            cancelled_at: r.get(11)?,
            refunded_at: r.get(12)?,
            refunded: r.get(13)?,
        },
    ))
}

fn with_ids((id, point, mut row): (String, String, OrderRow)) -> Result<OrderRow, StoreError> {
    let bad =
        |what: &str, v: &str| StoreError::Internal(format!("stored {what} '{v}' is not an id"));
    row.id = id.parse().map_err(|_| bad("order id", &id))?;
    row.point = point.parse().map_err(|_| bad("point id", &point))?;
    Ok(row)
}

/// The consumer's own order; anyone else's is "not found", never "forbidden", so
/// order ids cannot be probed.
fn own_order(conn: &Connection, consumer: ConsumerId, id: OrderId) -> Result<OrderRow, StoreError> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} WHERE o.id = ?1 AND o.consumer_id = ?2"
        ))?
        .query_row(params![id.to_string(), consumer.to_string()], order_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("order {id}")))?;
    with_ids(row)
}

fn wave_frozen(conn: &Connection, region: &str, day: &str) -> Result<bool, StoreError> {
    Ok(optional::<i64>(
        conn,
        "SELECT 1 FROM waves WHERE region_id = ?1 AND day = ?2",
        params![region, day],
    )?
    .is_some())
}

/// Derived views of point-days, each day derived once per request.
type Derived = HashMap<String, DayView>;

fn view(
    conn: &Connection,
    docs: &mut DocCache,
    derived: &mut Derived,
    row: OrderRow,
) -> Result<ConsumerOrder, StoreError> {
    let key = format!("{}/{}", row.point, row.day);
    if !derived.contains_key(&key) {
        let doc = docs
            .get(conn, &key)?
            .ok_or_else(|| StoreError::Internal(format!("order without a document: {key}")))?;
        derived.insert(key.clone(), derive_day(&doc.facts()?));
    }
    let core_status = derived
        .get(&key)
        .and_then(|d| d.orders.get(&row.id))
        .map(|o| o.status)
        .ok_or_else(|| StoreError::Internal(format!("order {} missing from {key}", row.id)))?;
    // The core derives what the point's facts say; whether the goods have left the
    // warehouse is the wave's fact, which only the server holds.
    let status = match core_status {
        OrderStatus::AwaitingDelivery if wave_frozen(conn, &row.region, &row.day)? => {
            ConsumerOrderStatus::Shipped
        }
        OrderStatus::AwaitingDelivery => ConsumerOrderStatus::Placed,
        OrderStatus::ReadyForPickup => ConsumerOrderStatus::ReadyForPickup,
        OrderStatus::PartlyPickedUp => ConsumerOrderStatus::PartlyPickedUp,
        OrderStatus::PickedUp => ConsumerOrderStatus::PickedUp,
        OrderStatus::Cancelled => ConsumerOrderStatus::Cancelled,
        OrderStatus::Refunded => ConsumerOrderStatus::Refunded,
    };
    let void = matches!(
        status,
        ConsumerOrderStatus::Cancelled | ConsumerOrderStatus::Refunded
    );
    let (code, qr_payload) = if void {
        (None, None)
    } else {
        let code = PickupCode::parse(&row.code).map_err(|e| StoreError::Internal(e.to_string()))?;
        (
            Some(code.digits()),
            Some(PickupQr::new(row.point, code).encode()),
        )
    };
    let lines = conn
        .prepare_cached(
            "SELECT sku, name, qty, unit_price FROM order_lines WHERE order_id = ?1 ORDER BY sku",
        )?
        .query_map([row.id.to_string()], |r| {
            Ok(ConsumerOrderLine {
                sku: r.get(0)?,
                name: r.get(1)?,
                qty: r.get(2)?,
                unit_price: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ConsumerOrder {
        id: row.id.to_string(),
        number: row.number,
        point: row.point.to_string(),
        point_name: row.point_name,
        day: row.day,
        placed_at: row.placed_at,
        status,
        paid: row.paid,
        payment: row.payment,
        points_earned: row.points_earned,
        code,
        qr_payload,
        lines,
        cancelled_at: row.cancelled_at,
        refunded_at: row.refunded_at,
        refunded: row.refunded,
    })
}

/// Keeps a provider's movement: the charge (`refund` None) or one refund.
fn record(
    conn: &Connection,
    order: OrderId,
    refund: Option<&str>,
    provider: &str,
    receipt: &PaymentReceipt,
    at: Millis,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO payment_movements (order_id, kind, provider, reference, amount, at, refund_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        order.to_string(),
        if refund.is_some() { "refund" } else { "charge" },
        provider,
        receipt.reference,
        receipt.amount.0,
        at.0,
        refund
    ])?;
    Ok(())
}

fn place_paid(
    conn: &Connection,
    docs: &mut DocCache,
    o: PlaceOrder,
    key: String,
    payments: &dyn Payments,
) -> Result<PlacedOrder, StoreError> {
    let (consumer, at) = (o.consumer, o.at);
    let placed = place(conn, docs, o, key)?;
    if placed.replayed {
        return Ok(placed);
    }
    let charge = ChargeRequest {
        order: placed.id,
        consumer,
        amount: placed.paid,
    };
    // An Err here rolls the whole job back: order, stock, points and document.
    if let Some(receipt) = payments.charge(&charge).map_err(payment_refused)? {
        record(
            conn,
            placed.id,
            None,
            payments.method().as_str(),
            &receipt,
            at,
        )?;
    }
    Ok(placed)
}

/// Gives back up to `amount` of the order's online charge through `payments` as
/// the refund named `refund`, and records the movement: never more than the
/// charge has left. `None` when nothing was charged (pay at pickup), nothing is
/// left, or the provider had nothing to give back; the cancel before shipment and
/// every refund after it come here.
pub(super) fn refund_charge(
    conn: &Connection,
    id: OrderId,
    amount: Fen,
    refund: &str,
    at: Millis,
    payments: &dyn Payments,
) -> Result<Option<Fen>, StoreError> {
    let charge: Option<(String, String, i64)> = conn
        .prepare_cached(
            "SELECT provider, reference, amount FROM payment_movements
             WHERE order_id = ?1 AND kind = 'charge'",
        )?
        .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((provider, reference, charged)) = charge else {
        return Ok(None);
    };
    if provider != payments.method().as_str() {
        return Err(StoreError::Internal(format!(
            "order {id} was charged through {provider}, which is not the configured provider"
        )));
    }
    let given_back: i64 = conn
        .prepare_cached(
            "SELECT coalesce(sum(amount), 0) FROM payment_movements
             WHERE order_id = ?1 AND kind = 'refund'",
        )?
        .query_row([id.to_string()], |r| r.get(0))?;
    let give = Fen(amount.0.min(charged - given_back));
    if give <= Fen::ZERO {
        return Ok(None);
    }
    let receipt = PaymentReceipt {
        reference,
        amount: Fen(charged),
    };
    let Some(back) = payments
        .refund(id, &receipt, give, refund)
        .map_err(payment_refused)?
    else {
        return Ok(None);
    };
    record(conn, id, Some(refund), &provider, &back, at)?;
    Ok(Some(back.amount))
}

fn cancel(
    conn: &Connection,
    docs: &mut DocCache,
    consumer: ConsumerId,
    id: OrderId,
    at: Millis,
    payments: &dyn Payments,
) -> Result<ConsumerOrder, StoreError> {
    own_order(conn, consumer, id)?;
    cancel_order(conn, docs, id, at, payments)?;
    let row = own_order(conn, consumer, id)?;
    view(conn, docs, &mut Derived::new(), row)
}

/// Cancels an order before shipment, for its consumer or for staff: its stock and
/// points come back, an online charge is given back in full, and its point-day
/// document says so. False when it was already cancelled or refunded (nothing
/// changes); refused once its wave is frozen.
pub(super) fn cancel_order(
    conn: &Connection,
    docs: &mut DocCache,
    id: OrderId,
    at: Millis,
    payments: &dyn Payments,
) -> Result<bool, StoreError> {
    let order = id.to_string();
    let (point, region, day, consumer, points_earned, cancelled_at, refunded_at): (
        String,
        String,
        String,
        String,
        i64,
        Option<i64>,
        Option<i64>,
    ) = conn
        .prepare_cached(
            "SELECT o.point_id, p.region_id, o.day, o.consumer_id, o.points_earned,
                o.cancelled_at, o.refunded_at
             FROM orders o JOIN points p ON p.id = o.point_id WHERE o.id = ?1",
        )?
        .query_row([&order], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("order {id}")))?;
    if cancelled_at.is_some() || refunded_at.is_some() {
        return Ok(false);
    }
    if wave_frozen(conn, &region, &day)? {
        return Err(StoreError::AlreadyShipped(id));
    }
    conn.prepare_cached(
        "UPDATE products SET stock = stock + l.qty FROM order_lines l
         WHERE l.order_id = ?1 AND products.sku = l.sku",
    )?
    .execute([&order])?;
    conn.prepare_cached("UPDATE consumers SET points = max(points - ?2, 0) WHERE id = ?1")?
        .execute(params![consumer, points_earned])?;

    // One name per order for the provider: a cancel is refunded once.
    let refund = format!("cancel-{order}");
    let refunded = refund_charge(conn, id, Fen(i64::MAX), &refund, at, payments)?.is_some();
    conn.prepare_cached(
        "UPDATE orders SET cancelled_at = ?2, refunded_at = CASE WHEN ?3 THEN ?2 END WHERE id = ?1",
    )?
    .execute(params![order, at.0, refunded])?;

    let key = format!("{point}/{day}");
    let doc = docs
        .get(conn, &key)?
        .ok_or_else(|| StoreError::Internal(format!("order without a document: {key}")))?;
    doc.cancel_order(id, at)?;
    if refunded {
        doc.refund_order(id, at)?;
    }
    project_day(conn, &doc.facts()?)?;
    store_changes(conn, &key, doc, false)?;
    Ok(true)
}

impl ConsumerStore for SqliteStore {
    async fn consumer_by_phone(
        &self,
        phone: String,
    ) -> Result<Option<ConsumerAccount>, StoreError> {
        self.writer
            .run(move |conn, _| account(conn, "phone", &phone))
            .await
    }

    async fn consumer_account(&self, id: ConsumerId) -> Result<ConsumerAccount, StoreError> {
        self.writer
            .run(move |conn, _| {
                account(conn, "id", &id.to_string())?
                    .ok_or_else(|| StoreError::NotFound(format!("consumer {id}")))
            })
            .await
    }

    async fn catalog_on_sale(&self, at: Millis) -> Result<Vec<CatalogItem>, StoreError> {
        self.writer.run(move |conn, _| catalog(conn, at)).await
    }

    async fn approved_points_within(
        &self,
        lat: (f64, f64),
        lng: (f64, f64),
    ) -> Result<Vec<PointPlace>, StoreError> {
        self.writer
            .run(move |conn, _| points_within(conn, lat, lng))
            .await
    }

    async fn place_paid_order(
        &self,
        o: PlaceOrder,
        payments: Arc<dyn Payments>,
    ) -> Result<PlacedOrder, StoreError> {
        let key = o.idempotency_key.trim().to_string();
        if key.is_empty() || key.len() > 64 {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "idempotency_key",
                "must be 1–64 characters",
            )]));
        }
        self.writer
            .run(move |conn, docs| place_paid(conn, docs, o, key, payments.as_ref()))
            .await
    }

    async fn consumer_orders(
        &self,
        consumer: ConsumerId,
        limit: u32,
    ) -> Result<Vec<ConsumerOrder>, StoreError> {
        self.writer
            .run(move |conn, docs| {
                let rows = conn
                    .prepare_cached(&format!(
                        "SELECT {ORDER_COLUMNS} WHERE o.consumer_id = ?1
                         ORDER BY o.placed_at DESC, o.id DESC LIMIT ?2"
                    ))?
                    .query_map(params![consumer.to_string(), limit], order_row)?
                    .collect::<Result<Vec<_>, _>>()?;
                let mut derived = Derived::new();
                rows.into_iter()
                    .map(|r| view(conn, docs, &mut derived, with_ids(r)?))
                    .collect()
            })
            .await
    }

    async fn consumer_order(
        &self,
        consumer: ConsumerId,
        order: OrderId,
    ) -> Result<ConsumerOrder, StoreError> {
        self.writer
            .run(move |conn, docs| {
                let row = own_order(conn, consumer, order)?;
                view(conn, docs, &mut Derived::new(), row)
            })
            .await
    }

    async fn cancel_consumer_order(
        &self,
        consumer: ConsumerId,
        order: OrderId,
        at: Millis,
        payments: Arc<dyn Payments>,
    ) -> Result<ConsumerOrder, StoreError> {
        self.writer
            .run(move |conn, docs| cancel(conn, docs, consumer, order, at, payments.as_ref()))
            .await
    }
}
