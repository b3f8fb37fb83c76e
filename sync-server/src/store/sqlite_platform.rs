//! The platform's records in the embedded SQLite store: filtered, paged lists,
//! single records, product changes and point status moves. Filters are bound
//! parameters; only fixed column names are spliced into the SQL text.

use linli_core::catalog::{FieldError, Product};
use linli_core::ids::{PointId, SkuId};
use linli_core::money::{Fen, Rate};
use rusqlite::{params, Connection, OptionalExtension, Row};

use linli_core::time::Millis;

use super::audit::append_audit;
use super::listing::{page, Filter};
use super::platform_store::{
    check_transition, PageRequest, PlatformStore, Point, PointFilter, PointPage, PointTransition,
    ProductFilter, ProductPage, ProductRecord, Region, RegionPage, Route, RoutePage, RouteStop,
    SaleWindowBody, Supplier, SupplierPage,
};
use super::writer::optional;
use super::{Actor, AuditRecord};
use super::{PointStatus, SqliteStore, StoreError};

fn parse_status(s: &str) -> Result<PointStatus, StoreError> {
    match s {
        "applied" => Ok(PointStatus::Applied),
        "approved" => Ok(PointStatus::Approved),
        "suspended" => Ok(PointStatus::Suspended),
        other => Err(StoreError::Internal(format!(
            "unknown point status '{other}'"
        ))),
    }
}

pub(super) fn one<T>(
    conn: &Connection,
    sql: &str,
    id: &str,
    what: &str,
    row: impl Fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(r) => row(r),
        None => Err(StoreError::NotFound(format!("{what} {id}"))),
    }
}

pub(super) const REGION_COLUMNS: &str = "id, name, zone, cutoff";

pub(super) fn region(r: &Row<'_>) -> Result<Region, StoreError> {
    Ok(Region {
        id: r.get(0)?,
        name: r.get(1)?,
        zone: r.get(2)?,
        cutoff: r.get(3)?,
    })
}

const ROUTE_COLUMNS: &str = "id, region_id, name, driver_name, driver_phone";

fn route(r: &Row<'_>) -> Result<Route, StoreError> {
    Ok(Route {
        id: r.get(0)?,
        region: r.get(1)?,
        name: r.get(2)?,
        driver_name: r.get(3)?,
        driver_phone: r.get(4)?,
    })
}

pub(super) const POINT_COLUMNS: &str =
    "id, region_id, name, leader_name, leader_phone, province, city, district,
    address, lat, lng, route_id, stop_seq, status, opening_hours, commission_override, version,
    decision_reason";

pub(super) fn point(r: &Row<'_>) -> Result<Point, StoreError> {
    Ok(Point {
        id: r.get(0)?,
        region: r.get(1)?,
        name: r.get(2)?,
        leader_name: r.get(3)?,
        leader_phone: r.get(4)?,
        province: r.get(5)?,
        city: r.get(6)?,
        district: r.get(7)?,
        address: r.get(8)?,
        lat: r.get(9)?,
        lng: r.get(10)?,
        route: r.get(11)?,
        stop_seq: r.get(12)?,
        status: parse_status(&r.get::<_, String>(13)?)?,
        opening_hours: r.get(14)?,
        commission_override: r.get(15)?,
        version: r.get(16)?,
        decision_reason: r.get(17)?,
    })
}

const SUPPLIER_COLUMNS: &str = "id, name, contact, phone";

fn supplier(r: &Row<'_>) -> Result<Supplier, StoreError> {
    Ok(Supplier {
        id: r.get(0)?,
        name: r.get(1)?,
        contact: r.get(2)?,
        phone: r.get(3)?,
    })
}

pub(super) const PRODUCT_COLUMNS: &str =
    "sku, name, category, spec, image_urls, price, stock, supplier_id,
    returnable, return_window_days, points_eligible, purchase_limit, sale_opens, sale_closes,
    commission_rate, version";

fn product(r: &Row<'_>) -> Result<ProductRecord, StoreError> {
    let sku: String = r.get(0)?;
    let urls: String = r.get(4)?;
    let image_urls = serde_json::from_str(&urls).map_err(|e| {
        StoreError::Internal(format!("product {sku} has unreadable image_urls: {e}"))
    })?;
    let sale_window = match (r.get::<_, Option<i64>>(12)?, r.get::<_, Option<i64>>(13)?) {
        (Some(opens), Some(closes)) => Some(SaleWindowBody { opens, closes }),
        _ => None,
    };
    Ok(ProductRecord {
        name: r.get(1)?,
        category: r.get(2)?,
        spec: r.get(3)?,
        image_urls,
        price: r.get(5)?,
        stock: r.get(6)?,
        supplier: r.get(7)?,
        returnable: r.get(8)?,
        return_window_days: r.get(9)?,
        points_eligible: r.get(10)?,
        purchase_limit: r.get(11)?,
        sale_window,
        commission_rate: r.get(14)?,
        version: r.get(15)?,
        sku,
    })
}

