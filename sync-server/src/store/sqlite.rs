//! The embedded SQLite store: all writes go through the group-committing writer.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Days, NaiveDate};
use linli_core::business_day::RegionClock;
use linli_core::catalog::{FieldError, Product, SaleWindow};
use linli_core::cutoff::aggregate;
use linli_core::doc::PointDayDoc;
use linli_core::ids::{ConsumerId, OrderId, PointId, RouteId, SkuId, SupplierId};
use linli_core::money::{Fen, Rate};
use linli_core::order::{OrderFacts, OrderLine};
use linli_core::ordering::{plan_lines, points_earned, OrderRefusal};
use linli_core::pickup_code::{CodeKey, PickupCode};
use linli_core::pickup_qr::PickupQr;
use linli_core::report_sums::tally;
use linli_core::status::OrderStatus;
use linli_core::time::Millis;
use rand::rngs::OsRng;
use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};

use super::readers::Readers;
use super::report_sums;
use super::writer::{optional, store_changes, DocCache, Writer};
use super::{
    NewPoint, NewRegion, NewRoute, NewSupplier, PlaceOrder, PlacedLine, PlacedOrder, PointStatus,
    Store, StoreError, WaveSummary,
};

/// How many days back an order still counts as open when a new code must avoid it.
/// (Until devices report handovers, an order is open from placement until two
/// weeks after its delivery day.)
const OPEN_FOR_DAYS: u64 = 14;

#[derive(Clone)]
pub struct SqliteStore {
    pub(super) writer: Writer,
    /// Lists and reports read here, never on the writer.
    pub(super) readers: Readers,
}

impl SqliteStore {
    /// Opens the database file, applies migrations, starts the writer.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let conn = crate::db::open(path)?;
        // Orders are acknowledged to consumers: each group commit is fsynced before
        // anyone hears of it (by the writer's WAL sync thread; see durability.rs).
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Each job runs in a savepoint, whose undo pages SQLite keeps in a temporary
        // file by default: written on every order, never needed after the group.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // The writer reads orders, stock and document chunks back on every order; with
        // SQLite's default 2 MB page cache most of those reads became system calls.
        conn.pragma_update(None, "cache_size", -64 * 1024)?;
        Ok(SqliteStore {
            writer: Writer::start(conn)?,
            readers: Readers::open(path)?,
        })
    }
}

fn invalid(errs: Vec<FieldError>) -> StoreError {
    StoreError::Invalid(errs)
}

fn parse_id<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Internal(format!("stored {what} '{s}' is not an id")))
}

/// The columns `order_line` reads, in its order.
pub(super) const LINE_COLUMNS: &str = "sku, name, supplier_id, qty, unit_price, commission_rate";

/// An order line from `LINE_COLUMNS`, starting at column `at`.
pub(super) fn order_line(r: &rusqlite::Row<'_>, at: usize) -> Result<OrderLine, StoreError> {
    Ok(OrderLine {
        sku: parse_id(&r.get::<_, String>(at)?, "sku")?,
        name: r.get(at + 1)?,
        supplier: parse_id(&r.get::<_, String>(at + 2)?, "supplier id")?,
        qty: r.get(at + 3)?,
        unit_price: Fen(r.get(at + 4)?),
        commission_rate: Rate(r.get(at + 5)?),
    })
}

/// An order's lines as placement stored them (the cutoff and the ledger read them).
pub(super) fn stored_order_lines(
    conn: &Connection,
    order_id: &str,
) -> Result<Vec<OrderLine>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {LINE_COLUMNS} FROM order_lines WHERE order_id = ?1"
    ))?;
    let mut rows = stmt.query([order_id])?;
    let mut lines = Vec::new();
    while let Some(r) = rows.next()? {
        lines.push(order_line(r, 0)?);
    }
    Ok(lines)
}

impl Store for SqliteStore {
    async fn health(&self) -> Result<(), StoreError> {
        self.writer.run(|conn, _| Ok(crate::db::check(conn)?)).await
    }

