//! After-sale claims and exceptions for platform staff over HTTP: the two queues,
//! a claim's decision (approving refunds through the provider once), and closing
//! an exception with a resolution.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use linli_core::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::idempotency::IdempotencyKey;
use super::orders::{refund_lines, RefundLine};
use super::platform::ApiQuery;
use super::{Action, ApiError, ApiJson, AppState, ErrorBody, StaffAuth};
use crate::store::{
    Claim, ClaimDecision, ClaimFilter, ClaimPage, ClaimVerdict, ExceptionClose, ExceptionFilter,
    ExceptionItem, ExceptionPage, PageRequest, Store, CLAIM_SOURCES, CLAIM_STATUSES,
    EXCEPTION_KINDS,
};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_claims,
        get_claim,
        approve_claim,
        reject_claim,
        list_exceptions,
        close_exception
    ),
    components(schemas(
        ClaimPage,
        Claim,
        ApproveClaim,
        RejectClaim,
        ExceptionPage,
        ExceptionItem,
        CloseException
    ))
)]
pub struct ClaimsApi;

pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/api/platform/claims", get(list_claims::<S>))
        .route("/api/platform/claims/{id}", get(get_claim::<S>))
        .route(
            "/api/platform/claims/{id}/approve",
            post(approve_claim::<S>),
        )
        .route("/api/platform/claims/{id}/reject", post(reject_claim::<S>))
        .route("/api/platform/exceptions", get(list_exceptions::<S>))
        .route(
            "/api/platform/exceptions/{id}/close",
            post(close_exception::<S>),
        )
}

fn one_of(field: &str, value: &Option<String>, allowed: &[&str]) -> Result<(), ApiError> {
    match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(ApiError::field2(
            field,
            format!("可选：{}", allowed.join("、")),
            format!("one of: {}", allowed.join(", ")),
        )),
        _ => Ok(()),
    }
}

