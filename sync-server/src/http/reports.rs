//! The overview and reports for platform staff (数据概览 / 报表): sums from the
//! store, days, rates and ages from `linli_core::report`, and the same rows as
//! Excel where staff export. Every figure here is one the server computed; the
//! admin web only draws it.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use linli_core::business_day::RegionClock;
use linli_core::money::Fen;
use linli_core::report::{percent, DayRange, WaitAge, OVERVIEW_DAYS};
use linli_core::sheet::{amount, header as sheet_header};
use linli_core::time::Millis;
use rust_xlsxwriter::{Workbook, XlsxError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::error::request_lang;
use super::platform::ApiQuery;
use super::{xlsx, Action, ApiError, AppState, ErrorBody, StaffAuth};
use crate::store::{PointSums, Queues, SalesBy, SalesRow, Store};

#[derive(OpenApi)]
#[openapi(
    paths(overview, sales, sales_xlsx, leaders, leaders_xlsx, uncollected),
    components(schemas(
        Overview,
        DaySales,
        Queues,
        SalesRow,
        SalesBy,
        SalesReport,
        LeaderRow,
        LeaderReport,
        AgeBucket,
        UncollectedReport,
        WaitAge
    ))
)]
pub struct ReportsApi;

pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/api/platform/overview", get(overview::<S>))
        .route("/api/platform/reports/sales", get(sales::<S>))
        .route("/api/platform/reports/sales.xlsx", get(sales_xlsx::<S>))
        .route("/api/platform/reports/leaders", get(leaders::<S>))
        .route("/api/platform/reports/leaders.xlsx", get(leaders_xlsx::<S>))
        .route("/api/platform/reports/uncollected", get(uncollected::<S>))
}

/// The platform's date now: the day whose goods are at the counters.
pub(super) fn today() -> Result<(RegionClock, NaiveDate), ApiError> {
    let clock = RegionClock::platform();
    let today = clock
        .local_date(Millis::now())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((clock, today))
}

#[derive(Serialize, ToSchema)]
pub struct DaySales {
    pub day: String,
    pub orders: u64,
    pub gmv_fen: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Overview {
    /// Today on the platform's calendar (YYYY-MM-DD).
    pub day: String,
    /// Orders placed today that still stand.
    pub orders: u64,
    pub gmv_fen: i64,
    pub active_points: u64,
    /// Orders collected whole of those delivered over the last 7 days before
    /// today; absent when there were none.
    pub pickup_rate_percent: Option<f64>,
    pub queues: Queues,
    /// Orders and GMV per delivery day, the 30 days ending today, a day with no
    /// orders as zero.
    pub daily: Vec<DaySales>,
    /// The same 30 days by region, biggest first.
    pub regions: Vec<SalesRow>,
    /// The ten products with the most GMV over the 30 days.
    pub top_products: Vec<SalesRow>,
}

/// Today's business at a glance and what waits for someone.
#[utoipa::path(get, path = "/api/platform/overview", tag = "reports",
    responses((status = 200, body = Overview), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn overview<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
) -> Result<Json<Overview>, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    let (clock, today) = today()?;
    let starts = clock
        .day_starts(today)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let ends = today
        .succ_opt()
        .map(|d| clock.day_starts(d))
        .transpose()
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .unwrap_or(Millis(i64::MAX));
    let month = DayRange::ending(today, OVERVIEW_DAYS);
    let (orders, gmv_fen) = st.store.placed_between(starts, ends).await?;
    let (picked, due) = st.store.pickups(DayRange::pickup_window(today)).await?;
    let by_day = st.store.sales(SalesBy::Day, month).await?;
    let daily = month
        .each_day()
        .map(|d| {
            let key = d.to_string();
            let row = by_day.iter().find(|r| r.key == key);
            DaySales {
                orders: row.map_or(0, |r| r.orders),
                gmv_fen: row.map_or(0, |r| r.gmv_fen),
                day: key,
            }
        })
        .collect();
    let mut top_products = st.store.sales(SalesBy::Product, month).await?;
    top_products.truncate(10);
    Ok(Json(Overview {
        day: today.to_string(),
        orders,
        gmv_fen,
        active_points: st.store.active_points().await?,
        pickup_rate_percent: percent(picked, due),
        queues: st.store.queues().await?,
        daily,
        regions: st.store.sales(SalesBy::Region, month).await?,
        top_products,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First delivery day (YYYY-MM-DD); the 30 days ending `to` when absent.
    pub from: Option<String>,
    /// Last delivery day (YYYY-MM-DD); today when absent.
    pub to: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SalesQuery {
    /// `day`, `region`, `product` or `supplier`.
    #[param(value_type = SalesBy)]
    pub by: SalesBy,
    pub from: Option<String>,
    pub to: Option<String>,
}

fn date(field: &str, s: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    s.map(|s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            ApiError::field2(
                field,
                "日期格式须为 YYYY-MM-DD",
                "must be a date YYYY-MM-DD",
            )
        })
    })
    .transpose()
}

fn range(from: Option<&str>, to: Option<&str>) -> Result<DayRange, ApiError> {
    let (_, today) = today()?;
    DayRange::asked(date("from", from)?, date("to", to)?, today)
        .map_err(|e| ApiError::field2("from", e.message_zh(), e.to_string()))
}

#[derive(Serialize, ToSchema)]
pub struct SalesReport {
    pub by: SalesBy,
    pub from: String,
    pub to: String,
    pub rows: Vec<SalesRow>,
}

async fn sales_report<S: Store>(st: &AppState<S>, q: SalesQuery) -> Result<SalesReport, ApiError> {
    let range = range(q.from.as_deref(), q.to.as_deref())?;
    let rows = st.store.sales(q.by, range).await?;
    Ok(SalesReport {
        by: q.by,
        from: range.from.to_string(),
        to: range.to.to_string(),
        rows,
    })
}

/// Sales over a range of delivery days by day, region, product or supplier.
#[utoipa::path(get, path = "/api/platform/reports/sales", tag = "reports", params(SalesQuery),
    responses((status = 200, body = SalesReport), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn sales<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    ApiQuery(q): ApiQuery<SalesQuery>,
) -> Result<Json<SalesReport>, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    Ok(Json(sales_report(&st, q).await?))
}

