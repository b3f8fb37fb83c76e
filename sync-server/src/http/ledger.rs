//! The commission ledger over HTTP. Finance (admin too) reads a point's ledger and
//! totals, closes settlement periods, prints statements and decides withdrawals;
//! operators report handovers and refunds until the counter devices sync them.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use linli_core::handover::{HandoverLine, HandoverRequest};
use linli_core::ids::{OrderId, PointId};
use linli_core::money::Fen;
use linli_core::print::{self, CommissionKind, CommissionRow, CommissionStatement};
use linli_core::time::Millis;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::platform::ApiQuery;
use super::waves::{print_font, render, PdfError};
use super::{Action, ApiError, ApiJson, AppState, ErrorBody, StaffAuth};
use crate::store::{
    CommissionEntry, Decision, EntryKind, HandoverOutcome, LedgerError, LedgerException,
    LedgerPage, LedgerTotals, NewPeriod, PageRequest, PointSettlement, SettlementPeriod, Store,
    Withdrawal, WithdrawalFilter, WithdrawalPage, WithdrawalStatus,
};

#[derive(OpenApi)]
#[openapi(
    paths(
        point_ledger,
        point_totals,
        point_exceptions,
        close_period,
        list_periods,
        statement_pdf,
        request_withdrawal,
        list_withdrawals,
        approve_withdrawal,
        reject_withdrawal,
        mark_paid,
        period_export,
        report_handover
    ),
    components(schemas(
        CommissionEntry,
        EntryKind,
        LedgerPage,
        LedgerTotals,
        LedgerException,
        NewPeriod,
        PointSettlement,
        SettlementPeriod,
        Withdrawal,
        WithdrawalPage,
        WithdrawalStatus,
        WithdrawalRequest,
        RejectRequest,
        PaidRequest,
        HandoverReport,
        ReportedLine,
        HandoverOutcome
    ))
)]
pub struct LedgerApi;

pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route(
            "/api/platform/points/{point}/ledger",
            get(point_ledger::<S>),
        )
        .route(
            "/api/platform/points/{point}/ledger/totals",
            get(point_totals::<S>),
        )
        .route(
            "/api/platform/points/{point}/ledger/exceptions",
            get(point_exceptions::<S>),
        )
        .route(
            "/api/platform/points/{point}/withdrawals",
            post(request_withdrawal::<S>),
        )
        .route(
            "/api/platform/settlement-periods",
            get(list_periods::<S>).post(close_period::<S>),
        )
        // The router cannot match `{point}.pdf` inside one segment: the handler
        // takes the file name and insists on the `.pdf`.
        .route(
            "/api/platform/settlement-periods/{period}/statements/{file}",
            get(statement_pdf::<S>),
        )
        .route("/api/platform/withdrawals", get(list_withdrawals::<S>))
        .route(
            "/api/platform/withdrawals/{id}/approve",
            post(approve_withdrawal::<S>),
        )
        .route(
            "/api/platform/withdrawals/{id}/reject",
            post(reject_withdrawal::<S>),
        )
        .route("/api/platform/withdrawals/{id}/paid", post(mark_paid::<S>))
        .route(
            "/api/platform/settlement-periods/{period}/export.xlsx",
            get(period_export::<S>),
        )
        .route(
            "/api/platform/orders/{id}/handover",
            post(report_handover::<S>),
        )
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Store(e) => e.into(),
            LedgerError::OverBalance { asked, available } => ApiError::field(
                "amount",
                format!(
                    "{asked} asked, but only {available} ({} fen) is available to withdraw",
                    available.0
                ),
            ),
            e @ LedgerError::AlreadyDecided { .. } => ApiError::Conflict(e.to_string()),
            e @ LedgerError::NotShipped(_) => ApiError::Refused(e.to_string()),
        }
    }
}

fn point_id(s: &str) -> Result<PointId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::field("point", "must be a pickup point id (a UUID)"))
}