    async fn token_key(&self) -> Result<[u8; 32], StoreError> {
        self.writer
            .run(|conn, _| {
                let stored: Option<String> = optional(
                    conn,
                    "SELECT value FROM server_meta WHERE key = 'token_key'",
                    [],
                )?;
                let decoded = stored.and_then(|h| hex::decode(h).ok());
                if let Some(key) = decoded.and_then(|k| <[u8; 32]>::try_from(k).ok()) {
                    return Ok(key);
                }
                let mut key = [0u8; 32];
                rand::RngCore::fill_bytes(&mut OsRng, &mut key);
                conn.execute(
                    "INSERT OR REPLACE INTO server_meta (key, value) VALUES ('token_key', ?1)",
                    [hex::encode(key)],
                )?;
                Ok(key)
            })
            .await
    }

    async fn create_region(&self, r: NewRegion) -> Result<String, StoreError> {
        r.validate().map_err(invalid)?;
        self.writer
            .run(move |conn, _| {
                let id = uuid::Uuid::now_v7().to_string();
                conn.execute(
                    "INSERT INTO regions (id, name, zone, cutoff) VALUES (?1, ?2, ?3, ?4)",
                    params![id, r.name.trim(), r.zone, r.cutoff],
                )?;
                Ok(id)
            })
            .await
    }

    async fn create_route(&self, r: NewRoute) -> Result<String, StoreError> {
        r.validate().map_err(invalid)?;
        self.writer
            .run(move |conn, _| {
                exists(conn, "regions", &r.region)?;
                let id = RouteId::new().to_string();
                conn.execute(
                    "INSERT INTO routes (id, region_id, name, driver_name, driver_phone) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![id, r.region, r.name.trim(), r.driver_name.trim(), r.driver_phone],
                )?;
                Ok(id)
            })
            .await
    }

