//! Waves (波次) for platform operators: cutoff on demand, the frozen waves of a
//! region, and each wave's purchase orders (采购单) and delivery sheets (配送单) as
//! JSON and as printable PDF (laid out by `linli_core::print`).

use std::sync::OnceLock;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use linli_core::money::Fen;
use linli_core::print::{self, FontSource, PrintFont, DEBIAN_FONT_PACKAGE};
use linli_core::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::{Action, ApiError, ApiJson, AppState, ErrorBody, StaffAuth};
use crate::store::{
    AuditRecord, DeliverySheet, Store, WaveDeliveries, WaveDeliverySheets, WaveInfo,
    WavePurchaseOrders, WaveSummary,
};

#[derive(OpenApi)]
#[openapi(
    paths(
        cutoff,
        list_waves,
        open_days,
        purchase_orders,
        delivery_sheets,
        deliveries,
        purchase_order_pdf,
        delivery_sheet_pdf
    ),
    components(schemas(CutoffRequest, CutoffAnswer))
)]
pub struct WavesApi;

const REGION: &str = "/api/platform/regions/{region}";

pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route(&format!("{REGION}/cutoff"), post(cutoff::<S>))
        .route(&format!("{REGION}/waves"), get(list_waves::<S>))
        .route(&format!("{REGION}/open-days"), get(open_days::<S>))
        .route(
            &format!("{REGION}/waves/{{day}}/purchase-orders"),
            get(purchase_orders::<S>),
        )
        .route(
            &format!("{REGION}/waves/{{day}}/delivery-sheets"),
            get(delivery_sheets::<S>),
        )
        .route(
            &format!("{REGION}/waves/{{day}}/deliveries"),
            get(deliveries::<S>),
        )
        // The router cannot match `{supplier}.pdf` inside one segment, so the
        // handlers take the whole file name and insist on the `.pdf`.
        .route(
            &format!("{REGION}/waves/{{day}}/purchase-orders/{{file}}"),
            get(purchase_order_pdf::<S>),
        )
        .route(
            &format!("{REGION}/waves/{{day}}/delivery-sheets/{{file}}"),
            get(delivery_sheet_pdf::<S>),
        )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CutoffRequest {
    /// The delivery day whose ordering closes now, YYYY-MM-DD (region-local).
    pub day: String,
}

/// What a cutoff froze (the same answer when the wave was already frozen).
#[derive(Debug, Serialize, ToSchema)]
pub struct CutoffAnswer {
    pub region: String,
    pub day: String,
    pub orders: u64,
    pub units: u64,
    pub suppliers: usize,
    pub points: usize,
    /// False when the wave was already frozen and nothing changed.
    pub created: bool,
}

impl From<WaveSummary> for CutoffAnswer {
    fn from(w: WaveSummary) -> Self {
        CutoffAnswer {
            region: w.region,
            day: w.day,
            orders: w.orders,
            units: w.units,
            suppliers: w.suppliers,
            points: w.points,
            created: w.created,
        }
    }
}

fn day(field: &str, s: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ApiError::field(field, "must be a date YYYY-MM-DD"))
}

/// Freezes the wave now. Running it again answers the same summary and adds nothing.
#[utoipa::path(post, path = "/api/platform/regions/{region}/cutoff", tag = "waves",
    params(("region" = String, Path, description = "region id")),
    request_body = CutoffRequest,
    responses((status = 200, body = CutoffAnswer), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn cutoff<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(region): Path<String>,
    ApiJson(req): ApiJson<CutoffRequest>,
) -> Result<Json<CutoffAnswer>, ApiError> {
    staff.permit(Action::RunCutoff)?;
    day("day", &req.day)?;
    let summary = st.store.run_cutoff(region, req.day, Millis::now()).await?;
    tracing::info!(staff = %staff.id, region = %summary.region, day = %summary.day,
        created = summary.created, "cutoff on demand");
    if summary.created {
        let entry = AuditRecord::new(
            "wave.cutoff",
            "wave",
            format!("{}/{}", summary.region, summary.day),
            format!("手动截单：{}", summary.day),
        )
        .states(
            None::<&()>,
            Some(&serde_json::json!({"orders": summary.orders, "units": summary.units})),
        );
        st.store.append_audit(staff.actor(), entry).await?;
    }
    Ok(Json(summary.into()))
}

