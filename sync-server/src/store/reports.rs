//! Sums for the admin's overview and reports (数据概览 / 报表). The store only
//! adds up rows by delivery day, region, product, supplier or point; which days a
//! report covers, rates and ages are `linli_core::report`'s.
//!
//! GMV here is what the orders' lines are worth (quantity × unit price) on orders
//! that are not cancelled or refunded: the goods the platform moves, before any
//! later refund of a line.

use std::future::Future;

use chrono::NaiveDate;
use linli_core::report::DayRange;
use linli_core::time::Millis;
use serde::Serialize;
use utoipa::ToSchema;

use super::StoreError;

/// What a sales report is broken down by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SalesBy {
    Day,
    Region,
    Product,
    Supplier,
}

/// One row of sales: a day, region, product or supplier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SalesRow {
    /// The day (YYYY-MM-DD), region id, SKU or supplier id.
    pub key: String,
    /// What staff read: the day again, or the region's, product's or supplier's name.
    pub label: String,
    pub orders: u64,
    /// Units ordered.
    pub qty: u64,
    pub gmv_fen: i64,
}

/// Waiting queues: what someone on the platform has to act on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Queues {
    /// Leader applications not yet decided.
    pub applications: u64,
    /// After-sale claims still open.
    pub claims: u64,
    /// Ledger and delivery exceptions not closed.
    pub exceptions: u64,
    /// Withdrawals requested and not yet decided.
    pub withdrawals: u64,
}

/// One point's sums over a range of delivery days.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PointSums {
    pub point: String,
    pub point_name: String,
    pub leader_name: String,
    pub region: String,
    /// Orders not cancelled or refunded.
    pub orders: u64,
    pub gmv_fen: i64,
    /// Orders collected whole.
    pub picked_up: u64,
    pub claims: u64,
}

/// Orders at their points not yet collected, by delivery day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UncollectedDay {
    pub day: NaiveDate,
    pub orders: u64,
    pub amount_fen: i64,
}

pub trait ReportStore {
    /// Orders placed in `[from, until)` and what their lines are worth.
    fn placed_between(
        &self,
        from: Millis,
        until: Millis,
    ) -> impl Future<Output = Result<(u64, i64), StoreError>> + Send;
    /// Points open for orders.
    fn active_points(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;
    fn queues(&self) -> impl Future<Output = Result<Queues, StoreError>> + Send;
    /// Sales over the delivery days of `range`, biggest GMV first (by day: in
    /// day order, and only days with orders).
    fn sales(
        &self,
        by: SalesBy,
        range: DayRange,
    ) -> impl Future<Output = Result<Vec<SalesRow>, StoreError>> + Send;
    /// (collected whole, orders not void) over the delivery days of `range`.
    fn pickups(
        &self,
        range: DayRange,
    ) -> impl Future<Output = Result<(u64, u64), StoreError>> + Send;
    /// Every approved or suspended point's sums over `range`, points without
    /// orders included (a point that sells nothing is news too).
    fn point_sums(
        &self,
        range: DayRange,
    ) -> impl Future<Output = Result<Vec<PointSums>, StoreError>> + Send;
    /// Orders ready at their points and not yet collected whole, delivered on
    /// or before `today`, per point and day.
    fn uncollected(
        &self,
        today: NaiveDate,
    ) -> impl Future<Output = Result<Vec<(String, UncollectedDay)>, StoreError>> + Send;
}