fn order_id(s: &str) -> Result<OrderId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::field("id", "must be an order id (a UUID)"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SinceQuery {
    /// The version the caller holds; entries after it are answered (0 when absent).
    since: Option<String>,
}

/// A point's ledger entries after a version: the devices' read-only pull. The ETag
/// is the version reached; `If-None-Match` with it answers 304 when nothing is new.
#[utoipa::path(get, path = "/api/platform/points/{point}/ledger", tag = "ledger",
    params(("point" = String, Path, description = "pickup point id"), SinceQuery),
    responses((status = 200, body = LedgerPage), (status = 304, description = "nothing newer"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn point_ledger<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(point): Path<String>,
    Query(q): Query<SinceQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    staff.permit(Action::ViewFinance)?;
    let point = point_id(&point)?;
    let since = match q.since.as_deref() {
        None | Some("") => 0,
        Some(s) => s
            .parse::<u64>()
            .map_err(|_| ApiError::field("since", "must be a version number (0 or more)"))?,
    };
    let page = st.store.ledger_since(point, since).await?;
    let etag = format!("\"{}\"", page.version);
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if unchanged && page.entries.is_empty() {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    Ok(([(header::ETAG, etag)], Json(page)).into_response())
}

/// A point's totals: accrued, reversed, settled, unsettled, withdrawn, available.
#[utoipa::path(get, path = "/api/platform/points/{point}/ledger/totals", tag = "ledger",
    params(("point" = String, Path, description = "pickup point id")),
    responses((status = 200, body = LedgerTotals), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn point_totals<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(point): Path<String>,
) -> Result<ApiJson<LedgerTotals>, ApiError> {
    staff.permit(Action::ViewFinance)?;
    Ok(ApiJson(st.store.ledger_totals(point_id(&point)?).await?))
}

/// Contradictions for staff: handovers on void orders, duplicate handovers, refunds
/// of settled commission; each with the counter's "handled" note once it synced.
#[utoipa::path(get, path = "/api/platform/points/{point}/ledger/exceptions", tag = "ledger",
    params(("point" = String, Path, description = "pickup point id")),
    responses((status = 200, body = [LedgerException]), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn point_exceptions<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(point): Path<String>,
) -> Result<ApiJson<Vec<LedgerException>>, ApiError> {
    staff.permit(Action::ViewFinance)?;
    Ok(ApiJson(
        st.store.ledger_exceptions(point_id(&point)?).await?,
    ))
}

/// Closes a region's period: every unsettled entry up to its end becomes settled,
/// with a statement per point.
#[utoipa::path(post, path = "/api/platform/settlement-periods", tag = "ledger",
    request_body = NewPeriod,
    responses((status = 201, body = SettlementPeriod), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn close_period<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    ApiJson(body): ApiJson<NewPeriod>,
) -> Result<(StatusCode, ApiJson<SettlementPeriod>), ApiError> {
    staff.permit(Action::ClosePeriods)?;
    let period = st.store.close_period(body, staff.id, Millis::now()).await?;
    Ok((StatusCode::CREATED, ApiJson(period)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// Only this region's periods.
    region: Option<String>,
}

/// Closed periods, newest first, each with what it settled per point.
#[utoipa::path(get, path = "/api/platform/settlement-periods", tag = "ledger",
    params(RegionQuery),
    responses((status = 200, body = [SettlementPeriod]), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_periods<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Query(q): Query<RegionQuery>,
) -> Result<ApiJson<Vec<SettlementPeriod>>, ApiError> {
    staff.permit(Action::ViewFinance)?;
    Ok(ApiJson(st.store.settlement_periods(q.region).await?))
}

/// A point's commission statement (佣金对账单) for a period, as a PDF.
#[utoipa::path(get, path = "/api/platform/settlement-periods/{period}/statements/{point}.pdf",
    tag = "ledger",
    params(("period" = String, Path, description = "settlement period id"),
        ("point" = String, Path, description = "pickup point id")),
    responses((status = 200, content_type = "application/pdf", body = String),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "the print font is not installed")),
    security(("bearer" = [])))]
async fn statement_pdf<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path((period, file)): Path<(String, String)>,
) -> Result<Response, PdfError> {
    staff.permit(Action::ViewFinance)?;
    let point = file.strip_suffix(".pdf").ok_or_else(|| {
        ApiError::NotFound(format!("{file}: statements are served as <point>.pdf"))
    })?;
    let point = point_id(point)?;
    let font = print_font()?;
    let s = st
        .store
        .point_statement(period, point)
        .await
        .map_err(ApiError::from)?;
    let mut rows: Vec<CommissionRow> = s
        .rows
        .iter()
        .map(|r| CommissionRow {
            date: r.date.clone(),
            order_number: r.order_number.clone(),
            amount: r.amount,
            kind: match r.kind {
                EntryKind::Reversal => CommissionKind::Reversed,
                _ => CommissionKind::Accrued,
            },
        })
        .collect();
    // The period's settlement closes the statement, so what it leaves unsettled is 0.
    rows.push(CommissionRow {
        date: s.last_day.clone(),
        order_number: "账期结算 Settlement".into(),
        amount: s.settled,
        kind: CommissionKind::Settled,
    });
    let doc = CommissionStatement {
        leader: s.leader.clone(),
        point_name: s.point_name.clone(),
        period: format!("{} 至 {}", s.first_day, s.last_day),
        notes: Vec::new(),
        rows,
        totals: None,
    };
    let bytes = render(move || print::commission_statement(font, &doc)).await?;
    let name = format!("commission-statement-{}-{}.pdf", s.last_day, s.point);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalRequest {
    /// Fen; at most the point's available (settled, not withdrawn or requested) balance.
    #[schema(value_type = i64)]
    pub amount: Fen,
}

/// Asks for a withdrawal (提现) on a leader's behalf.
#[utoipa::path(post, path = "/api/platform/points/{point}/withdrawals", tag = "ledger",
    params(("point" = String, Path, description = "pickup point id")),
    request_body = WithdrawalRequest,
    responses((status = 201, body = Withdrawal), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "above the available balance, which the message states")),
    security(("bearer" = [])))]