/// The catalog's own view of a stored product, so its rules can judge a change.
pub(super) fn as_product(p: &ProductRecord) -> Result<Product, StoreError> {
    let bad = |what: &str| StoreError::Internal(format!("product {} has a bad {what}", p.sku));
    Ok(Product {
        sku: p.sku.parse().map_err(|_| bad("sku"))?,
        name: p.name.clone(),
        category: p.category.clone(),
        spec: p.spec.clone(),
        image_urls: p.image_urls.clone(),
        price: Fen(p.price),
        supplier: p.supplier.parse().map_err(|_| bad("supplier id"))?,
        returnable: p.returnable,
        return_window_days: p.return_window_days,
        points_eligible: p.points_eligible,
        purchase_limit: p.purchase_limit,
        sale_window: p.sale_window.map(Into::into),
        commission_rate: p.commission_rate.map(Rate),
    })
}

/// The route's points in driving order.
pub(super) fn stops(conn: &Connection, id: &str) -> Result<Vec<RouteStop>, StoreError> {
    one(
        conn,
        "SELECT 1 FROM routes WHERE id = ?1",
        id,
        "route",
        |_| Ok(()),
    )?;
    let mut stmt = conn.prepare_cached(
        "SELECT stop_seq, id, name, address, leader_name, leader_phone, status
         FROM points WHERE route_id = ?1 AND stop_seq IS NOT NULL ORDER BY stop_seq, id",
    )?;
    let mut rows = stmt.query([id])?;
    let mut stops = Vec::new();
    while let Some(r) = rows.next()? {
        stops.push(RouteStop {
            stop_seq: r.get(0)?,
            point: r.get(1)?,
            name: r.get(2)?,
            address: r.get(3)?,
            leader_name: r.get(4)?,
            leader_phone: r.get(5)?,
            status: parse_status(&r.get::<_, String>(6)?)?,
        });
    }
    Ok(stops)
}

pub(super) fn load_point(conn: &Connection, id: &str) -> Result<Point, StoreError> {
    one(
        conn,
        &format!("SELECT {POINT_COLUMNS} FROM points WHERE id = ?1"),
        id,
        "pickup point",
        point,
    )
}

pub(super) fn load_product(conn: &Connection, sku: &str) -> Result<ProductRecord, StoreError> {
    one(
        conn,
        &format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE sku = ?1"),
        sku,
        "product",
        product,
    )
}

fn transition(
    conn: &Connection,
    id: &str,
    t: PointTransition,
    by: &Actor,
) -> Result<Point, StoreError> {
    let current = load_point(conn, id)?;
    check_transition(current.status, &t, current.route.is_some()).map_err(StoreError::Invalid)?;
    let reason = t.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if t.status == PointStatus::Suspended && reason.is_none() {
        return Err(StoreError::Invalid(vec![FieldError::new(
            "reason",
            "say why: the leader sees it",
        )
        .zh("请填写原因：团长会看到")]));
    }
    if let (Some(route), Some(stop)) = (&t.route, t.stop_seq) {
        let route_region: Option<String> =
            optional(conn, "SELECT region_id FROM routes WHERE id = ?1", [route])?;
        match route_region {
            None => {
                return Err(StoreError::Invalid(vec![FieldError::new(
                    "route",
                    format!("no route {route}"),
                )]))
            }
            Some(r) if r != current.region => {
                return Err(StoreError::Invalid(vec![FieldError::new(
                    "route",
                    "the route belongs to another region than the point",
                )]))
            }
            Some(_) => {}
        }
        let holder: Option<String> = conn
            .prepare_cached(
                "SELECT name FROM points WHERE route_id = ?1 AND stop_seq = ?2 AND id <> ?3",
            )?
            .query_row(params![route, stop, id], |r| r.get(0))
            .optional()?;
        if let Some(name) = holder {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "stop_seq",
                format!("stop {stop} of this route is already the point '{name}'"),
            )]));
        }
        conn.execute(
            "UPDATE points SET route_id = ?2, stop_seq = ?3 WHERE id = ?1",
            params![id, route, stop],
        )?;
    }
    conn.execute(
        "UPDATE points SET status = ?2, decision_reason = ?3, version = version + 1 WHERE id = ?1",
        params![id, t.status.as_str(), reason],
    )?;
    let after = load_point(conn, id)?;
    let (action, zh) = match (current.status, t.status) {
        (PointStatus::Applied, PointStatus::Approved) => ("point.approve", "通过团长申请"),
        (PointStatus::Applied, _) => ("point.reject", "驳回团长申请"),
        (_, PointStatus::Suspended) => ("point.suspend", "暂停自提点"),
        _ => ("point.resume", "恢复自提点"),
    };
    append_audit(
        conn,
        by,
        Millis::now(),
        &AuditRecord::new(action, "point", id, format!("{zh}：{}", after.name))
            .states(Some(&current), Some(&after)),
    )?;
    Ok(after)
}

