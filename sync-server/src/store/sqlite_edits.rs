//! `RecordDesk` on the embedded SQLite file: each edit is one writer job that
//! checks the version, applies the change, validates the result with the
//! record's own rules, bumps the version and appends the audit entry, or
//! changes nothing.

use linli_core::catalog::FieldError;
use linli_core::ids::{PointId, SkuId};
use linli_core::money::Rate;
use linli_core::route::check_stop_order;
use linli_core::time::Millis;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use super::audit::append_audit;
use super::edits::{
    Category, ImageUpload, NewCategory, PointChange, ProductChange, RecordDesk, RegionChange,
};
use super::platform::{NewPoint, NewRegion};
use super::platform_store::{Point, ProductRecord, Region, RouteStop};
use super::sqlite_platform::{
    as_product, load_point, load_product, one, region, stops, REGION_COLUMNS,
};
use super::writer::pull_changed;
use super::{Actor, AuditRecord, SqliteStore, StoreError};

/// The path an image is served at (`GET /api/images/{digest}`).
pub fn image_url(digest: &str) -> String {
    format!("/api/images/{digest}")
}

/// Refuses an edit made from an older version, saying what each field it
/// touches holds now.
fn check_version<T: serde::Serialize>(
    kind: &str,
    stored: u64,
    asked: u64,
    now: &T,
    fields: &[&str],
) -> Result<(), StoreError> {
    if stored == asked {
        return Ok(());
    }
    let now = serde_json::to_value(now).unwrap_or(Value::Null);
    let mut errs: Vec<FieldError> = fields
        .iter()
        .map(|f| {
            let v = now.get(*f).cloned().unwrap_or(Value::Null);
            FieldError::new(f, format!("changed by someone else; it is now {v}"))
                .zh(format!("已被他人修改，现为 {v}"))
        })
        .collect();
    errs.push(
        FieldError::new(
            "version",
            format!("this {kind} is at version {stored}; you edited version {asked}. Reload and edit again"),
        )
        .zh(format!("已更新到第 {stored} 版（你编辑的是第 {asked} 版），请刷新后重新编辑")),
    );
    Err(StoreError::Stale(errs))
}

/// The audit entry of an edit: the record before and after, in the edit's job.
#[allow(clippy::too_many_arguments)]
fn record_edit<T: serde::Serialize>(
    conn: &Connection,
    by: &Actor,
    action: &'static str,
    kind: &'static str,
    id: &str,
    summary: String,
    before: &T,
    after: &T,
) -> Result<(), StoreError> {
    let entry = AuditRecord::new(action, kind, id, summary).states(Some(before), Some(after));
    append_audit(conn, by, Millis::now(), &entry)
}

fn touched_product(c: &ProductChange) -> Vec<&'static str> {
    let mut f = Vec::new();
    let mut t = |on: bool, name| {
        if on {
            f.push(name)
        }
    };
    t(c.name.is_some(), "name");
    t(c.category.is_some(), "category");
    t(c.spec.is_some(), "spec");
    t(c.price.is_some(), "price");
    t(c.stock.is_some(), "stock");
    t(c.supplier.is_some(), "supplier");
    t(c.returnable.is_some(), "returnable");
    t(c.return_window_days.is_some(), "return_window_days");
    t(c.points_eligible.is_some(), "points_eligible");
    t(c.purchase_limit.is_some(), "purchase_limit");
    t(c.sale_window.is_some(), "sale_window");
    t(c.commission_rate.is_some(), "commission_rate");
    f
}

fn exists(conn: &Connection, sql: &str, key: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([key], |_| Ok(()))
        .optional()?
        .is_some())
}

