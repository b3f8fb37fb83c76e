//! `WaveStore` on the embedded SQLite file. Reads go through the writer like
//! everything else, so a wave is never read half-frozen.

use std::collections::BTreeMap;

use rusqlite::{params, Connection};

use super::wave::{CountedLine, PointDelivery, WaveDeliveries};
use super::wave::{
    DeliverySheet, DeliveryStop, PurchaseOrder, PurchaseOrderLine, RegionCutoff, RouteRef,
    SheetLine, SupplierRef, WaveDeliverySheets, WaveInfo, WavePurchaseOrders, WaveStore,
};
use super::writer::optional;
use super::{SqliteStore, StoreError};

fn region_name(conn: &Connection, region: &str) -> Result<String, StoreError> {
    optional(conn, "SELECT name FROM regions WHERE id = ?1", [region])?
        .ok_or_else(|| StoreError::NotFound(format!("region {region}")))
}

/// The moment the wave was frozen, or `NotFound` naming the wave.
fn frozen_at(conn: &Connection, region: &str, day: &str) -> Result<i64, StoreError> {
    optional(
        conn,
        "SELECT frozen_at FROM waves WHERE region_id = ?1 AND day = ?2",
        params![region, day],
    )?
    .ok_or_else(|| StoreError::NotFound(format!("wave {day} of region {region} (not cut off yet)")))
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn list_waves(conn: &Connection, region: &str) -> Result<Vec<WaveInfo>, StoreError> {
    region_name(conn, region)?;
    let mut stmt = conn.prepare_cached(
        "SELECT w.day, w.frozen_at, w.orders,
            (SELECT coalesce(sum(qty), 0) FROM purchase_order_lines l
              WHERE l.region_id = w.region_id AND l.day = w.day),
            (SELECT count(DISTINCT supplier_id) FROM purchase_order_lines l
              WHERE l.region_id = w.region_id AND l.day = w.day),
            (SELECT count(DISTINCT point_id) FROM delivery_sheet_lines l
              WHERE l.region_id = w.region_id AND l.day = w.day)
         FROM waves w WHERE w.region_id = ?1 ORDER BY w.day DESC",
    )?;
    let rows = stmt.query_map([region], |r| {
        Ok(WaveInfo {
            day: r.get(0)?,
            frozen_at: r.get(1)?,
            orders: count(r.get(2)?),
            units: count(r.get(3)?),
            suppliers: count(r.get(4)?),
            points: count(r.get(5)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn purchase_orders(
    conn: &Connection,
    region: &str,
    day: &str,
) -> Result<WavePurchaseOrders, StoreError> {
    let region_name = region_name(conn, region)?;
    let frozen_at = frozen_at(conn, region, day)?;
    // By category, then name: how the warehouse shelves them.
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.name, s.contact, s.phone, l.sku, l.name, coalesce(p.spec, ''),
                l.qty, coalesce(p.price, 0)
         FROM purchase_order_lines l
         JOIN suppliers s ON s.id = l.supplier_id
         LEFT JOIN products p ON p.sku = l.sku
         WHERE l.region_id = ?1 AND l.day = ?2
         ORDER BY s.name, s.id, coalesce(p.category, ''), l.name, l.sku",
    )?;
    let mut rows = stmt.query(params![region, day])?;
    let mut orders: Vec<PurchaseOrder> = Vec::new();
    while let Some(r) = rows.next()? {
        let supplier: String = r.get(0)?;
        if orders.last().is_none_or(|o| o.supplier.id != supplier) {
            orders.push(PurchaseOrder {
                supplier: SupplierRef {
                    id: supplier,
                    name: r.get(1)?,
                    contact: r.get(2)?,
                    phone: r.get(3)?,
                },
                lines: Vec::new(),
                units: 0,
            });
        }
        let line = PurchaseOrderLine {
            sku: r.get(4)?,
            name: r.get(5)?,
            spec: r.get(6)?,
            qty: count(r.get(7)?),
            unit_price: r.get(8)?,
        };
        if let Some(order) = orders.last_mut() {
            order.units += line.qty;
            order.lines.push(line);
        }
    }
    Ok(WavePurchaseOrders {
        region: region.into(),
        region_name,
        day: day.into(),
        frozen_at,
        purchase_orders: orders,
    })
}

fn delivery_sheets(
    conn: &Connection,
    region: &str,
    day: &str,
) -> Result<WaveDeliverySheets, StoreError> {
    let region_name = region_name(conn, region)?;
    let frozen_at = frozen_at(conn, region, day)?;
    // Lines go by category, then name, so like goods sit together on the van.
    // The route a point was on at cutoff is the one frozen in the line; its stop
    // number is read now, so a driver's order reflects today's route plan.
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.name, r.driver_name, r.driver_phone,
                p.id, p.stop_seq, p.name, p.district || p.address, p.leader_name, p.leader_phone,
                l.sku, l.name, l.qty
         FROM delivery_sheet_lines l
         JOIN routes r ON r.id = l.route_id
         JOIN points p ON p.id = l.point_id
         LEFT JOIN products g ON g.sku = l.sku
         WHERE l.region_id = ?1 AND l.day = ?2
         ORDER BY r.name, r.id, p.stop_seq IS NULL, p.stop_seq, p.name, p.id,
                  coalesce(g.category, ''), l.name, l.sku",
    )?;
    let mut rows = stmt.query(params![region, day])?;
    let mut sheets: Vec<DeliverySheet> = Vec::new();
    let mut stop_index: BTreeMap<String, usize> = BTreeMap::new();
    while let Some(r) = rows.next()? {
        let route: String = r.get(0)?;
        if sheets.last().is_none_or(|s| s.route.id != route) {
            stop_index.clear();
            sheets.push(DeliverySheet {
                route: RouteRef {
                    id: route,
                    name: r.get(1)?,
                    driver_name: r.get(2)?,
                    driver_phone: r.get(3)?,
                },
                stops: Vec::new(),
                units: 0,
            });
        }
        let Some(sheet) = sheets.last_mut() else {
            continue;
        };
        let point: String = r.get(4)?;
        let at = match stop_index.get(&point) {
            Some(i) => *i,
            None => {
                sheet.stops.push(DeliveryStop {
                    seq: r.get(5)?,
                    point: point.clone(),
                    name: r.get(6)?,
                    address: r.get(7)?,
                    leader_name: r.get(8)?,
                    leader_phone: r.get(9)?,
                    lines: Vec::new(),
                    units: 0,
                });
                stop_index.insert(point, sheet.stops.len() - 1);
                sheet.stops.len() - 1
            }
        };
        let line = SheetLine {
            sku: r.get(10)?,
            name: r.get(11)?,
            qty: count(r.get(12)?),
        };
        sheet.units += line.qty;
        let stop = &mut sheet.stops[at];
        stop.units += line.qty;
        stop.lines.push(line);
    }
    Ok(WaveDeliverySheets {
        region: region.into(),
        region_name,
        day: day.into(),
        frozen_at,
        delivery_sheets: sheets,
    })
}

fn region_cutoffs(conn: &Connection, since: &str) -> Result<Vec<RegionCutoff>, StoreError> {
    let mut regions: Vec<RegionCutoff> = conn
        .prepare_cached(
            "SELECT r.id, r.name, r.zone, r.cutoff, (SELECT max(day) FROM waves w WHERE w.region_id = r.id)
             FROM regions r ORDER BY r.name",
        )?
        .query_map([], |r| {
            Ok(RegionCutoff {
                region: r.get(0)?,
                name: r.get(1)?,
                zone: r.get(2)?,
                cutoff: r.get(3)?,
                latest_frozen: r.get(4)?,
                unfrozen_order_days: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    // Only (point_id, day) is read, so the scan stays inside the index
    // `orders_by_point_day` and within the days asked for. A day whose orders were
    // all cancelled still counts: its cutoff records an empty wave.
    let mut days = conn.prepare_cached(
        "SELECT DISTINCT o.day FROM points p JOIN orders o ON o.point_id = p.id AND o.day >= ?2
         WHERE p.region_id = ?1
           AND NOT EXISTS (SELECT 1 FROM waves w WHERE w.region_id = ?1 AND w.day = o.day)
         ORDER BY o.day",
    )?;
    for region in &mut regions {
        region.unfrozen_order_days = days
            .query_map(params![region.region, since], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
    }
    Ok(regions)
}

fn deliveries(conn: &Connection, region: &str, day: &str) -> Result<WaveDeliveries, StoreError> {
    frozen_at(conn, region, day)?;
    let mut points: Vec<PointDelivery> = conn
        .prepare_cached(
            "SELECT p.id, p.name, r.id, r.name, d.accepted_at, d.accepted_by, d.accepted_device,
                coalesce(d.short_lines, 0)
             FROM (SELECT DISTINCT route_id, point_id FROM delivery_sheet_lines
                   WHERE region_id = ?1 AND day = ?2) s
             JOIN points p ON p.id = s.point_id
             JOIN routes r ON r.id = s.route_id
             LEFT JOIN delivery_results d ON d.point_id = s.point_id AND d.day = ?2
             ORDER BY r.name, p.stop_seq, p.id",
        )?
        .query_map(params![region, day], |r| {
            Ok(PointDelivery {
                point: r.get(0)?,
                name: r.get(1)?,
                route: r.get(2)?,
                route_name: r.get(3)?,
                accepted_at: r.get(4)?,
                accepted_by: r.get(5)?,
                accepted_device: r.get(6)?,
                short_lines: r.get(7)?,
                lines: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut lines = conn.prepare_cached(
        "SELECT sku, name, expected, received, damaged, shortfall, note
         FROM delivery_result_lines WHERE point_id = ?1 AND day = ?2
         ORDER BY shortfall DESC, sku",
    )?;
    for p in &mut points {
        p.lines = lines
            .query_map(params![p.point, day], |r| {
                Ok(CountedLine {
                    sku: r.get(0)?,
                    name: r.get(1)?,
                    expected: r.get(2)?,
                    received: r.get(3)?,
                    damaged: r.get(4)?,
                    shortfall: r.get(5)?,
                    note: r.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
    }
    Ok(WaveDeliveries {
        region: region.to_string(),
        day: day.to_string(),
        points,
    })
}

impl WaveStore for SqliteStore {
    async fn wave_deliveries(
        &self,
        region: String,
        day: String,
    ) -> Result<WaveDeliveries, StoreError> {
        self.writer
            .run(move |conn, _| deliveries(conn, &region, &day))
            .await
    }

    async fn waves(&self, region: String) -> Result<Vec<WaveInfo>, StoreError> {
        self.writer
            .run(move |conn, _| list_waves(conn, &region))
            .await
    }

    async fn wave_purchase_orders(
        &self,
        region: String,
        day: String,
    ) -> Result<WavePurchaseOrders, StoreError> {
        self.writer
            .run(move |conn, _| purchase_orders(conn, &region, &day))
            .await
    }

    async fn wave_delivery_sheets(
        &self,
        region: String,
        day: String,
    ) -> Result<WaveDeliverySheets, StoreError> {
        self.writer
            .run(move |conn, _| delivery_sheets(conn, &region, &day))
            .await
    }

    async fn region_cutoffs(&self, since: String) -> Result<Vec<RegionCutoff>, StoreError> {
        self.writer
            .run(move |conn, _| region_cutoffs(conn, &since))
            .await
    }
}
