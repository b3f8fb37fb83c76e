//! Reading and changing the platform's own records after they are created:
//! lists with filters and pages, one record by id, product price/stock/sale
//! window, and the pickup point's status moves. (Creating them stays on `Store`.)

use std::future::Future;

use linli_core::catalog::{FieldError, SaleWindow};
use linli_core::ids::{PointId, SkuId};
use linli_core::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{PointStatus, StoreError};

/// A page of a list when the caller names no limit.
pub const DEFAULT_PAGE: u32 = 100;
/// The most rows one answer carries, whatever the caller asks for.
pub const MAX_PAGE: u32 = 500;

/// Which slice of a list: at most `MAX_PAGE` rows from `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub offset: u32,
}

impl PageRequest {
    /// The caller's limit, capped at `MAX_PAGE` (the answer says which limit applied).
    pub fn new(limit: Option<u32>, offset: Option<u32>) -> Self {
        PageRequest {
            limit: limit.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE),
            offset: offset.unwrap_or(0),
        }
    }
}

macro_rules! page {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Rows matching the filter, across all pages.
            pub total: u64,
            /// The limit that applied (the asked one, capped at 500).
            pub limit: u32,
            pub offset: u32,
        }
    };
}

page!(
    /// One page of regions.
    RegionPage,
    Region
);
page!(
    /// One page of routes.
    RoutePage,
    Route
);
page!(
    /// One page of pickup points.
    PointPage,
    Point
);
page!(
    /// One page of suppliers.
    SupplierPage,
    Supplier
);
page!(
    /// One page of products.
    ProductPage,
    ProductRecord
);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Region {
    pub id: String,
    pub name: String,
    /// IANA time zone of the business day.
    pub zone: String,
    /// Local HH:MM when ordering for the next day closes.
    pub cutoff: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Route {
    pub id: String,
    pub region: String,
    pub name: String,
    pub driver_name: String,
    pub driver_phone: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Point {
    pub id: String,
    pub region: String,
    pub name: String,
    pub leader_name: String,
    pub leader_phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub address: String,
    pub lat: f64,
    pub lng: f64,
    pub route: Option<String>,
    /// 1-based position on the route.
    pub stop_seq: Option<u32>,
    pub status: PointStatus,
    pub opening_hours: String,
    /// Basis points; overrides product and category rates.
    pub commission_override: Option<u32>,
    /// Moves by one with every edit; an edit names the version it was made from.
    pub version: u64,
    /// Why staff rejected or suspended the point, as the applicant sees it.
    pub decision_reason: Option<String>,
}

/// One stop of a route, in driving order.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct RouteStop {
    pub stop_seq: u32,
    pub point: String,
    pub name: String,
    pub address: String,
    pub leader_name: String,
    pub leader_phone: String,
    pub status: PointStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Supplier {
    pub id: String,
    pub name: String,
    pub contact: String,
    pub phone: String,
}

/// When a product can be ordered, UTC milliseconds; `closes` is exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleWindowBody {
    pub opens: i64,
    pub closes: i64,
}

impl From<SaleWindowBody> for SaleWindow {
    fn from(w: SaleWindowBody) -> Self {
        SaleWindow {
            opens: Millis(w.opens),
            closes: Millis(w.closes),
        }
    }
}

impl From<SaleWindow> for SaleWindowBody {
    fn from(w: SaleWindow) -> Self {
        SaleWindowBody {
            opens: w.opens.0,
            closes: w.closes.0,
        }
    }
}

/// A product as the platform keeps it, with its stock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProductRecord {
    pub sku: String,
    pub name: String,
    pub category: String,
    pub spec: String,
    pub image_urls: Vec<String>,
    /// Fen.
    pub price: i64,
    pub stock: u32,
    pub supplier: String,
    pub returnable: bool,
    pub return_window_days: u32,
    pub points_eligible: bool,
    pub purchase_limit: Option<u32>,
    pub sale_window: Option<SaleWindowBody>,
    /// Basis points; overrides the category's rate.
    pub commission_rate: Option<u32>,
    /// Moves by one with every edit; an edit names the version it was made from.
    pub version: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PointFilter {
    pub status: Option<PointStatus>,
    pub region: Option<String>,
    pub route: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProductFilter {
    pub category: Option<String>,
    pub supplier: Option<String>,
}

/// A requested status move; approving may place the point on a route.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointTransition {
    pub status: PointStatus,
    #[serde(default)]
    pub route: Option<String>,
    #[serde(default)]
    pub stop_seq: Option<u32>,
    /// Why, when rejecting an application or suspending a point: the applicant
    /// sees it.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The moves a pickup point may make: an application is approved or rejected
/// (kept as `suspended`, so the record and its history stay), and an approved
/// point is suspended and approved again. Nothing returns to `applied`.
pub fn allowed_moves(from: PointStatus) -> &'static [PointStatus] {
    match from {
        PointStatus::Applied => &[PointStatus::Approved, PointStatus::Suspended],
        PointStatus::Approved => &[PointStatus::Suspended],
        PointStatus::Suspended => &[PointStatus::Approved],
    }
}

/// Checks a move against the point as stored: the status pair, and that an
/// approved point ends up on a route with a stop number. Field errors name
/// `status`, `route` or `stop_seq`.
pub fn check_transition(
    from: PointStatus,
    t: &PointTransition,
    on_route: bool,
) -> Result<(), Vec<FieldError>> {
    let allowed = allowed_moves(from);
    if !allowed.contains(&t.status) {
        let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
        return Err(vec![FieldError::new(
            "status",
            format!(
                "a {} point cannot become {}; it may become: {}",
                from.as_str(),
                t.status.as_str(),
                names.join(", ")
            ),
        )]);
    }
    let mut errs = Vec::new();
    if t.status != PointStatus::Approved {
        if t.route.is_some() {
            errs.push(FieldError::new("route", "is set only when approving"));
        }
        if t.stop_seq.is_some() {
            errs.push(FieldError::new("stop_seq", "is set only when approving"));
        }
    } else {
        match (&t.route, t.stop_seq) {
            (Some(_), None) => errs.push(FieldError::new(
                "stop_seq",
                "a point on a route needs its stop number",
            )),
            (None, Some(_)) => errs.push(FieldError::new("route", "a stop number needs a route")),
            (None, None) if !on_route => errs.push(FieldError::new(
                "route",
                "an approved point must be on a route: give route and stop_seq",
            )),
            _ => {}
        }
        if t.stop_seq == Some(0) {
            errs.push(FieldError::new("stop_seq", "stops count from 1"));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

pub trait PlatformStore {
    fn list_regions(
        &self,
        page: PageRequest,
    ) -> impl Future<Output = Result<RegionPage, StoreError>> + Send;
    fn get_region(&self, id: String) -> impl Future<Output = Result<Region, StoreError>> + Send;
    fn list_routes(
        &self,
        region: Option<String>,
        page: PageRequest,
    ) -> impl Future<Output = Result<RoutePage, StoreError>> + Send;
    fn get_route(&self, id: String) -> impl Future<Output = Result<Route, StoreError>> + Send;
    /// The route's points in driving order (every status, so staff see gaps).
    fn route_stops(
        &self,
        id: String,
    ) -> impl Future<Output = Result<Vec<RouteStop>, StoreError>> + Send;
    fn list_points(
        &self,
        filter: PointFilter,
        page: PageRequest,
    ) -> impl Future<Output = Result<PointPage, StoreError>> + Send;
    fn get_point(&self, id: PointId) -> impl Future<Output = Result<Point, StoreError>> + Send;
    /// Moves a point's status if `check_transition` allows it; approving with a
    /// route checks the route is in the point's region and the stop is free.
    fn transition_point(
        &self,
        id: PointId,
        t: PointTransition,
        by: super::Actor,
    ) -> impl Future<Output = Result<Point, StoreError>> + Send;
    fn list_suppliers(
        &self,
        page: PageRequest,
    ) -> impl Future<Output = Result<SupplierPage, StoreError>> + Send;
    fn get_supplier(&self, id: String)
        -> impl Future<Output = Result<Supplier, StoreError>> + Send;
    fn list_products(
        &self,
        filter: ProductFilter,
        page: PageRequest,
    ) -> impl Future<Output = Result<ProductPage, StoreError>> + Send;
    fn get_product(
        &self,
        sku: SkuId,
    ) -> impl Future<Output = Result<ProductRecord, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(status: PointStatus, route: Option<&str>, stop: Option<u32>) -> PointTransition {
        PointTransition {
            status,
            route: route.map(String::from),
            stop_seq: stop,
            reason: None,
        }
    }

    fn field(r: Result<(), Vec<FieldError>>) -> String {
        r.unwrap_err()[0].field.clone()
    }

    #[test]
    fn pages_default_to_100_and_cap_at_500() {
        assert_eq!(
            PageRequest::new(None, None),
            PageRequest {
                limit: 100,
                offset: 0
            }
        );
        assert_eq!(PageRequest::new(Some(2_000), Some(7)).limit, 500);
        assert_eq!(PageRequest::new(Some(3), None).limit, 3);
    }

    #[test]
    fn only_the_allowed_moves_pass() {
        use PointStatus::*;
        assert!(check_transition(Applied, &to(Approved, Some("r"), Some(1)), false).is_ok());
        assert!(check_transition(Applied, &to(Suspended, None, None), false).is_ok());
        assert!(check_transition(Approved, &to(Suspended, None, None), true).is_ok());
        assert!(check_transition(Suspended, &to(Approved, None, None), true).is_ok());
        for (from, target) in [
            (Applied, Applied),
            (Approved, Approved),
            (Approved, Applied),
            (Suspended, Applied),
            (Suspended, Suspended),
        ] {
            let r = check_transition(from, &to(target, None, None), true);
            assert_eq!(field(r), "status", "{from:?} -> {target:?}");
        }
    }

    #[test]
    fn approving_needs_a_route_and_a_stop() {
        use PointStatus::*;
        assert_eq!(
            field(check_transition(Applied, &to(Approved, None, None), false)),
            "route"
        );
        assert_eq!(
            field(check_transition(
                Applied,
                &to(Approved, Some("r"), None),
                false
            )),
            "stop_seq"
        );
        assert_eq!(
            field(check_transition(
                Applied,
                &to(Approved, Some("r"), Some(0)),
                false
            )),
            "stop_seq"
        );
        assert_eq!(
            field(check_transition(
                Approved,
                &to(Suspended, Some("r"), Some(2)),
                true
            )),
            "route"
        );
    }
}