fn edit_product(
    conn: &Connection,
    sku: &str,
    c: ProductChange,
    by: &Actor,
) -> Result<ProductRecord, StoreError> {
    let before = load_product(conn, sku)?;
    check_version(
        "product",
        before.version,
        c.version,
        &before,
        &touched_product(&c),
    )?;
    let mut p = before.clone();
    let counters_see = c.price.is_some() || c.name.is_some() || c.spec.is_some();
    if let Some(v) = c.name {
        p.name = v;
    }
    if let Some(v) = c.category {
        p.category = v;
    }
    if let Some(v) = c.spec {
        p.spec = v;
    }
    if let Some(v) = c.price {
        p.price = v;
    }
    if let Some(v) = c.stock {
        p.stock = v;
    }
    if let Some(v) = c.supplier {
        if !exists(conn, "SELECT 1 FROM suppliers WHERE id = ?1", &v)? {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "supplier",
                format!("no supplier {v}"),
            )
            .zh(format!("没有供应商 {v}"))]));
        }
        p.supplier = v;
    }
    if let Some(v) = c.returnable {
        p.returnable = v;
    }
    if let Some(v) = c.return_window_days {
        p.return_window_days = v;
    }
    if let Some(v) = c.points_eligible {
        p.points_eligible = v;
    }
    if let Some(v) = c.purchase_limit {
        p.purchase_limit = v;
    }
    if let Some(v) = c.sale_window {
        p.sale_window = v;
    }
    if let Some(v) = c.commission_rate {
        p.commission_rate = v;
    }
    as_product(&p)?.validate().map_err(StoreError::Invalid)?;
    register_category(conn, &p.category)?;
    conn.execute(
        "UPDATE products SET name = ?2, category = ?3, spec = ?4, price = ?5, stock = ?6,
            supplier_id = ?7, returnable = ?8, return_window_days = ?9, points_eligible = ?10,
            purchase_limit = ?11, sale_opens = ?12, sale_closes = ?13, commission_rate = ?14,
            version = version + 1
         WHERE sku = ?1",
        params![
            sku,
            p.name,
            p.category,
            p.spec,
            p.price,
            p.stock,
            p.supplier,
            p.returnable,
            p.return_window_days,
            p.points_eligible,
            p.purchase_limit,
            p.sale_window.map(|w| w.opens),
            p.sale_window.map(|w| w.closes),
            p.commission_rate
        ],
    )?;
    if counters_see {
        // Counters hold the catalog's names and prices (decision 0010); stock they do not.
        pull_changed("*", linli_core::sync::PullKind::Catalog);
    }
    let after = load_product(conn, sku)?;
    record_edit(
        conn,
        by,
        "product.update",
        "product",
        sku,
        format!("修改商品：{}", after.name),
        &before,
        &after,
    )?;
    Ok(after)
}

fn touched_point(c: &PointChange) -> Vec<&'static str> {
    let mut f = Vec::new();
    let mut t = |on: bool, name| {
        if on {
            f.push(name)
        }
    };
    t(c.name.is_some(), "name");
    t(c.leader_name.is_some(), "leader_name");
    t(c.leader_phone.is_some(), "leader_phone");
    t(c.province.is_some(), "province");
    t(c.city.is_some(), "city");
    t(c.district.is_some(), "district");
    t(c.address.is_some(), "address");
    t(c.lat.is_some(), "lat");
    t(c.lng.is_some(), "lng");
    t(c.opening_hours.is_some(), "opening_hours");
    t(c.commission_override.is_some(), "commission_override");
    f
}

fn edit_point(
    conn: &Connection,
    id: &str,
    c: PointChange,
    by: &Actor,
) -> Result<Point, StoreError> {
    let before = load_point(conn, id)?;
    check_version(
        "pickup point",
        before.version,
        c.version,
        &before,
        &touched_point(&c),
    )?;
    let b = before.clone();
    // The point's own rules judge the edited whole, as they judged the new one.
    let edited = NewPoint {
        region: b.region,
        name: c.name.unwrap_or(b.name),
        leader_name: c.leader_name.unwrap_or(b.leader_name),
        leader_phone: c.leader_phone.unwrap_or(b.leader_phone),
        province: c.province.unwrap_or(b.province),
        city: c.city.unwrap_or(b.city),
        district: c.district.unwrap_or(b.district),
        address: c.address.unwrap_or(b.address),
        lat: c.lat.unwrap_or(b.lat),
        lng: c.lng.unwrap_or(b.lng),
        route: b.route,
        stop_seq: b.stop_seq,
        opening_hours: c.opening_hours.unwrap_or(b.opening_hours),
        commission_override: c
            .commission_override
            .unwrap_or(b.commission_override)
            .map(Rate),
    };
    edited.validate().map_err(StoreError::Invalid)?;
    conn.execute(
        "UPDATE points SET name = ?2, leader_name = ?3, leader_phone = ?4, province = ?5,
            city = ?6, district = ?7, address = ?8, lat = ?9, lng = ?10, opening_hours = ?11,
            commission_override = ?12, version = version + 1
         WHERE id = ?1",
        params![
            id,
            edited.name,
            edited.leader_name,
            edited.leader_phone,
            edited.province,
            edited.city,
            edited.district,
            edited.address,
            edited.lat,
            edited.lng,
            edited.opening_hours,
            edited.commission_override.map(|r| r.bp())
        ],
    )?;
    let after = load_point(conn, id)?;
    record_edit(
        conn,
        by,
        "point.update",
        "point",
        id,
        format!("修改自提点：{}", after.name),
        &before,
        &after,
    )?;
    Ok(after)
}

