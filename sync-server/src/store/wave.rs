//! Reading frozen waves (波次): what cutoff wrote, shaped for the people who use it —
//! purchase orders (采购单) per supplier for the warehouse, delivery sheets (配送单)
//! per route for the drivers — and what the cutoff scheduler needs to know.

use std::future::Future;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::StoreError;

/// One frozen wave of a region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaveInfo {
    /// The delivery day, region-local, YYYY-MM-DD.
    pub day: String,
    /// When cutoff froze it, UTC milliseconds.
    pub frozen_at: i64,
    pub orders: u64,
    pub units: u64,
    pub suppliers: u64,
    pub points: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupplierRef {
    pub id: String,
    pub name: String,
    pub contact: String,
    pub phone: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PurchaseOrderLine {
    pub sku: String,
    pub name: String,
    /// 规格, from the catalog.
    pub spec: String,
    pub qty: u64,
    /// The catalog price in fen. The catalog keeps no separate cost price, so this
    /// is what the purchase order is valued at.
    pub unit_price: i64,
}

/// 采购单: what one supplier delivers to the warehouse for one wave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PurchaseOrder {
    pub supplier: SupplierRef,
    pub lines: Vec<PurchaseOrderLine>,
    pub units: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WavePurchaseOrders {
    pub region: String,
    pub region_name: String,
    pub day: String,
    pub frozen_at: i64,
    pub purchase_orders: Vec<PurchaseOrder>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RouteRef {
    pub id: String,
    pub name: String,
    pub driver_name: String,
    pub driver_phone: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SheetLine {
    pub sku: String,
    pub name: String,
    pub qty: u64,
}

/// One pickup point on a route, with the goods it receives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryStop {
    /// The point's position on the route today (1-based); `None` if it was taken
    /// off the route after cutoff.
    pub seq: Option<u32>,
    pub point: String,
    pub name: String,
    pub address: String,
    pub leader_name: String,
    pub leader_phone: String,
    pub lines: Vec<SheetLine>,
    pub units: u64,
}

/// 配送单: a driver's route for one wave, stops in driving order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeliverySheet {
    pub route: RouteRef,
    pub stops: Vec<DeliveryStop>,
    pub units: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaveDeliverySheets {
    pub region: String,
    pub region_name: String,
    pub day: String,
    pub frozen_at: i64,
    pub delivery_sheets: Vec<DeliverySheet>,
}

/// What the cutoff scheduler needs of one region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionCutoff {
    pub region: String,
    pub name: String,
    /// IANA zone and local HH:MM, as stored.
    pub zone: String,
    pub cutoff: String,
    /// The latest delivery day already frozen.
    pub latest_frozen: Option<String>,
    /// Delivery days from the `since` asked for that have orders but no wave yet.
    pub unfrozen_order_days: Vec<String>,
}

/// One line as a counter counted it at acceptance (验货).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CountedLine {
    pub sku: String,
    pub name: String,
    pub expected: u32,
    /// Absent until the counter counted the line.
    pub received: Option<u32>,
    pub damaged: u32,
    /// What is missing or damaged, as `linli_core::delivery` counts it.
    pub shortfall: u32,
    /// The counter's note on the line.
    pub note: String,
}

/// What came back from one point of a wave: who accepted the delivery and when,
/// and each line as counted. A point that has not reported has no `accepted_at`
/// and no lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PointDelivery {
    pub point: String,
    pub name: String,
    pub route: String,
    pub route_name: String,
    /// The earliest acceptance on any of the point's devices (device clock, UTC ms).
    pub accepted_at: Option<i64>,
    pub accepted_by: Option<String>,
    pub accepted_device: Option<String>,
    pub short_lines: u32,
    pub lines: Vec<CountedLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaveDeliveries {
    pub region: String,
    pub day: String,
    /// Every point of the wave, in route and stop order.
    pub points: Vec<PointDelivery>,
}

/// Storage reads for waves. Every method reads one consistent snapshot.
pub trait WaveStore {
    /// The region's frozen waves, newest first. `NotFound` for an unknown region.
    fn waves(
        &self,
        region: String,
    ) -> impl Future<Output = Result<Vec<WaveInfo>, StoreError>> + Send;
    /// The wave's purchase orders, one per supplier. `NotFound` unless it is frozen.
    fn wave_purchase_orders(
        &self,
        region: String,
        day: String,
    ) -> impl Future<Output = Result<WavePurchaseOrders, StoreError>> + Send;
    /// The wave's delivery sheets, one per route, stops in route order.
    fn wave_delivery_sheets(
        &self,
        region: String,
        day: String,
    ) -> impl Future<Output = Result<WaveDeliverySheets, StoreError>> + Send;
    /// What each point of a frozen wave reported back at acceptance.
    fn wave_deliveries(
        &self,
        region: String,
        day: String,
    ) -> impl Future<Output = Result<WaveDeliveries, StoreError>> + Send;
    /// Every region with what is frozen and what is still waiting for cutoff,
    /// looking at delivery days from `since` (YYYY-MM-DD) on: the scheduler runs
    /// this every minute, so it must not read a region's whole history.
    fn region_cutoffs(
        &self,
        since: String,
    ) -> impl Future<Output = Result<Vec<RegionCutoff>, StoreError>> + Send;
}
