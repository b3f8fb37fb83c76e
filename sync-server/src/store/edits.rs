//! Staff edits of the platform's records from the admin web: a product, a
//! pickup point, a region's clock, the order of a route's stops, categories and
//! product images. Every edit names the version it was made from, so a second
//! save over a stale read is refused with what the record holds now (409), and
//! every edit is in the audit log with the record before and after.

use std::future::Future;

use linli_core::ids::{PointId, SkuId};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::platform_store::{Point, ProductRecord, Region, RouteStop, SaleWindowBody};
use super::{Actor, StoreError};

/// A field that is present (even as `null`) becomes `Some`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A product edit: absent fields stay; for the nullable ones (`purchase_limit`,
/// `sale_window`, `commission_rate`) `null` removes the value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductChange {
    /// The `version` of the product as the editor read it.
    pub version: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub spec: Option<String>,
    /// Fen.
    #[serde(default)]
    pub price: Option<i64>,
    #[serde(default)]
    pub stock: Option<u32>,
    #[serde(default)]
    pub supplier: Option<String>,
    #[serde(default)]
    pub returnable: Option<bool>,
    #[serde(default)]
    pub return_window_days: Option<u32>,
    #[serde(default)]
    pub points_eligible: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>)]
    pub purchase_limit: Option<Option<u32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<SaleWindowBody>)]
    pub sale_window: Option<Option<SaleWindowBody>>,
    /// Basis points.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>)]
    pub commission_rate: Option<Option<u32>>,
}

impl ProductChange {
    pub fn is_empty(&self) -> bool {
        let ProductChange {
            version: _,
            name,
            category,
            spec,
            price,
            stock,
            supplier,
            returnable,
            return_window_days,
            points_eligible,
            purchase_limit,
            sale_window,
            commission_rate,
        } = self;
        name.is_none()
            && category.is_none()
            && spec.is_none()
            && price.is_none()
            && stock.is_none()
            && supplier.is_none()
            && returnable.is_none()
            && return_window_days.is_none()
            && points_eligible.is_none()
            && purchase_limit.is_none()
            && sale_window.is_none()
            && commission_rate.is_none()
    }
}

/// A pickup point edit: absent fields stay; `commission_override: null` removes
/// the override. The route and stop move with the route's stop order.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointChange {
    /// The `version` of the point as the editor read it.
    pub version: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub leader_name: Option<String>,
    #[serde(default)]
    pub leader_phone: Option<String>,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub district: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lng: Option<f64>,
    #[serde(default)]
    pub opening_hours: Option<String>,
    /// Basis points.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>)]
    pub commission_override: Option<Option<u32>>,
}

/// A region's clock: when ordering closes and in which zone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionChange {
    #[serde(default)]
    pub name: Option<String>,
    /// IANA zone, e.g. Asia/Shanghai.
    #[serde(default)]
    pub zone: Option<String>,
    /// Local HH:MM.
    #[serde(default)]
    pub cutoff: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Category {
    pub name: String,
    /// Order in menus, smallest first.
    pub position: u32,
    /// Products in the category.
    pub products: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    pub name: String,
    #[serde(default)]
    pub position: Option<u32>,
}

/// An uploaded product image, already checked (type and size) by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageUpload {
    /// SHA-256 of `bytes`, hex: the image's name, so the same photo is kept once.
    pub digest: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

pub trait RecordDesk {
    /// Applies a product edit made from `change.version`; the result must pass
    /// `Product::validate`, or nothing changes. `Stale` when someone saved since.
    fn edit_product(
        &self,
        sku: SkuId,
        change: ProductChange,
        by: Actor,
    ) -> impl Future<Output = Result<ProductRecord, StoreError>> + Send;
    fn edit_point(
        &self,
        id: PointId,
        change: PointChange,
        by: Actor,
    ) -> impl Future<Output = Result<Point, StoreError>> + Send;
    fn edit_region(
        &self,
        id: String,
        change: RegionChange,
        by: Actor,
    ) -> impl Future<Output = Result<Region, StoreError>> + Send;
    /// Puts the route's points in the given driving order (every point now on
    /// the route, each once); answers the stops as stored.
    fn reorder_stops(
        &self,
        route: String,
        points: Vec<String>,
        by: Actor,
    ) -> impl Future<Output = Result<Vec<RouteStop>, StoreError>> + Send;
    fn list_categories(&self) -> impl Future<Output = Result<Vec<Category>, StoreError>> + Send;
    fn create_category(
        &self,
        c: NewCategory,
        by: Actor,
    ) -> impl Future<Output = Result<Category, StoreError>> + Send;
    /// Keeps the image (once per digest) and makes it the product's first.
    fn set_product_image(
        &self,
        sku: SkuId,
        image: ImageUpload,
        by: Actor,
    ) -> impl Future<Output = Result<ProductRecord, StoreError>> + Send;
    /// Keeps an image (once per digest) uploaded by `uploader` (a staff or
    /// consumer id), for a claim to name.
    fn keep_image(
        &self,
        image: ImageUpload,
        uploader: String,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A stored image: its content type and bytes.
    fn image(
        &self,
        digest: String,
    ) -> impl Future<Output = Result<Option<(String, Vec<u8>)>, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nullable_field_can_be_left_alone_removed_or_set() {
        let c: ProductChange = serde_json::from_str(r#"{"version": 3, "price": 100}"#).unwrap();
        assert_eq!((c.version, c.sale_window, c.is_empty()), (3, None, false));
        let c: ProductChange =
            serde_json::from_str(r#"{"version": 1, "sale_window": null}"#).unwrap();
        assert_eq!(c.sale_window, Some(None));
        let c: ProductChange = serde_json::from_str(
            r#"{"version": 1, "sale_window": {"opens": 1, "closes": 2}, "purchase_limit": null}"#,
        )
        .unwrap();
        assert_eq!(
            (c.sale_window, c.purchase_limit),
            (
                Some(Some(SaleWindowBody {
                    opens: 1,
                    closes: 2
                })),
                Some(None)
            )
        );
        assert!(serde_json::from_str::<ProductChange>(r#"{"version": 1, "cost": 1}"#).is_err());
        assert!(
            serde_json::from_str::<ProductChange>(r#"{"price": 1}"#).is_err(),
            "an edit names the version it was made from"
        );
        let p: ProductChange = serde_json::from_str(r#"{"version": 1}"#).unwrap();
        assert!(p.is_empty());
    }
}