    async fn create_point(&self, p: NewPoint) -> Result<PointId, StoreError> {
        p.validate().map_err(invalid)?;
        self.writer
            .run(move |conn, _| {
                exists(conn, "regions", &p.region)?;
                if let Some(route) = &p.route {
                    exists(conn, "routes", route)?;
                }
                let id = PointId::new();
                let key = CodeKey::random(&mut OsRng);
                conn.execute(
                    "INSERT INTO points (id, region_id, name, leader_name, leader_phone, province, city,
                        district, address, lat, lng, route_id, stop_seq, status, opening_hours,
                        commission_override, code_key)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'applied', ?14, ?15, ?16)",
                    params![
                        id.to_string(), p.region, p.name.trim(), p.leader_name.trim(), p.leader_phone,
                        p.province, p.city, p.district, p.address, p.lat, p.lng, p.route, p.stop_seq,
                        p.opening_hours, p.commission_override.map(|r| r.bp()), key.as_bytes().as_slice()
                    ],
                )?;
                Ok(id)
            })
            .await
    }

    async fn set_point_status(
        &self,
        point: PointId,
        status: PointStatus,
    ) -> Result<(), StoreError> {
        self.writer
            .run(move |conn, _| {
                let n = conn.execute(
                    "UPDATE points SET status = ?2 WHERE id = ?1",
                    params![point.to_string(), status.as_str()],
                )?;
                if n == 0 {
                    return Err(StoreError::NotFound(format!("pickup point {point}")));
                }
                Ok(())
            })
            .await
    }

    async fn create_supplier(&self, s: NewSupplier) -> Result<String, StoreError> {
        s.validate().map_err(invalid)?;
        self.writer
            .run(move |conn, _| {
                let id = SupplierId::new().to_string();
                conn.execute(
                    "INSERT INTO suppliers (id, name, contact, phone) VALUES (?1, ?2, ?3, ?4)",
                    params![id, s.name.trim(), s.contact.trim(), s.phone],
                )?;
                Ok(id)
            })
            .await
    }

    async fn upsert_product(&self, p: Product, stock: u32) -> Result<(), StoreError> {
        p.validate().map_err(invalid)?;
        self.writer
            .run(move |conn, _| {
                exists(conn, "suppliers", &p.supplier.to_string())?;
                let urls = serde_json::to_string(&p.image_urls)
                    .map_err(|e| StoreError::Internal(e.to_string()))?;
                conn.execute(
                    "INSERT INTO products (sku, name, category, spec, image_urls, price, stock, supplier_id,
                        returnable, return_window_days, points_eligible, purchase_limit, sale_opens,
                        sale_closes, commission_rate)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                     ON CONFLICT (sku) DO UPDATE SET name = ?2, category = ?3, spec = ?4, image_urls = ?5,
                        price = ?6, stock = ?7, supplier_id = ?8, returnable = ?9, return_window_days = ?10,
                        points_eligible = ?11, purchase_limit = ?12, sale_opens = ?13, sale_closes = ?14,
                        commission_rate = ?15, version = products.version + 1",
                    params![
                        p.sku.to_string(), p.name, p.category, p.spec, urls, p.price.0, stock,
                        p.supplier.to_string(), p.returnable, p.return_window_days, p.points_eligible,
                        p.purchase_limit, p.sale_window.map(|w| w.opens.0), p.sale_window.map(|w| w.closes.0),
                        p.commission_rate.map(|r| r.bp())
                    ],
                )?;
                super::sqlite_edits::register_category(conn, &p.category)?;
                super::writer::pull_changed("*", linli_core::sync::PullKind::Catalog);
                Ok(())
            })
            .await
    }

    async fn create_consumer(&self, name: String, phone: String) -> Result<ConsumerId, StoreError> {
        let mut errs = Vec::new();
        if name.trim().is_empty() || name.chars().count() > 20 {
            errs.push(FieldError::new("name", "must be 1–20 characters"));
        }
        if phone.len() != 11
            || !phone.starts_with('1')
            || !phone.bytes().all(|b| b.is_ascii_digit())
        {
            errs.push(FieldError::new(
                "phone",
                "must be an 11-digit mobile number starting with 1",
            ));
        }
        if !errs.is_empty() {
            return Err(invalid(errs));
        }
        self.writer
            .run(move |conn, _| {
                let id = ConsumerId::new();
                conn.execute(
                    "INSERT INTO consumers (id, name, phone) VALUES (?1, ?2, ?3)",
                    params![id.to_string(), name.trim(), phone],
                )?;
                Ok(id)
            })
            .await
    }

    async fn place_order(&self, o: PlaceOrder) -> Result<PlacedOrder, StoreError> {
        let key = o.idempotency_key.trim().to_string();
        if key.is_empty() || key.len() > 64 {
            return Err(invalid(vec![FieldError::new(
                "idempotency_key",
                "must be 1–64 characters",
            )]));
        }
        self.writer
            .run(move |conn, docs| place(conn, docs, o, key))
            .await
    }

    async fn run_cutoff(
        &self,
        region: String,
        day: String,
        at: Millis,
    ) -> Result<WaveSummary, StoreError> {
        if NaiveDate::parse_from_str(&day, "%Y-%m-%d").is_err() {
            return Err(invalid(vec![FieldError::new(
                "day",
                "must be a date YYYY-MM-DD",
            )]));
        }
        self.writer
            .run(move |conn, docs| cutoff(conn, docs, &region, &day, at))
            .await
    }

    async fn stock_of(&self, sku: SkuId) -> Result<u32, StoreError> {
        self.writer
            .run(move |conn, _| {
                optional::<u32>(
                    conn,
                    "SELECT stock FROM products WHERE sku = ?1",
                    [sku.to_string()],
                )?
                .ok_or_else(|| StoreError::NotFound(format!("product {sku}")))
            })
            .await
    }

    async fn point_day_document(
        &self,
        point: PointId,
        day: String,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.writer
            .run(move |conn, docs| {
                let key = format!("{point}/{day}");
                Ok(docs.get(conn, &key)?.map(|d| d.save()))
            })
            .await
    }
}

fn exists(conn: &Connection, table: &str, id: &str) -> Result<(), StoreError> {
    let sql = format!("SELECT 1 FROM {table} WHERE id = ?1");
    optional::<i64>(conn, &sql, [id])?
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(format!("{} {id}", table.trim_end_matches('s'))))
}