/// Delivery days of the region with orders and no wave yet (the last 30 days
/// on), oldest first: what "cut off now" can be run for.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenDays {
    pub region: String,
    pub days: Vec<String>,
}

#[utoipa::path(get, path = "/api/platform/regions/{region}/open-days", tag = "waves",
    params(("region" = String, Path, description = "region id")),
    responses((status = 200, body = OpenDays), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn open_days<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(region): Path<String>,
) -> Result<Json<OpenDays>, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    let (_, today) = super::reports::today()?;
    let since = linli_core::report::DayRange::ending(today, linli_core::report::OVERVIEW_DAYS).from;
    let regions = st.store.region_cutoffs(since.to_string()).await?;
    let r = regions
        .into_iter()
        .find(|r| r.region == region)
        .ok_or_else(|| {
            ApiError::NotFound(format!("region {region}")).zh(format!("没有区域 {region}"))
        })?;
    Ok(Json(OpenDays {
        region: r.region,
        days: r.unfrozen_order_days,
    }))
}

/// The region's frozen waves, newest first.
#[utoipa::path(get, path = "/api/platform/regions/{region}/waves", tag = "waves",
    params(("region" = String, Path, description = "region id")),
    responses((status = 200, body = Vec<WaveInfo>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_waves<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path(region): Path<String>,
) -> Result<Json<Vec<WaveInfo>>, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    Ok(Json(st.store.waves(region).await?))
}

/// The wave's purchase orders, one per supplier.
#[utoipa::path(get, path = "/api/platform/regions/{region}/waves/{day}/purchase-orders",
    tag = "waves",
    params(("region" = String, Path, description = "region id"),
        ("day" = String, Path, description = "delivery day, YYYY-MM-DD")),
    responses((status = 200, body = WavePurchaseOrders), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "unknown region or wave not cut off")),
    security(("bearer" = [])))]
async fn purchase_orders<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path((region, d)): Path<(String, String)>,
) -> Result<Json<WavePurchaseOrders>, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    day("day", &d)?;
    Ok(Json(st.store.wave_purchase_orders(region, d).await?))
}

/// The wave's delivery sheets, one per route, stops in driving order.
#[utoipa::path(get, path = "/api/platform/regions/{region}/waves/{day}/delivery-sheets",
    tag = "waves",
    params(("region" = String, Path, description = "region id"),
        ("day" = String, Path, description = "delivery day, YYYY-MM-DD")),
    responses((status = 200, body = WaveDeliverySheets), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "unknown region or wave not cut off")),
    security(("bearer" = [])))]
async fn delivery_sheets<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path((region, d)): Path<(String, String)>,
) -> Result<Json<WaveDeliverySheets>, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    day("day", &d)?;
    Ok(Json(st.store.wave_delivery_sheets(region, d).await?))
}

/// What came back from the counters: for each point of the wave, who accepted
/// the delivery and when, and every line as counted (short or damaged first,
/// with the counter's note).
#[utoipa::path(get, path = "/api/platform/regions/{region}/waves/{day}/deliveries",
    tag = "waves",
    params(("region" = String, Path, description = "region id"),
        ("day" = String, Path, description = "delivery day, YYYY-MM-DD")),
    responses((status = 200, body = WaveDeliveries), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "unknown region or wave not cut off")),
    security(("bearer" = [])))]
async fn deliveries<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path((region, d)): Path<(String, String)>,
) -> Result<Json<WaveDeliveries>, ApiError> {
    staff.permit(Action::ViewBusiness)?;
    day("day", &d)?;
    Ok(Json(st.store.wave_deliveries(region, d).await?))
}

/// One supplier's purchase order as PDF.
#[utoipa::path(get,
    path = "/api/platform/regions/{region}/waves/{day}/purchase-orders/{supplier}.pdf",
    tag = "waves",
    params(("region" = String, Path, description = "region id"),
        ("day" = String, Path, description = "delivery day, YYYY-MM-DD"),
        ("supplier" = String, Path, description = "supplier id")),
    responses((status = 200, content_type = "application/pdf", body = String),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "the print font is not installed")),
    security(("bearer" = [])))]