/// The sales report as an Excel workbook.
#[utoipa::path(get, path = "/api/platform/reports/sales.xlsx", tag = "reports", params(SalesQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn sales_xlsx<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    ApiQuery(q): ApiQuery<SalesQuery>,
) -> Result<Response, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    let report = sales_report(&st, q).await?;
    let book = sales_workbook(&report).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(workbook(
        book,
        &format!("sales-{}-{}.xlsx", report.from, report.to),
    ))
}

fn workbook(bytes: Vec<u8>, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, xlsx::CONTENT_TYPE.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn sales_workbook(r: &SalesReport) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("销售 Sales")?;
    sheet.write(0, 0, format!("销售报表 {} 至 {}", r.from, r.to))?;
    sheet_header(
        sheet,
        2,
        &[
            "键 Key",
            "名称 Name",
            "订单数 Orders",
            "件数 Units",
            "GMV（分）fen",
            "GMV",
        ],
    )?;
    for (row, s) in (3u32..).zip(&r.rows) {
        sheet.write(row, 0, s.key.as_str())?;
        sheet.write(row, 1, s.label.as_str())?;
        sheet.write(row, 2, s.orders as f64)?;
        sheet.write(row, 3, s.qty as f64)?;
        amount(sheet, row, 4, Fen(s.gmv_fen))?;
    }
    sheet.set_column_width(0, 38)?;
    sheet.set_column_width(1, 24)?;
    book.save_to_buffer()
}

#[derive(Serialize, ToSchema)]
pub struct LeaderRow {
    pub point: String,
    pub point_name: String,
    pub leader_name: String,
    pub region: String,
    pub orders: u64,
    pub gmv_fen: i64,
    pub picked_up: u64,
    pub pickup_rate_percent: Option<f64>,
    pub claims: u64,
    pub claims_rate_percent: Option<f64>,
    /// Orders at the point now, delivered and not collected whole.
    pub uncollected: u64,
}

#[derive(Serialize, ToSchema)]
pub struct LeaderReport {
    pub from: String,
    pub to: String,
    /// Every approved or suspended point, biggest GMV first.
    pub rows: Vec<LeaderRow>,
}