/// Free text staff write (a decision's note, a rejection's reason, a resolution).
fn note(field: &str, text: &str, required: bool) -> Result<String, ApiError> {
    let t = text.trim();
    if (required && t.is_empty()) || t.chars().count() > 500 {
        return Err(ApiError::field2(
            field,
            if required {
                "请填写（1–500 字）"
            } else {
                "最多 500 字"
            },
            if required {
                "write it (1–500 characters)"
            } else {
                "at most 500 characters"
            },
        ));
    }
    Ok(t.to_string())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClaimQuery {
    /// `open`, `approved` or `rejected`.
    pub status: Option<String>,
    /// `delivery`, `counter` or `consumer`.
    pub source: Option<String>,
    pub point: Option<String>,
    pub region: Option<String>,
    /// An order number or id, or the last 4+ digits of a phone.
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// The after-sale queue: open claims oldest first, with each line's return terms
/// and whether the return rule allows a refund now.
#[utoipa::path(get, path = "/api/platform/claims", tag = "after-sale", params(ClaimQuery),
    responses((status = 200, body = ClaimPage), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_claims<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    ApiQuery(q): ApiQuery<ClaimQuery>,
) -> Result<Json<ClaimPage>, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    one_of("status", &q.status, &CLAIM_STATUSES)?;
    one_of("source", &q.source, &CLAIM_SOURCES)?;
    let filter = ClaimFilter {
        status: q.status,
        source: q.source,
        point: q.point,
        region: q.region,
        q: q.q,
    };
    Ok(Json(
        st.store
            .list_claims(filter, PageRequest::new(q.limit, q.offset))
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/platform/claims/{id}", tag = "after-sale",
    params(("id" = String, Path, description = "claim id")),
    responses((status = 200, body = Claim), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn get_claim<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<Claim>, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    Ok(Json(st.store.claim(id).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveClaim {
    /// Units to refund; left out, the claim's own lines (for a counter intake
    /// that names none, everything left of the order).
    #[serde(default)]
    pub lines: Option<Vec<RefundLine>>,
    /// Kept with the claim and the refund.
    #[serde(default)]
    pub note: String,
}

/// Approves an open claim: refunds its lines (or the ones chosen) through the
/// payment provider once, if the product's returnable flag and return window
/// allow each (a short delivery or a wrong item always does). Needs an
/// `Idempotency-Key`.
#[utoipa::path(post, path = "/api/platform/claims/{id}/approve", tag = "after-sale",
    params(("id" = String, Path, description = "claim id"),
        ("Idempotency-Key" = String, Header, description = "a fresh key per submission")),
    request_body = ApproveClaim,
    responses((status = 200, body = Claim), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn approve_claim<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    key: IdempotencyKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ApproveClaim>,
) -> Result<Json<Claim>, ApiError> {
    staff.permit(Action::DecideClaims)?;
    let note = note("note", &body.note, false)?;
    let lines = refund_lines(body.lines.as_deref())?;
    let request = key.require(&staff, "claim.approve", &(&id, &body.lines, &note))?;
    let decision = ClaimDecision {
        claim: id,
        verdict: ClaimVerdict::Approve { lines },
        note,
        by: staff.actor(),
        request,
        at: Millis::now(),
    };
    Ok(Json(
        st.store
            .decide_claim(decision, st.consumer.payments.clone())
            .await?,
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectClaim {
    /// Why, in words the consumer is shown (1–500 characters).
    pub reason: String,
}

/// Rejects an open claim with a reason the consumer sees. Needs an `Idempotency-Key`.
#[utoipa::path(post, path = "/api/platform/claims/{id}/reject", tag = "after-sale",
    params(("id" = String, Path, description = "claim id"),
        ("Idempotency-Key" = String, Header, description = "a fresh key per submission")),
    request_body = RejectClaim,
    responses((status = 200, body = Claim), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn reject_claim<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    key: IdempotencyKey,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RejectClaim>,
) -> Result<Json<Claim>, ApiError> {
    staff.permit(Action::DecideClaims)?;
    let reason = note("reason", &body.reason, true)?;
    let request = key.require(&staff, "claim.reject", &(&id, &reason))?;
    let decision = ClaimDecision {
        claim: id,
        verdict: ClaimVerdict::Reject {
            reason: reason.clone(),
        },
        note: reason,
        by: staff.actor(),
        request,
        at: Millis::now(),
    };
    Ok(Json(
        st.store
            .decide_claim(decision, st.consumer.payments.clone())
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExceptionQuery {
    /// `open` or `closed`; both when left out.
    pub status: Option<String>,
    /// `handed_over_when_void`, `settled_not_reversed`, `duplicate_handover` or
    /// `short_delivery`.
    pub kind: Option<String>,
    pub point: Option<String>,
    pub region: Option<String>,
    /// An order number or id.
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// Exceptions across every point, newest first, with the counter's "handled"
/// note and, once closed, who closed it, when and why.
#[utoipa::path(get, path = "/api/platform/exceptions", tag = "after-sale",
    params(ExceptionQuery),
    responses((status = 200, body = ExceptionPage), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_exceptions<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    ApiQuery(q): ApiQuery<ExceptionQuery>,
) -> Result<Json<ExceptionPage>, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    one_of("status", &q.status, &["open", "closed"])?;
    one_of("kind", &q.kind, &EXCEPTION_KINDS)?;
    let filter = ExceptionFilter {
        status: q.status,
        kind: q.kind,
        point: q.point,
        region: q.region,
        q: q.q,
    };
    Ok(Json(
        st.store
            .list_exceptions(filter, PageRequest::new(q.limit, q.offset))
            .await?,
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseException {
    /// What was done about it (1–500 characters).
    pub resolution: String,
}

/// Closes an open exception with a resolution note. It stays listed as closed.
#[utoipa::path(post, path = "/api/platform/exceptions/{id}/close", tag = "after-sale",
    params(("id" = String, Path, description = "exception id")),
    request_body = CloseException,
    responses((status = 200, body = ExceptionItem), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn close_exception<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CloseException>,
) -> Result<Json<ExceptionItem>, ApiError> {
    staff.permit(Action::CloseExceptions)?;
    let resolution = note("resolution", &body.resolution, true)?;
    Ok(Json(
        st.store
            .close_exception(
                ExceptionClose { id, resolution },
                staff.actor(),
                Millis::now(),
            )
            .await?,
    ))
}