async fn purchase_order_pdf<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path((region, d, file)): Path<(String, String, String)>,
) -> Result<Response, PdfError> {
    staff.permit(Action::ViewBusiness)?;
    let date = day("day", &d)?;
    let supplier = pdf_stem(&file)?;
    let font = print_font()?;
    let wave = st.store.wave_purchase_orders(region, d).await?;
    let (index, po) = wave
        .purchase_orders
        .iter()
        .enumerate()
        .find(|(_, po)| po.supplier.id == supplier)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "supplier {supplier} has no purchase order in this wave"
            ))
        })?;
    let number = format!("CG{}-{:02}", date.format("%Y%m%d"), index + 1);
    let doc = print::PurchaseOrder {
        number: number.clone(),
        supplier: po.supplier.name.clone(),
        wave: format!("{} {}", wave.region_name, wave.day),
        delivery_date: wave.day.clone(),
        deliver_to: format!("{}城市仓", wave.region_name),
        lines: po
            .lines
            .iter()
            .map(|l| {
                // An order line's name carries its spec ("西红柿 500g"); the
                // purchase order prints the spec in a column of its own.
                let name = l
                    .name
                    .strip_suffix(&format!(" {}", l.spec))
                    .unwrap_or(&l.name);
                Ok(print::PurchaseOrderLine {
                    sku_name: name.to_string(),
                    spec: l.spec.clone(),
                    qty: qty(l.qty)?,
                    unit_price: Fen(l.unit_price),
                })
            })
            .collect::<Result<_, ApiError>>()?,
    };
    let bytes = render(move || print::purchase_order(font, &doc)).await?;
    let names = (
        format!("purchase-order-{number}.pdf"),
        format!("采购单-{}-{}.pdf", po.supplier.name, wave.day),
    );
    Ok(pdf(bytes, &names.0, &names.1))
}

/// One route's delivery sheet as PDF.
#[utoipa::path(get,
    path = "/api/platform/regions/{region}/waves/{day}/delivery-sheets/{route}.pdf",
    tag = "waves",
    params(("region" = String, Path, description = "region id"),
        ("day" = String, Path, description = "delivery day, YYYY-MM-DD"),
        ("route" = String, Path, description = "route id")),
    responses((status = 200, content_type = "application/pdf", body = String),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "the print font is not installed")),
    security(("bearer" = [])))]
async fn delivery_sheet_pdf<S: Store>(
    State(st): State<AppState<S>>,
    staff: StaffAuth,
    Path((region, d, file)): Path<(String, String, String)>,
) -> Result<Response, PdfError> {
    staff.permit(Action::ViewBusiness)?;
    day("day", &d)?;
    let route = pdf_stem(&file)?;
    let font = print_font()?;
    let wave = st.store.wave_delivery_sheets(region, d).await?;
    let sheet: &DeliverySheet = wave
        .delivery_sheets
        .iter()
        .find(|s| s.route.id == route)
        .ok_or_else(|| {
            ApiError::NotFound(format!("route {route} has no delivery sheet in this wave"))
        })?;
    let doc = print::DeliverySheet {
        route: sheet.route.name.clone(),
        driver: format!("{} {}", sheet.route.driver_name, sheet.route.driver_phone),
        date: wave.day.clone(),
        stops: sheet
            .stops
            .iter()
            .map(|s| {
                Ok(print::DeliveryStop {
                    point_name: s.name.clone(),
                    address: s.address.clone(),
                    leader: s.leader_name.clone(),
                    phone: s.leader_phone.clone(),
                    lines: s
                        .lines
                        .iter()
                        .map(|l| {
                            Ok(print::StopLine {
                                name: l.name.clone(),
                                qty: qty(l.qty)?,
                            })
                        })
                        .collect::<Result<_, ApiError>>()?,
                })
            })
            .collect::<Result<_, ApiError>>()?,
    };
    let bytes = render(move || print::delivery_sheet(font, &doc)).await?;
    Ok(pdf(
        bytes,
        &format!(
            "delivery-sheet-{}-{}.pdf",
            wave.day,
            ascii_slug(&sheet.route.id)
        ),
        &format!("配送单-{}-{}.pdf", sheet.route.name, wave.day),
    ))
}

fn qty(q: u64) -> Result<u32, ApiError> {
    u32::try_from(q).map_err(|_| ApiError::Internal(format!("quantity {q} does not fit a sheet")))
}