impl PlatformStore for SqliteStore {
    async fn list_regions(&self, req: PageRequest) -> Result<RegionPage, StoreError> {
        self.readers
            .run(move |conn| {
                let (items, total) = page(
                    conn,
                    "regions",
                    REGION_COLUMNS,
                    "name, id",
                    &Filter::new(),
                    req,
                    region,
                )?;
                Ok(RegionPage {
                    items,
                    total,
                    limit: req.limit,
                    offset: req.offset,
                })
            })
            .await
    }

    async fn get_region(&self, id: String) -> Result<Region, StoreError> {
        self.readers
            .run(move |conn| {
                one(
                    conn,
                    &format!("SELECT {REGION_COLUMNS} FROM regions WHERE id = ?1"),
                    &id,
                    "region",
                    region,
                )
            })
            .await
    }

    async fn list_routes(
        &self,
        region_id: Option<String>,
        req: PageRequest,
    ) -> Result<RoutePage, StoreError> {
        self.readers
            .run(move |conn| {
                let filters = Filter::new().eq("region_id", region_id);
                let (items, total) = page(
                    conn,
                    "routes",
                    ROUTE_COLUMNS,
                    "name, id",
                    &filters,
                    req,
                    route,
                )?;
                Ok(RoutePage {
                    items,
                    total,
                    limit: req.limit,
                    offset: req.offset,
                })
            })
            .await
    }

    async fn get_route(&self, id: String) -> Result<Route, StoreError> {
        self.readers
            .run(move |conn| {
                one(
                    conn,
                    &format!("SELECT {ROUTE_COLUMNS} FROM routes WHERE id = ?1"),
                    &id,
                    "route",
                    route,
                )
            })
            .await
    }

    async fn route_stops(&self, id: String) -> Result<Vec<RouteStop>, StoreError> {
        self.readers.run(move |conn| stops(conn, &id)).await
    }

    async fn list_points(&self, f: PointFilter, req: PageRequest) -> Result<PointPage, StoreError> {
        self.readers
            .run(move |conn| {
                let filters = Filter::new()
                    .eq("status", f.status.map(|s| s.as_str().to_string()))
                    .eq("region_id", f.region)
                    .eq("route_id", f.route);
                let (items, total) =
                    page(conn, "points", POINT_COLUMNS, "id", &filters, req, point)?;
                Ok(PointPage {
                    items,
                    total,
                    limit: req.limit,
                    offset: req.offset,
                })
            })
            .await
    }

    async fn get_point(&self, id: PointId) -> Result<Point, StoreError> {
        self.readers
            .run(move |conn| load_point(conn, &id.to_string()))
            .await
    }

    async fn transition_point(
        &self,
        id: PointId,
        t: PointTransition,
        by: Actor,
    ) -> Result<Point, StoreError> {
        self.writer
            .run(move |conn, _| transition(conn, &id.to_string(), t, &by))
            .await
    }

    async fn list_suppliers(&self, req: PageRequest) -> Result<SupplierPage, StoreError> {
        self.readers
            .run(move |conn| {
                let (items, total) = page(
                    conn,
                    "suppliers",
                    SUPPLIER_COLUMNS,
                    "name, id",
                    &Filter::new(),
                    req,
                    supplier,
                )?;
                Ok(SupplierPage {
                    items,
                    total,
                    limit: req.limit,
                    offset: req.offset,
                })
            })
            .await
    }

    async fn get_supplier(&self, id: String) -> Result<Supplier, StoreError> {
        self.readers
            .run(move |conn| {
                one(
                    conn,
                    &format!("SELECT {SUPPLIER_COLUMNS} FROM suppliers WHERE id = ?1"),
                    &id,
                    "supplier",
                    supplier,
                )
            })
            .await
    }

    async fn list_products(
        &self,
        f: ProductFilter,
        req: PageRequest,
    ) -> Result<ProductPage, StoreError> {
        self.readers
            .run(move |conn| {
                let filters = Filter::new()
                    .eq("category", f.category)
                    .eq("supplier_id", f.supplier);
                let (items, total) = page(
                    conn,
                    "products",
                    PRODUCT_COLUMNS,
                    "sku",
                    &filters,
                    req,
                    product,
                )?;
                Ok(ProductPage {
                    items,
                    total,
                    limit: req.limit,
                    offset: req.offset,
                })
            })
            .await
    }

    async fn get_product(&self, sku: SkuId) -> Result<ProductRecord, StoreError> {
        self.readers
            .run(move |conn| load_product(conn, &sku.to_string()))
            .await
    }
}
