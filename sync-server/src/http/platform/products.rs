//! Products: create, list by category and supplier, read one, and change the
//! price, stock or sale window. The catalog rules are `Product::validate`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use linli_core::catalog::{FieldError, Product};
use linli_core::ids::{SkuId, SupplierId};
use linli_core::money::{Fen, Rate};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{created, referenced, ApiQuery, Created};
use crate::http::{Action, ApiError, ApiJson, AppState, ErrorBody, StaffAuth};
use crate::store::{
    PageRequest, ProductChange, ProductFilter, ProductPage, ProductRecord, SaleWindowBody, Store,
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    pub category: Option<String>,
    /// Supplier id.
    pub supplier: Option<String>,
    /// Defaults to 100, capped at 500.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// A new product. The SKU is born on the server.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProductRequest {
    pub name: String,
    pub category: String,
    /// What one unit is: "500g", "30枚".
    pub spec: String,
    #[serde(default)]
    pub image_urls: Vec<String>,
    /// Fen.
    pub price: i64,
    pub stock: u32,
    /// Supplier id.
    pub supplier: String,
    #[serde(default)]
    pub returnable: bool,
    #[serde(default)]
    pub return_window_days: u32,
    #[serde(default)]
    pub points_eligible: bool,
    pub purchase_limit: Option<u32>,
    pub sale_window: Option<SaleWindowBody>,
    /// Basis points (0–10000); overrides the category's rate.
    pub commission_rate: Option<u32>,
}

impl NewProductRequest {
    /// The catalog's product, or every wrong field at once.
    fn into_product(self) -> Result<(Product, u32), Vec<FieldError>> {
        let mut errs = Vec::new();
        let supplier = self.supplier.parse::<SupplierId>().unwrap_or_else(|_| {
            errs.push(FieldError::new(
                "supplier",
                "must be a supplier id (a UUID)",
            ));
            SupplierId(uuid::Uuid::nil())
        });
        let commission_rate = match self.commission_rate.map(Rate::from_bp) {
            Some(Err(e)) => {
                errs.push(FieldError::new("commission_rate", e.to_string()));
                None
            }
            Some(Ok(r)) => Some(r),
            None => None,
        };
        let p = Product {
            sku: SkuId::new(),
            name: self.name.trim().to_string(),
            category: self.category.trim().to_string(),
            spec: self.spec.trim().to_string(),
            image_urls: self.image_urls,
            price: Fen(self.price),
            supplier,
            returnable: self.returnable,
            return_window_days: self.return_window_days,
            points_eligible: self.points_eligible,
            purchase_limit: self.purchase_limit,
            sale_window: self.sale_window.map(Into::into),
            commission_rate,
        };
        if let Err(more) = p.validate() {
            errs.extend(more);
        }
        if errs.is_empty() {
            Ok((p, self.stock))
        } else {
            Err(errs)
        }
    }
}

pub(super) fn sku(s: &str) -> Result<SkuId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::NotFound(format!("product {s} not found")))
}

/// Creates a product (operators); answers its new SKU as `id`.
#[utoipa::path(post, path = "/api/platform/products", tag = "platform records",
    request_body = NewProductRequest,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_product<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    ApiJson(req): ApiJson<NewProductRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    auth.permit(Action::ManageCatalog)?;
    let (product, stock) = req.into_product().map_err(ApiError::Invalid)?;
    referenced(
        st.store.get_supplier(product.supplier.to_string()).await,
        "supplier",
        "supplier",
    )?;
    let id = product.sku.to_string();
    let summary = format!("新增商品：{}", product.name);
    st.store.upsert_product(product, stock).await?;
    let made = st.store.get_product(sku(&id)?).await?;
    super::audit_created(&st, &auth, "product.create", "product", &id, summary, &made).await?;
    Ok(created(id))
}

/// Products, filtered by category and supplier, a page at a time.
#[utoipa::path(get, path = "/api/platform/products", tag = "platform records",
    params(ProductQuery),
    responses((status = 200, body = ProductPage), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_products<S: Store>(
    State(st): State<AppState<S>>,
    _auth: StaffAuth,
    ApiQuery(q): ApiQuery<ProductQuery>,
) -> Result<Json<ProductPage>, ApiError> {
    let filter = ProductFilter {
        category: q.category,
        supplier: q.supplier,
    };
    let page = PageRequest::new(q.limit, q.offset);
    Ok(Json(st.store.list_products(filter, page).await?))
}

#[utoipa::path(get, path = "/api/platform/products/{sku}", tag = "platform records",
    params(("sku" = String, Path, description = "product SKU")),
    responses((status = 200, body = ProductRecord), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_product<S: Store>(
    State(st): State<AppState<S>>,
    _auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<ProductRecord>, ApiError> {
    Ok(Json(st.store.get_product(sku(&id)?).await?))
}

/// Edits a product (operators), from the `version` the editor read: absent
/// fields stay, `null` removes a purchase limit, sale window or commission rate.
/// A save over someone else's newer one answers 409 with what each field holds
/// now; nothing is overwritten. Audited with the product before and after.
#[utoipa::path(patch, path = "/api/platform/products/{sku}", tag = "platform records",
    params(("sku" = String, Path, description = "product SKU")),
    request_body = ProductChange,
    responses((status = 200, body = ProductRecord), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn change_product<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ProductChange>,
) -> Result<Json<ProductRecord>, ApiError> {
    auth.permit(Action::ManageCatalog)?;
    if req.is_empty() {
        return Err(ApiError::field2(
            "body",
            "请至少修改一项",
            "change at least one field",
        ));
    }
    let p = st.store.edit_product(sku(&id)?, req, auth.actor()).await?;
    tracing::info!(sku = %p.sku, version = p.version, by = %auth.id, "product changed");
    Ok(Json(p))
}