/// `<id>.pdf` → `<id>`; anything else is not a document we serve.
fn pdf_stem(file: &str) -> Result<&str, ApiError> {
    file.strip_suffix(".pdf")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::NotFound(format!("{file}: documents are served as <id>.pdf")))
}

fn ascii_slug(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// Lays out a document off the async threads: subsetting a CJK font takes a while.
pub(crate) async fn render(
    f: impl FnOnce() -> Result<Vec<u8>, print::PrintError> + Send + 'static,
) -> Result<Vec<u8>, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("printing stopped: {e}")))?
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The PDF answer: an ASCII file name for every client and the Chinese one for
/// those that read RFC 6266's `filename*`.
fn pdf(bytes: Vec<u8>, ascii_name: &str, name: &str) -> Response {
    let disposition = format!(
        "attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{}",
        percent_encode(name)
    );
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The print font, parsed once for the life of the process (parsing a 5 MB CJK
/// font costs far more than laying out a page). `Err` keeps the reason it failed.
static PRINT_FONT: OnceLock<Result<PrintFont, String>> = OnceLock::new();

/// Loads the print font at start-up; later calls keep the first result. A missing
/// font is not fatal: the server runs and the PDF endpoints answer 503.
pub fn load_print_font(source: &FontSource) -> Result<(), String> {
    match PRINT_FONT.get_or_init(|| source.load().map_err(|e| e.to_string())) {
        Ok(_) => Ok(()),
        Err(e) => Err(e.clone()),
    }
}

/// The shared print font, for every endpoint that prints.
pub(crate) fn print_font() -> Result<&'static PrintFont, PdfError> {
    // A server started without `load_print_font` (the tests) uses Debian's font.
    load_print_font(&FontSource::debian()).map_err(PdfError::FontMissing)?;
    PRINT_FONT
        .get()
        .and_then(|r| r.as_ref().ok())
        .ok_or_else(|| PdfError::FontMissing("the print font is not loaded".into()))
}

/// A PDF endpoint's failure: the usual API errors, or no font to print with.
#[derive(Debug)]
pub enum PdfError {
    Api(ApiError),
    FontMissing(String),
}

impl From<ApiError> for PdfError {
    fn from(e: ApiError) -> Self {
        PdfError::Api(e)
    }
}

impl From<crate::store::StoreError> for PdfError {
    fn from(e: crate::store::StoreError) -> Self {
        PdfError::Api(e.into())
    }
}

impl IntoResponse for PdfError {
    fn into_response(self) -> Response {
        match self {
            PdfError::Api(e) => e.into_response(),
            PdfError::FontMissing(reason) => {
                let mut message = format!("printing is unavailable on this server: {reason}");
                if !reason.contains(DEBIAN_FONT_PACKAGE) {
                    message.push_str(&format!(
                        "; install the Debian package {DEBIAN_FONT_PACKAGE} and restart the server"
                    ));
                }
                let body = ErrorBody {
                    error: "unavailable",
                    message,
                    fields: Vec::new(),
                };
                (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_font_answers_503_naming_the_package() {
        let resp = PdfError::FontMissing("cannot read /nowhere.ttc".into()).into_response();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(resp.into_body(), 4096).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], "unavailable");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("fonts-wqy-microhei"), "{message}");
        assert!(message.contains("/nowhere.ttc"), "{message}");
    }

    #[test]
    fn a_font_that_is_not_there_is_reported_not_fatal() {
        let missing = FontSource::path("/nonexistent/linli-font.ttc").load();
        let reason = missing.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(reason.contains("fonts-wqy-microhei"), "{reason}");
    }

    #[test]
    fn only_pdf_file_names_are_documents() {
        assert_eq!(pdf_stem("abc.pdf").unwrap(), "abc");
        assert!(pdf_stem(".pdf").is_err());
        assert!(pdf_stem("abc").is_err());
        assert!(pdf_stem("abc.pdf.exe").is_err());
    }

    #[test]
    fn chinese_file_names_are_percent_encoded() {
        assert_eq!(
            percent_encode("配送单 A.pdf"),
            "%E9%85%8D%E9%80%81%E5%8D%95%20A.pdf"
        );
    }
}