async fn leader_report<S: Store>(
    st: &AppState<S>,
    q: RangeQuery,
) -> Result<LeaderReport, ApiError> {
    let range = range(q.from.as_deref(), q.to.as_deref())?;
    let (_, today) = today()?;
    // Orders waiting per point, summed once rather than searched per point.
    let mut waiting: HashMap<String, u64> = HashMap::new();
    for (point, d) in st.store.uncollected(today).await? {
        *waiting.entry(point).or_default() += d.orders;
    }
    let mut rows: Vec<LeaderRow> = st
        .store
        .point_sums(range)
        .await?
        .into_iter()
        .map(|p: PointSums| LeaderRow {
            uncollected: waiting.get(&p.point).copied().unwrap_or(0),
            pickup_rate_percent: percent(p.picked_up, p.orders),
            claims_rate_percent: percent(p.claims, p.orders),
            point: p.point,
            point_name: p.point_name,
            leader_name: p.leader_name,
            region: p.region,
            orders: p.orders,
            gmv_fen: p.gmv_fen,
            picked_up: p.picked_up,
            claims: p.claims,
        })
        .collect();
    rows.sort_by(|a, b| b.gmv_fen.cmp(&a.gmv_fen).then(a.point.cmp(&b.point)));
    Ok(LeaderReport {
        from: range.from.to_string(),
        to: range.to.to_string(),
        rows,
    })
}

/// Each leader's point over a range of delivery days: GMV, orders, pickup rate,
/// claims rate and orders waiting now.
#[utoipa::path(get, path = "/api/platform/reports/leaders", tag = "reports", params(RangeQuery),
    responses((status = 200, body = LeaderReport), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn leaders<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<LeaderReport>, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    Ok(Json(leader_report(&st, q).await?))
}

/// Leader performance as an Excel workbook.
#[utoipa::path(get, path = "/api/platform/reports/leaders.xlsx", tag = "reports", params(RangeQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn leaders_xlsx<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Response, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    let report = leader_report(&st, q).await?;
    let book = leaders_workbook(&report).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(workbook(
        book,
        &format!("leaders-{}-{}.xlsx", report.from, report.to),
    ))
}

fn rate(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_string(), |p| format!("{p:.1}%"))
}

fn leaders_workbook(r: &LeaderReport) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("团长 Leaders")?;
    sheet.write(0, 0, format!("团长业绩 {} 至 {}", r.from, r.to))?;
    sheet_header(
        sheet,
        2,
        &[
            "自提点 Point",
            "团长 Leader",
            "订单数 Orders",
            "GMV（分）fen",
            "GMV",
            "已提 Picked up",
            "提货率 Pickup rate",
            "售后 Claims",
            "售后率 Claims rate",
            "待提 Uncollected",
        ],
    )?;
    for (row, l) in (3u32..).zip(&r.rows) {
        sheet.write(row, 0, l.point_name.as_str())?;
        sheet.write(row, 1, l.leader_name.as_str())?;
        sheet.write(row, 2, l.orders as f64)?;
        amount(sheet, row, 3, Fen(l.gmv_fen))?;
        sheet.write(row, 5, l.picked_up as f64)?;
        sheet.write(row, 6, rate(l.pickup_rate_percent))?;
        sheet.write(row, 7, l.claims as f64)?;
        sheet.write(row, 8, rate(l.claims_rate_percent))?;
        sheet.write(row, 9, l.uncollected as f64)?;
    }
    sheet.set_column_width(0, 24)?;
    book.save_to_buffer()
}

#[derive(Serialize, ToSchema)]
pub struct AgeBucket {
    pub age: WaitAge,
    /// In the request's language.
    pub label: String,
    pub orders: u64,
    pub amount_fen: i64,
}

#[derive(Serialize, ToSchema)]
pub struct UncollectedReport {
    pub day: String,
    /// Every age, youngest first, an empty one as zero.
    pub buckets: Vec<AgeBucket>,
}

/// Orders delivered and not yet collected, by how long they have waited.
#[utoipa::path(get, path = "/api/platform/reports/uncollected", tag = "reports",
    responses((status = 200, body = UncollectedReport), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn uncollected<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
) -> Result<Json<UncollectedReport>, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    let (_, today) = today()?;
    let waiting = st.store.uncollected(today).await?;
    let lang = request_lang();
    let buckets = WaitAge::ALL
        .iter()
        .map(|&age| {
            let days = waiting
                .iter()
                .filter(|(_, d)| WaitAge::of(d.day, today) == Some(age));
            let (orders, amount_fen) =
                days.fold((0, 0), |(n, a), (_, d)| (n + d.orders, a + d.amount_fen));
            AgeBucket {
                age,
                label: age.label(lang).to_string(),
                orders,
                amount_fen,
            }
        })
        .collect();
    Ok(Json(UncollectedReport {
        day: today.to_string(),
        buckets,
    }))
}