fn load_region(conn: &Connection, id: &str) -> Result<Region, StoreError> {
    one(
        conn,
        &format!("SELECT {REGION_COLUMNS} FROM regions WHERE id = ?1"),
        id,
        "region",
        region,
    )
}

fn edit_region(
    conn: &Connection,
    id: &str,
    c: RegionChange,
    by: &Actor,
) -> Result<Region, StoreError> {
    let before = load_region(conn, id)?;
    let edited = NewRegion {
        name: c.name.unwrap_or(before.name.clone()),
        zone: c.zone.unwrap_or(before.zone.clone()),
        cutoff: c.cutoff.unwrap_or(before.cutoff.clone()),
    };
    edited.validate().map_err(StoreError::Invalid)?;
    conn.execute(
        "UPDATE regions SET name = ?2, zone = ?3, cutoff = ?4 WHERE id = ?1",
        params![id, edited.name, edited.zone, edited.cutoff],
    )
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Invalid(vec![FieldError::new(
                "name",
                "another region has this name",
            )
            .zh("已有同名区域")])
        }
        e => e.into(),
    })?;
    let after = load_region(conn, id)?;
    record_edit(
        conn,
        by,
        "region.update",
        "region",
        id,
        format!("修改区域：{}", after.name),
        &before,
        &after,
    )?;
    Ok(after)
}

fn reorder(
    conn: &Connection,
    route: &str,
    points: Vec<String>,
    by: &Actor,
) -> Result<Vec<RouteStop>, StoreError> {
    let before = stops(conn, route)?;
    let on_route: Vec<String> = before.iter().map(|s| s.point.clone()).collect();
    check_stop_order(&on_route, &points).map_err(|e| {
        StoreError::Invalid(vec![
            FieldError::new("points", e.to_string()).zh(e.message_zh())
        ])
    })?;
    let mut set = conn
        .prepare_cached("UPDATE points SET stop_seq = ?2, version = version + 1 WHERE id = ?1")?;
    for (seq, p) in (1u32..).zip(&points) {
        set.execute(params![p, seq])?;
    }
    let after = stops(conn, route)?;
    let summary = "调整线路站点顺序".to_string();
    record_edit(
        conn,
        by,
        "route.reorder",
        "route",
        route,
        summary,
        &before,
        &after,
    )?;
    Ok(after)
}

/// A product's category joins the list (last) the first time a product names it,
/// so the list is always every category in use and nothing is refused for it.
pub(super) fn register_category(conn: &Connection, name: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO categories (name, position)
         SELECT ?1, coalesce(max(position), 0) + 1 FROM categories WHERE true
         ON CONFLICT (name) DO NOTHING",
    )?
    .execute([name])?;
    Ok(())
}