fn request_hash(o: &PlaceOrder) -> String {
    let body = serde_json::to_vec(&(&o.point, &o.lines, &o.payment)).unwrap_or_default();
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct PointRow {
    region: String,
    status: String,
    zone: String,
    cutoff: String,
    key: CodeKey,
    commission_override: Option<u32>,
}

fn point_row(conn: &Connection, point: PointId) -> Result<PointRow, StoreError> {
    conn.prepare_cached(
        "SELECT p.region_id, p.status, r.zone, r.cutoff, p.code_key, p.commission_override
         FROM points p JOIN regions r ON r.id = p.region_id WHERE p.id = ?1",
    )?
    .query_row([point.to_string()], |r| {
        let key: Vec<u8> = r.get(4)?;
        Ok(PointRow {
            region: r.get(0)?,
            status: r.get(1)?,
            zone: r.get(2)?,
            cutoff: r.get(3)?,
            key: CodeKey::from_bytes(key.try_into().unwrap_or([0; 32])),
            commission_override: r.get(5)?,
        })
    })
    .map_err(|e| match e {
        rusqlite::Error::QueryReturnedNoRows => {
            StoreError::NotFound(format!("pickup point {point}"))
        }
        e => e.into(),
    })
}

fn product(conn: &Connection, sku: SkuId) -> Result<Option<Product>, StoreError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(
            "SELECT name, category, spec, image_urls, price, supplier_id, returnable, return_window_days,
                points_eligible, purchase_limit, sale_opens, sale_closes, commission_rate
             FROM products WHERE sku = ?1",
        )?
        .query_row([sku.to_string()], |r| {
            let urls: String = r.get(3)?;
            let supplier: String = r.get(5)?;
            let window = match (r.get::<_, Option<i64>>(10)?, r.get::<_, Option<i64>>(11)?) {
                (Some(o), Some(c)) => Some(SaleWindow { opens: Millis(o), closes: Millis(c) }),
                _ => None,
            };
            Ok(Product {
                sku,
                name: r.get(0)?,
                category: r.get(1)?,
                spec: r.get(2)?,
                image_urls: serde_json::from_str(&urls).unwrap_or_default(),
                price: Fen(r.get(4)?),
                supplier: supplier.parse().unwrap_or(SupplierId(uuid::Uuid::nil())),
                returnable: r.get(6)?,
                return_window_days: r.get(7)?,
                points_eligible: r.get(8)?,
                purchase_limit: r.get(9)?,
                sale_window: window,
                commission_rate: r.get::<_, Option<u32>>(12)?.map(Rate),
            })
        })
        .optional()?)
}

/// Units of `sku` this consumer already holds in the current limit period: the
/// product's sale window, or the delivery day when it has none.
fn already_bought(
    conn: &Connection,
    consumer: ConsumerId,
    p: &Product,
    day: &str,
) -> Result<u32, StoreError> {
    let base = "SELECT coalesce(sum(l.qty), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id
                WHERE o.consumer_id = ?1 AND l.sku = ?2 AND o.cancelled_at IS NULL AND o.refunded_at IS NULL";
    let n: Option<u32> = match p.sale_window {
        Some(w) => optional(
            conn,
            &format!("{base} AND o.placed_at >= ?3 AND o.placed_at < ?4"),
            params![
                consumer.to_string(),
                p.sku.to_string(),
                w.opens.0,
                w.closes.0
            ],
        )?,
        None => optional(
            conn,
            &format!("{base} AND o.day = ?3"),
            params![consumer.to_string(), p.sku.to_string(), day],
        )?,
    };
    Ok(n.unwrap_or(0))
}