async fn request_withdrawal<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(point): Path<String>,
    ApiJson(body): ApiJson<WithdrawalRequest>,
) -> Result<(StatusCode, ApiJson<Withdrawal>), ApiError> {
    staff.permit(Action::DecideWithdrawals)?;
    let w = st
        .store
        .request_withdrawal(point_id(&point)?, body.amount, staff.id, Millis::now())
        .await?;
    Ok((StatusCode::CREATED, ApiJson(w)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WithdrawalQuery {
    /// Only this pickup point's withdrawals.
    point: Option<String>,
    /// `requested`, `approved`, `rejected` or `paid`.
    status: Option<String>,
    /// Page size (default 20, at most 500).
    limit: Option<u32>,
    offset: Option<u32>,
}

/// Withdrawals, oldest first: finance's queue with `status=requested`.
#[utoipa::path(get, path = "/api/platform/withdrawals", tag = "ledger",
    params(WithdrawalQuery),
    responses((status = 200, body = WithdrawalPage), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_withdrawals<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    ApiQuery(q): ApiQuery<WithdrawalQuery>,
) -> Result<ApiJson<WithdrawalPage>, ApiError> {
    staff.permit(Action::ViewFinance)?;
    let point = q.point.as_deref().map(point_id).transpose()?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(WithdrawalStatus::parse(s).ok_or_else(|| {
            ApiError::field("status", "must be requested, approved, rejected or paid")
        })?),
    };
    let filter = WithdrawalFilter { point, status };
    let page = PageRequest::new(q.limit, q.offset);
    Ok(ApiJson(st.store.withdrawals(filter, page).await?))
}

/// Approves a requested withdrawal: the payout enters the point's ledger.
#[utoipa::path(post, path = "/api/platform/withdrawals/{id}/approve", tag = "ledger",
    params(("id" = String, Path, description = "withdrawal id")),
    responses((status = 200, body = Withdrawal), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "already decided")),
    security(("bearer" = [])))]
async fn approve_withdrawal<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(id): Path<String>,
) -> Result<ApiJson<Withdrawal>, ApiError> {
    staff.permit(Action::DecideWithdrawals)?;
    let w = st
        .store
        .decide_withdrawal(id, Decision::Approve, staff.id, Millis::now())
        .await?;
    Ok(ApiJson(w))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// Shown to the leader: 1–200 characters.
    pub reason: String,
}