fn categories(conn: &Connection) -> Result<Vec<Category>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.name, c.position, (SELECT count(*) FROM products p WHERE p.category = c.name)
         FROM categories c ORDER BY c.position, c.name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Category {
            name: r.get(0)?,
            position: r.get(1)?,
            products: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn create_category(conn: &Connection, c: NewCategory, by: &Actor) -> Result<Category, StoreError> {
    let name = c.name.trim().to_string();
    let mut errs = Vec::new();
    super::platform::required(&mut errs, "name", &name, 20);
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    if exists(conn, "SELECT 1 FROM categories WHERE name = ?1", &name)? {
        return Err(StoreError::Invalid(vec![FieldError::new(
            "name",
            "this category exists already",
        )
        .zh("已有这个分类")]));
    }
    let position = match c.position {
        Some(p) => p,
        None => conn.query_row(
            "SELECT coalesce(max(position), 0) + 1 FROM categories",
            [],
            |r| r.get(0),
        )?,
    };
    conn.execute(
        "INSERT INTO categories (name, position) VALUES (?1, ?2)",
        params![name, position],
    )?;
    let made = Category {
        name: name.clone(),
        position,
        products: 0,
    };
    append_audit(
        conn,
        by,
        Millis::now(),
        &AuditRecord::new(
            "category.create",
            "category",
            &name,
            format!("新增分类：{name}"),
        )
        .states(None::<&Category>, Some(&made)),
    )?;
    Ok(made)
}

fn keep(conn: &Connection, image: &ImageUpload, uploader: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO images (digest, content_type, bytes, uploaded_at, uploaded_by)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (digest) DO NOTHING",
    )?
    .execute(params![
        image.digest,
        image.content_type,
        image.bytes,
        Millis::now().0,
        uploader
    ])?;
    Ok(())
}

fn set_image(
    conn: &Connection,
    sku: &str,
    image: ImageUpload,
    by: &Actor,
) -> Result<ProductRecord, StoreError> {
    let before = load_product(conn, sku)?;
    keep(conn, &image, &by.id)?;
    let url = image_url(&image.digest);
    let mut urls = vec![url.clone()];
    urls.extend(before.image_urls.iter().filter(|u| **u != url).cloned());
    let json = serde_json::to_string(&urls).map_err(|e| StoreError::Internal(e.to_string()))?;
    conn.execute(
        "UPDATE products SET image_urls = ?2, version = version + 1 WHERE sku = ?1",
        params![sku, json],
    )?;
    let after = load_product(conn, sku)?;
    record_edit(
        conn,
        by,
        "product.image",
        "product",
        sku,
        format!("更换商品图片：{}", after.name),
        &before,
        &after,
    )?;
    Ok(after)
}

impl RecordDesk for SqliteStore {
    async fn edit_product(
        &self,
        sku: SkuId,
        change: ProductChange,
        by: Actor,
    ) -> Result<ProductRecord, StoreError> {
        self.writer
            .run(move |conn, _| edit_product(conn, &sku.to_string(), change, &by))
            .await
    }

    async fn edit_point(
        &self,
        id: PointId,
        change: PointChange,
        by: Actor,
    ) -> Result<Point, StoreError> {
        self.writer
            .run(move |conn, _| edit_point(conn, &id.to_string(), change, &by))
            .await
    }

    async fn edit_region(
        &self,
        id: String,
        change: RegionChange,
        by: Actor,
    ) -> Result<Region, StoreError> {
        self.writer
            .run(move |conn, _| edit_region(conn, &id, change, &by))
            .await
    }

    async fn reorder_stops(
        &self,
        route: String,
        points: Vec<String>,
        by: Actor,
    ) -> Result<Vec<RouteStop>, StoreError> {
        self.writer
            .run(move |conn, _| reorder(conn, &route, points, &by))
            .await
    }

    async fn list_categories(&self) -> Result<Vec<Category>, StoreError> {
        self.readers.run(categories).await
    }

    async fn create_category(&self, c: NewCategory, by: Actor) -> Result<Category, StoreError> {
        self.writer
            .run(move |conn, _| create_category(conn, c, &by))
            .await
    }

    async fn set_product_image(
        &self,
        sku: SkuId,
        image: ImageUpload,
        by: Actor,
    ) -> Result<ProductRecord, StoreError> {
        self.writer
            .run(move |conn, _| set_image(conn, &sku.to_string(), image, &by))
            .await
    }

    async fn keep_image(&self, image: ImageUpload, uploader: String) -> Result<(), StoreError> {
        self.writer
            .run(move |conn, _| keep(conn, &image, &uploader))
            .await
    }

    async fn image(&self, digest: String) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        self.readers
            .run(move |conn| {
                Ok(conn
                    .prepare_cached("SELECT content_type, bytes FROM images WHERE digest = ?1")?
                    .query_row([digest], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?)
            })
            .await
    }
}
