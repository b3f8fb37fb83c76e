//! Orders for platform staff over HTTP: find any order, open one whole, cancel
//! it before shipment, refund it whole or by line after. Money-moving actions need
//! an `Idempotency-Key`: a double click or a retry does nothing twice.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use linli_core::ids::OrderId;
use linli_core::refund::RefundLineAsk;
use linli_core::status::OrderStatus;
use linli_core::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::idempotency::IdempotencyKey;
use super::platform::ApiQuery;
use super::{Action, ApiError, ApiJson, AppState, ErrorBody, StaffAuth};
use crate::store::{
    NewRefund, OrderDetail, OrderFilter, OrderPage, PageRequest, RefundOutcome, StaffCancel, Store,
    MAX_PAGE,
};

#[derive(OpenApi)]
#[openapi(
    paths(list_orders, export_orders, order_detail, cancel_order, refund_order),
    components(schemas(
        OrderPage,
        OrderDetail,
        CancelRequest,
        RefundRequest,
        RefundLine,
        RefundOutcome
    ))
)]
pub struct OrdersApi;

pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/api/platform/orders", get(list_orders::<S>))
        .route("/api/platform/orders.xlsx", get(export_orders::<S>))
        .route("/api/platform/orders/{id}", get(order_detail::<S>))
        .route("/api/platform/orders/{id}/cancel", post(cancel_order::<S>))
        .route("/api/platform/orders/{id}/refund", post(refund_order::<S>))
}

pub(super) fn order_id(s: &str) -> Result<OrderId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::NotFound(format!("order {s} not found")).zh(format!("没有订单 {s}")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// An order number (e.g. `1203-0007`) or id, or the last 4+ digits of the
    /// consumer's phone.
    pub q: Option<String>,
    pub point: Option<String>,
    pub region: Option<String>,
    /// Delivery day, YYYY-MM-DD.
    pub day: Option<String>,
    /// `awaiting_delivery`, `ready_for_pickup`, `partly_picked_up`, `picked_up`,
    /// `cancelled` or `refunded`.
    pub status: Option<String>,
    /// Only orders with an open conflict.
    pub conflicted: Option<bool>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

fn order_filter(q: &OrderQuery) -> Result<OrderFilter, ApiError> {
    if let Some(s) = &q.status {
        if OrderStatus::from_name(s).is_none() {
            let names: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
            return Err(ApiError::field2(
                "status",
                format!("没有这个状态；可选：{}", names.join("、")),
                format!("unknown status; one of: {}", names.join(", ")),
            ));
        }
    }
    if let Some(d) = &q.day {
        if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
            return Err(ApiError::field2(
                "day",
                "日期格式须为 YYYY-MM-DD",
                "must be a date YYYY-MM-DD",
            ));
        }
    }
    Ok(OrderFilter {
        q: q.q.clone(),
        point: q.point.clone(),
        region: q.region.clone(),
        day: q.day.clone(),
        status: q.status.clone(),
        conflicted: q.conflicted.unwrap_or(false),
    })
}

/// Orders across every point, newest first, filtered and paged on the server.
#[utoipa::path(get, path = "/api/platform/orders", tag = "orders", params(OrderQuery),
    responses((status = 200, body = OrderPage), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_orders<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> Result<Json<OrderPage>, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    let filter = order_filter(&q)?;
    Ok(Json(
        st.store
            .list_orders(filter, PageRequest::new(q.limit, q.offset))
            .await?,
    ))
}

/// The most rows one export carries: a day of a busy region; narrow the filter
/// for more.
pub const MAX_EXPORT_ROWS: u64 = 20_000;

/// The orders the same filters find, as an Excel workbook (newest first, at
/// most 20,000 rows; `limit` and `offset` are ignored).
#[utoipa::path(get, path = "/api/platform/orders.xlsx", tag = "orders", params(OrderQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "a bad filter, or more than 20,000 orders")),
    security(("bearer" = [])))]
async fn export_orders<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> Result<Response, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    let filter = order_filter(&q)?;
    let mut rows = Vec::new();
    loop {
        let page = st
            .store
            .list_orders(
                filter.clone(),
                PageRequest::new(Some(MAX_PAGE), Some(rows.len() as u32)),
            )
            .await?;
        if page.total > MAX_EXPORT_ROWS {
            return Err(ApiError::field2(
                "q",
                format!(
                    "符合条件的订单有 {} 笔，超过 {MAX_EXPORT_ROWS} 笔；请缩小筛选范围",
                    page.total
                ),
                format!(
                    "{} orders match, more than {MAX_EXPORT_ROWS}; narrow the filter",
                    page.total
                ),
            ));
        }
        let got = page.items.len();
        rows.extend(page.items);
        if got == 0 || rows.len() as u64 >= page.total {
            break;
        }
    }
    let book =
        super::xlsx::orders_workbook(&rows).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, super::xlsx::CONTENT_TYPE.to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"orders.xlsx\"".to_string(),
            ),
        ],
        book,
    )
        .into_response())
}