/// Rejects a requested withdrawal with a reason; the amount is available again.
#[utoipa::path(post, path = "/api/platform/withdrawals/{id}/reject", tag = "ledger",
    params(("id" = String, Path, description = "withdrawal id")),
    request_body = RejectRequest,
    responses((status = 200, body = Withdrawal), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "already decided"),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn reject_withdrawal<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RejectRequest>,
) -> Result<ApiJson<Withdrawal>, ApiError> {
    staff.permit(Action::DecideWithdrawals)?;
    let decision = Decision::Reject {
        reason: body.reason,
    };
    let w = st
        .store
        .decide_withdrawal(id, decision, staff.id, Millis::now())
        .await?;
    Ok(ApiJson(w))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaidRequest {
    /// The bank's (or payout provider's) reference for the transfer, 1–200 characters.
    pub reference: String,
}

/// Marks an approved withdrawal paid, with the transfer's reference.
#[utoipa::path(post, path = "/api/platform/withdrawals/{id}/paid", tag = "ledger",
    params(("id" = String, Path, description = "withdrawal id")),
    request_body = PaidRequest,
    responses((status = 200, body = Withdrawal), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "not approved, or already paid"),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn mark_paid<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PaidRequest>,
) -> Result<ApiJson<Withdrawal>, ApiError> {
    staff.permit(Action::DecideWithdrawals)?;
    let decision = Decision::MarkPaid {
        reference: body.reference,
    };
    let w = st
        .store
        .decide_withdrawal(id, decision, staff.id, Millis::now())
        .await?;
    Ok(ApiJson(w))
}

/// A closed period as an Excel workbook: one sheet with what each point was
/// settled, one with every settled entry (amounts in yuan, two decimals).
#[utoipa::path(get, path = "/api/platform/settlement-periods/{period}/export.xlsx",
    tag = "ledger",
    params(("period" = String, Path, description = "settlement period id")),
    responses((status = 200,
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn period_export<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(period): Path<String>,
) -> Result<Response, ApiError> {
    staff.permit(Action::ViewFinance)?;
    let (p, statements) = st.store.period_statements(period).await?;
    let bytes = super::xlsx::period_workbook(&p, &statements)
        .map_err(|e| ApiError::Internal(format!("writing the workbook: {e}")))?;
    let name = format!("settlement-{}-{}.xlsx", p.first_day, p.last_day);
    Ok((
        [
            (header::CONTENT_TYPE, super::xlsx::CONTENT_TYPE.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportedLine {
    pub sku: String,
    pub qty: u32,
}

/// A counter's handover as an operator reports it (until devices sync their own).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverReport {
    /// The lines and units handed over; absent = the whole order.
    pub lines: Option<Vec<ReportedLine>>,
    /// When, UTC ms; now when absent.
    pub at: Option<i64>,
    /// Which device handed over; `staff:<id>` when absent.
    pub device: Option<String>,
}

/// Records a handover: the order's lines accrue commission once. A void order
/// accrues nothing and answers the exception kept for staff.
#[utoipa::path(post, path = "/api/platform/orders/{id}/handover", tag = "ledger",
    params(("id" = String, Path, description = "order id")),
    request_body = HandoverReport,
    responses((status = 200, body = HandoverOutcome), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn report_handover<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<HandoverReport>,
) -> Result<ApiJson<HandoverOutcome>, ApiError> {
    staff.permit(Action::RecordHandover)?;
    let order = order_id(&id)?;
    let request = match body.lines {
        None => HandoverRequest::Whole,
        Some(lines) => {
            let mut parsed = Vec::with_capacity(lines.len());
            let mut errs = Vec::new();
            for (i, l) in lines.iter().enumerate() {
                match l.sku.parse() {
                    Ok(sku) => parsed.push(HandoverLine { sku, qty: l.qty }),
                    Err(_) => errs.push(linli_core::catalog::FieldError::new(
                        &format!("lines[{i}].sku"),
                        "must be a SKU id (a UUID)",
                    )),
                }
            }
            if !errs.is_empty() {
                return Err(ApiError::Invalid(errs));
            }
            HandoverRequest::Lines(parsed)
        }
    };
    let at = match body.at {
        None => Millis::now(),
        Some(ms) if ms >= 0 => Millis(ms),
        Some(_) => return Err(ApiError::field("at", "must be UTC milliseconds since 1970")),
    };
    let device = body.device.unwrap_or_else(|| format!("staff:{}", staff.id));
    Ok(ApiJson(
        st.store.record_handover(order, request, at, device).await?,
    ))
}
