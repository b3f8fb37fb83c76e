//! 袋标: one small label per order, stuck on the bag so the leader finds it on the
//! shelf by phone tail and checks it against the order by scanning its QR code.

use qrcode::{EcLevel, QrCode};

use crate::bag_qr::BagQr;
use crate::pickup_qr::PickupQr;

use super::layout::{fit, line_mm, wrap, Align, Sheet, BLACK, GREY};
use super::{PrintError, PrintFont};

/// Label stock size: the common 60×40 mm thermal label.
pub const LABEL_WIDTH_MM: f32 = 60.0;
pub const LABEL_HEIGHT_MM: f32 = 40.0;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BagLabel {
    pub order_number: String,
    pub consumer_name: String,
    /// The last four digits of the consumer's phone.
    pub phone_tail: String,
    pub point_name: String,
    pub date: String,
    /// "name ×qty" or however the caller names them; printed in order until the
    /// label is full, then cut with "…".
    pub items: Vec<String>,
    /// What the QR carries: the counter prints a `bag_qr::BagQr` (the order, no
    /// secret; decision 0012); a `pickup_qr` payload or any other text also prints.
    pub qr_payload: String,
}

const MARGIN_MM: f32 = 2.5;
/// 26 mm holds the version-3 symbol at 0.79 mm a module: 4.6 px at 150 dpi, so a
/// label photographed from arm's length (0.6 frame px per label px) still gives the
/// decoder modules near 3 px; at 24 mm one label in 300 was lost there (`qr` bench).
const QR_SIDE_MM: f32 = 26.0;
/// White modules around the symbol inside its square; the label's own margin and the
/// gap to the text make up the rest of the quiet zone scanners need.
const QR_QUIET_MODULES: usize = 2;
const NAME_PT: f32 = 12.0;
const TAIL_PT: f32 = 13.0;
const DETAIL_PT: f32 = 7.0;
const ITEM_LINES: usize = 3;

/// Where the QR symbol's centre sits on the label, in mm from the top-left corner
/// (the scanner's tests aim their simulated camera at it).
pub const QR_CENTRE_MM: (f32, f32) = (
    LABEL_WIDTH_MM - MARGIN_MM - QR_SIDE_MM / 2.0,
    MARGIN_MM + QR_SIDE_MM / 2.0,
);

/// One 60×40 mm page per order, in the order given.
pub fn bag_labels(font: &PrintFont, labels: &[BagLabel]) -> Result<Vec<u8>, PrintError> {
    if labels.is_empty() {
        return Err(PrintError::NothingToPrint {
            what: "the list of bag labels",
        });
    }
    let mut sheet = Sheet::small_pages(font, "袋标", LABEL_WIDTH_MM, LABEL_HEIGHT_MM, MARGIN_MM);
    for label in labels {
        let code = qr_symbol(&label.qr_payload).map_err(|e| PrintError::QrPayload {
            order: label.order_number.clone(),
            reason: e.to_string(),
        })?;
        sheet.new_page();
        draw_label(&mut sheet, label, &code);
    }
    Ok(sheet.finish())
}

/// A Linli bag or pickup payload gets the compact symbol (one alphanumeric segment,
/// level Q: version 3, so larger modules on a small label); anything else is
/// encoded as given, at level Q.
fn qr_symbol(payload: &str) -> Result<QrCode, qrcode::types::QrError> {
    if let Ok(bag) = BagQr::parse(payload) {
        return bag.to_qr_code();
    }
    match PickupQr::parse(payload) {
        Ok(qr) => qr.to_qr_code(),
        Err(_) => QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::Q),
    }
}

fn draw_label(sheet: &mut Sheet, label: &BagLabel, code: &QrCode) {
    let font = sheet.font();
    let (x, top) = (MARGIN_MM, MARGIN_MM);
    let qr_x = LABEL_WIDTH_MM - MARGIN_MM - QR_SIDE_MM;
    let text_w = qr_x - x - 1.0;

    let name_y = top + line_mm(NAME_PT) * 0.8;
    let name = fit(font, &label.consumer_name, NAME_PT, text_w);
    sheet.text(x, name_y, NAME_PT, &name, Align::Left, BLACK);

    let tail_y = name_y + line_mm(TAIL_PT);
    let tail_label = "尾号";
    sheet.text(x, tail_y, DETAIL_PT, tail_label, Align::Left, GREY);
    let tail_x = x + font.width_mm(tail_label, DETAIL_PT) + 1.0;
    let tail = fit(font, &label.phone_tail, TAIL_PT, qr_x - tail_x - 1.0);
    sheet.text(tail_x, tail_y, TAIL_PT, &tail, Align::Left, BLACK);

    let mut y = tail_y + line_mm(DETAIL_PT) + 0.8;
    for detail in [
        format!("单号 {}", label.order_number),
        label.point_name.clone(),
        label.date.clone(),
    ] {
        let detail = fit(font, &detail, DETAIL_PT, text_w);
        sheet.text(x, y, DETAIL_PT, &detail, Align::Left, BLACK);
        y += line_mm(DETAIL_PT);
    }

    draw_qr(sheet, code, qr_x, top, QR_SIDE_MM);

    // The items run under both the text and the QR code, across the whole label.
    let items_top = top + QR_SIDE_MM + 1.5;
    sheet.hline(x, LABEL_WIDTH_MM - MARGIN_MM, items_top - 0.8, 0.3, GREY);
    let items = label.items.join("，");
    let lines = wrap(
        font,
        &items,
        DETAIL_PT,
        LABEL_WIDTH_MM - 2.0 * MARGIN_MM,
        ITEM_LINES,
    );
    for (i, line) in lines.iter().enumerate() {
        let y = items_top + line_mm(DETAIL_PT) * (i as f32 + 0.8);
        sheet.text(x, y, DETAIL_PT, line, Align::Left, BLACK);
    }
}

/// The symbol as filled rectangles, one per horizontal run of dark modules: sharp at
/// any printer resolution, and a few hundred operations instead of an image.
fn draw_qr(sheet: &mut Sheet, code: &QrCode, x: f32, y: f32, side: f32) {
    let modules = code.width();
    let colors = code.to_colors();
    let module = side / (modules + 2 * QR_QUIET_MODULES) as f32;
    let origin = (
        x + QR_QUIET_MODULES as f32 * module,
        y + QR_QUIET_MODULES as f32 * module,
    );
    for (row, cells) in colors.chunks(modules).enumerate() {
        let mut col = 0;
        while col < modules {
            if cells[col] != qrcode::Color::Dark {
                col += 1;
                continue;
            }
            let start = col;
            while col < modules && cells[col] == qrcode::Color::Dark {
                col += 1;
            }
            sheet.fill_rect(
                origin.0 + start as f32 * module,
                origin.1 + row as f32 * module,
                (col - start) as f32 * module,
                module,
                BLACK,
            );
        }
    }
}