pub(super) fn place(
    conn: &Connection,
    docs: &mut DocCache,
    o: PlaceOrder,
    key: String,
) -> Result<PlacedOrder, StoreError> {
    let hash = request_hash(&o);
    let earlier: Option<(String, String)> = {
        use rusqlite::OptionalExtension;
        conn.prepare_cached(
            "SELECT id, request_hash FROM orders WHERE consumer_id = ?1 AND idempotency_key = ?2",
        )?
        .query_row(params![o.consumer.to_string(), key], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
    };
    if let Some((id, earlier_hash)) = earlier {
        if earlier_hash != hash {
            return Err(StoreError::KeyReused);
        }
        return load_placed(conn, parse_id(&id, "order id")?, true);
    }
    exists(conn, "consumers", &o.consumer.to_string())?;
    let point = point_row(conn, o.point)?;
    if point.status != PointStatus::Approved.as_str() {
        return Err(StoreError::PointNotApproved(o.point));
    }
    let clock = RegionClock::parse(&point.zone, &point.cutoff)
        .map_err(|e| StoreError::Internal(format!("region clock: {e}")))?;
    let day_date = clock
        .delivery_day(o.at)
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    let day = day_date.to_string();
    if optional::<i64>(
        conn,
        "SELECT 1 FROM waves WHERE region_id = ?1 AND day = ?2",
        params![point.region, day],
    )?
    .is_some()
    {
        return Err(StoreError::Invalid(vec![FieldError::new(
            "lines",
            format!("ordering for delivery on {day} has closed"),
        )]));
    }

    let mut catalog = BTreeMap::new();
    let mut bought = BTreeMap::new();
    for l in &o.lines {
        if let Some(p) = product(conn, l.sku)? {
            if p.purchase_limit.is_some() {
                bought.insert(p.sku, already_bought(conn, o.consumer, &p, &day)?);
            }
            catalog.insert(p.sku, p);
        }
    }
    let rates = linli_core::commission::CommissionRates {
        default: Rate(1_000),
        ..Default::default()
    };
    let lines: Vec<OrderLine> = plan_lines(
        &o.lines,
        &catalog,
        &rates,
        point.commission_override.map(Rate),
        &bought,
        o.at,
    )?;
    for (i, l) in lines.iter().enumerate() {
        let taken = conn
            .prepare_cached(
                "UPDATE products SET stock = stock - ?1 WHERE sku = ?2 AND stock >= ?1",
            )?
            .execute(params![l.qty, l.sku.to_string()])?;
        if taken == 0 {
            let left: u32 = optional(
                conn,
                "SELECT stock FROM products WHERE sku = ?1",
                [l.sku.to_string()],
            )?
            .unwrap_or(0);
            return Err(OrderRefusal::OutOfStock {
                line: i + 1,
                name: l.name.clone(),
                left,
            }
            .into());
        }
    }

    let open_since = day_date
        .checked_sub_days(Days::new(OPEN_FOR_DAYS))
        .map(|d| d.to_string())
        .unwrap_or_default();
    let (code, digest) = loop {
        let code = PickupCode::random(&mut OsRng);
        let digest = point.key.digest(&code);
        // `+day` keeps the planner on (point_id, code_digest): one row. Left to itself
        // it walked every order of the point's last two weeks by (point_id, day).
        let taken = optional::<i64>(
            conn,
            "SELECT 1 FROM orders WHERE point_id = ?1 AND code_digest = ?2 AND +day >= ?3
               AND cancelled_at IS NULL AND refunded_at IS NULL",
            params![o.point.to_string(), digest.0.as_slice(), open_since],
        )?;
        if taken.is_none() {
            break (code, digest);
        }
    };
    let seq: i64 = optional(
        conn,
        "SELECT count(*) + 1 FROM orders WHERE point_id = ?1 AND day = ?2",
        params![o.point.to_string(), day],
    )?
    .unwrap_or(1);
    let number = format!("{}-{seq:04}", day_date.format("%m%d"));
    let id = OrderId::new();
    let paid: Fen = lines.iter().map(OrderLine::total).sum();
    let earned = points_earned(&lines, &catalog);
    conn.prepare_cached(
        "INSERT INTO orders (id, consumer_id, point_id, day, number, placed_at, paid, payment, code,
            code_digest, points_earned, idempotency_key, request_hash, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        id.to_string(), o.consumer.to_string(), o.point.to_string(), day, number, o.at.0, paid.0,
        o.payment.as_str(), code.digits(), digest.0.as_slice(), earned, key, hash,
        OrderStatus::AwaitingDelivery.as_str()
    ])?;
    for l in &lines {
        conn.prepare_cached(
            "INSERT INTO order_lines (order_id, sku, name, supplier_id, qty, unit_price, commission_rate)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            id.to_string(), l.sku.to_string(), l.name, l.supplier.to_string(), l.qty, l.unit_price.0,
            l.commission_rate.bp()
        ])?;
    }
    let placed = tally(OrderStatus::AwaitingDelivery, paid, &lines);
    report_sums::add(conn, &o.point.to_string(), &day, &placed)?;
    conn.prepare_cached("UPDATE consumers SET points = points + ?2 WHERE id = ?1")?
        .execute(params![o.consumer.to_string(), earned])?;

    let (name, phone): (String, String) = conn
        .prepare_cached("SELECT name, phone FROM consumers WHERE id = ?1")?
        .query_row([o.consumer.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let facts = OrderFacts {
        id,
        number: number.clone(),
        consumer_name: name,
        phone_tail: phone[phone.len().saturating_sub(4)..].to_string(),
        placed_at: o.at,
        lines: lines.clone(),
        paid,
        code_digest: digest,
        cancelled_at: None,
        refunded_at: None,
    };
    let doc_key = format!("{}/{day}", o.point);
    let new_document = docs.get(conn, &doc_key)?.is_none();
    let doc = if new_document {
        docs.insert(&doc_key, PointDayDoc::genesis(o.point, &day)?)
    } else {
        docs.get(conn, &doc_key)?
            .ok_or_else(|| StoreError::Internal("document vanished".into()))?
    };
    doc.put_order(&facts)?;
    store_changes(conn, &doc_key, doc, new_document)?;

    Ok(PlacedOrder {
        id,
        point: o.point,
        day,
        number,
        qr_payload: PickupQr::new(o.point, code).encode(),
        code: code.digits(),
        paid,
        points_earned: earned,
        lines: lines
            .iter()
            .map(|l| PlacedLine {
                sku: l.sku.to_string(),
                name: l.name.clone(),
                qty: l.qty,
                unit_price: l.unit_price,
            })
            .collect(),
        replayed: false,
    })
}

fn load_placed(conn: &Connection, id: OrderId, replayed: bool) -> Result<PlacedOrder, StoreError> {
    let (point, day, number, code, paid, earned): (String, String, String, String, i64, u64) = conn
        .prepare_cached(
            "SELECT point_id, day, number, code, paid, points_earned FROM orders WHERE id = ?1",
        )?
        .query_row([id.to_string()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
    let point: PointId = parse_id(&point, "point id")?;
    let code = PickupCode::parse(&code).map_err(|e| StoreError::Internal(e.to_string()))?;
    let lines = conn
        .prepare_cached("SELECT sku, name, qty, unit_price FROM order_lines WHERE order_id = ?1")?
        .query_map([id.to_string()], |r| {
            Ok(PlacedLine {
                sku: r.get(0)?,
                name: r.get(1)?,
                qty: r.get(2)?,
                unit_price: Fen(r.get(3)?),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PlacedOrder {
        id,
        point,
        day,
        number,
        qr_payload: PickupQr::new(point, code).encode(),
        code: code.digits(),
        paid: Fen(paid),
        points_earned: earned,
        lines,
        replayed,
    })
}

fn cutoff(
    conn: &Connection,
    docs: &mut DocCache,
    region: &str,
    day: &str,
    at: Millis,
) -> Result<WaveSummary, StoreError> {
    exists(conn, "regions", region)?;
    if let Some(orders) = optional::<i64>(
        conn,
        "SELECT orders FROM waves WHERE region_id = ?1 AND day = ?2",
        params![region, day],
    )? {
        let units: i64 = optional(conn, "SELECT coalesce(sum(qty), 0) FROM purchase_order_lines WHERE region_id = ?1 AND day = ?2", params![region, day])?.unwrap_or(0);
        let suppliers: i64 = optional(conn, "SELECT count(DISTINCT supplier_id) FROM purchase_order_lines WHERE region_id = ?1 AND day = ?2", params![region, day])?.unwrap_or(0);
        let points: i64 = optional(conn, "SELECT count(DISTINCT point_id) FROM delivery_sheet_lines WHERE region_id = ?1 AND day = ?2", params![region, day])?.unwrap_or(0);
        return Ok(WaveSummary {
            region: region.into(),
            day: day.into(),
            orders: orders as u64,
            units: units as u64,
            suppliers: suppliers as usize,
            points: points as usize,
            created: false,
        });
    }
    // The wave's live orders with their lines, and each point's route.
    let mut route_of = BTreeMap::new();
    let mut by_point: BTreeMap<PointId, Vec<OrderFacts>> = BTreeMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT o.id, o.point_id, p.route_id, o.number, o.placed_at, o.paid
             FROM orders o JOIN points p ON p.id = o.point_id
             WHERE p.region_id = ?1 AND o.day = ?2 AND o.cancelled_at IS NULL AND o.refunded_at IS NULL",
        )?;
        let rows = stmt.query_map(params![region, day], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        for row in rows {
            let (id, point, route, number, placed_at, paid) = row?;
            let point: PointId = parse_id(&point, "point id")?;
            let route: RouteId = match route {
                Some(r) => parse_id(&r, "route id")?,
                None => return Err(StoreError::PointWithoutRoute(point)),
            };
            route_of.insert(point, route);
            let order_lines = stored_order_lines(conn, &id)?;
            by_point.entry(point).or_default().push(OrderFacts {
                id: parse_id(&id, "order id")?,
                number,
                consumer_name: String::new(),
                phone_tail: String::new(),
                placed_at: Millis(placed_at),
                lines: order_lines,
                paid: Fen(paid),
                code_digest: linli_core::pickup_code::CodeDigest([0; 16]),
                cancelled_at: None,
                refunded_at: None,
            });
        }
    }
    let wave = aggregate(
        by_point
            .iter()
            .flat_map(|(p, os)| os.iter().map(move |o| (*p, o))),
        &route_of,
    )
    .map_err(|e| match e {
        linli_core::cutoff::CutoffError::PointWithoutRoute(p) => StoreError::PointWithoutRoute(p),
    })?;
    let orders: usize = by_point.values().map(Vec::len).sum();
    conn.execute(
        "INSERT INTO waves (region_id, day, frozen_at, orders) VALUES (?1, ?2, ?3, ?4)",
        params![region, day, at.0, orders as i64],
    )?;
    let mut units = 0u64;
    for (supplier, skus) in &wave.purchase_orders {
        for (sku, q) in skus {
            units += q.qty;
            conn.prepare_cached(
                "INSERT INTO purchase_order_lines VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                region,
                day,
                supplier.to_string(),
                sku.to_string(),
                q.name,
                q.qty as i64
            ])?;
        }
    }
    for (route, points) in &wave.delivery_sheets {
        for (point, skus) in points {
            for (sku, q) in skus {
                conn.prepare_cached(
                    "INSERT INTO delivery_sheet_lines VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    region,
                    day,
                    route.to_string(),
                    point.to_string(),
                    sku.to_string(),
                    q.name,
                    q.qty as i64
                ])?;
            }
        }
    }
    for point in by_point.keys() {
        let key = format!("{point}/{day}");
        let doc = docs
            .get(conn, &key)?
            .ok_or_else(|| StoreError::Internal(format!("orders without a document: {key}")))?;
        for line in wave.expected_lines(*point) {
            doc.put_expected(&line)?;
        }
        store_changes(conn, &key, doc, false)?;
    }
    Ok(WaveSummary {
        region: region.into(),
        day: day.into(),
        orders: orders as u64,
        units,
        suppliers: wave.purchase_orders.len(),
        points: by_point.len(),
        created: true,
    })
}