/// One order whole: lines, money, refunds, derived status and conflicts,
/// handovers with device and method, claims and exceptions, and whether a cancel
/// or a refund is possible now.
#[utoipa::path(get, path = "/api/platform/orders/{id}", tag = "orders",
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = OrderDetail), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn order_detail<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<OrderDetail>, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    Ok(Json(st.store.order_detail(order_id(&id)?).await?))
}

/// Why staff cancel or refund: kept with the record and in the audit log.
fn reason(text: &str) -> Result<String, ApiError> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > 200 {
        return Err(ApiError::field2(
            "reason",
            "请写明原因（1–200 字）",
            "give the reason (1–200 characters)",
        ));
    }
    Ok(t.to_string())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// Why (1–200 characters), e.g. "顾客来电取消".
    pub reason: String,
}

/// Cancels an order before shipment on the consumer's behalf: stock and points
/// come back, an online charge is given back in full. Once its wave is cut off,
/// refund it instead (422). Needs an `Idempotency-Key`.
#[utoipa::path(post, path = "/api/platform/orders/{id}/cancel", tag = "orders", operation_id = "staff_cancel_order",
    params(("id" = String, Path, description = "order id"),
        ("Idempotency-Key" = String, Header, description = "a fresh key per submission")),
    request_body = CancelRequest,
    responses((status = 200, body = OrderDetail), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the key was used for another request"),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn cancel_order<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    key: IdempotencyKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CancelRequest>,
) -> Result<Json<OrderDetail>, ApiError> {
    staff.permit(Action::CancelOrder)?;
    let order = order_id(&id)?;
    let reason = reason(&body.reason)?;
    let request = key.require(&staff, "order.cancel", &(&id, &reason))?;
    let detail =
        st.store
            .cancel_for_staff(
                StaffCancel {
                    order,
                    reason,
                    by: staff.actor(),
                    request,
                    at: Millis::now(),
                },
                st.consumer.payments.clone(),
            )
            .await
            .map_err(|e| match e {
                crate::store::StoreError::AlreadyShipped(_) => ApiError::Refused(e.to_string())
                    .zh("订单所在波次已截单发货，不能取消；请改为退款"),
                e => e.into(),
            })?;
    Ok(Json(detail))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundLine {
    pub sku: String,
    pub qty: u32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// The units to refund; left out, everything not yet refunded.
    #[serde(default)]
    pub lines: Option<Vec<RefundLine>>,
    /// Why (1–200 characters), e.g. "缺货一盒".
    pub reason: String,
}

/// Refunds a shipped order, whole or by line: the money goes back through the
/// payment provider once, the commission of refunded units that were handed over
/// is reversed where not yet settled (settled commission becomes an exception),
/// and when nothing is left the order is refunded. Before shipment it is refused
/// (422): cancel instead. Needs an `Idempotency-Key`; a retry answers the first.
#[utoipa::path(post, path = "/api/platform/orders/{id}/refund", tag = "orders",
    params(("id" = String, Path, description = "order id"),
        ("Idempotency-Key" = String, Header, description = "a fresh key per submission")),
    request_body = RefundRequest,
    responses((status = 200, body = RefundOutcome), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the key was used for another request"),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn refund_order<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    key: IdempotencyKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RefundRequest>,
) -> Result<Json<RefundOutcome>, ApiError> {
    staff.permit(Action::RefundOrder)?;
    let order = order_id(&id)?;
    let reason = reason(&body.reason)?;
    let lines = refund_lines(body.lines.as_deref())?;
    let request = key.require(&staff, "order.refund", &(&id, &body.lines, &reason))?;
    let refund = NewRefund {
        order,
        lines,
        reason,
        claim: None,
        by: staff.actor(),
        request: Some(request),
        at: Millis::now(),
    };
    Ok(Json(
        st.store
            .record_refund(refund, st.consumer.payments.clone())
            .await?,
    ))
}

/// The asked lines with their SKUs parsed (a bad one names its line).
pub(super) fn refund_lines(
    lines: Option<&[RefundLine]>,
) -> Result<Option<Vec<RefundLineAsk>>, ApiError> {
    let Some(lines) = lines else {
        return Ok(None);
    };
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let sku = l.sku.parse().map_err(|_| {
                ApiError::field2(
                    &format!("lines[{i}].sku"),
                    "订单里没有这个商品",
                    "this order has no such product",
                )
            })?;
            Ok(RefundLineAsk { sku, qty: l.qty })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}
