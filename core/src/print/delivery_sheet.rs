//! 配送单: a driver's route, stop by stop, with what each pickup point receives and
//! a line for the leader to sign on receipt.

use super::layout::{
    fit, line_mm, sign_lines, Align, Column, Heading, Sheet, Table, BLACK, BODY_PT, GREY,
    SIGN_LINES_MM, SMALL_PT,
};
use super::{PrintError, PrintFont};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliverySheet {
    pub route: String,
    pub driver: String,
    pub date: String,
    /// In driving order.
    pub stops: Vec<DeliveryStop>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryStop {
    pub point_name: String,
    pub address: String,
    pub leader: String,
    pub phone: String,
    pub lines: Vec<StopLine>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StopLine {
    pub name: String,
    pub qty: u32,
}

const STOP_TITLE_PT: f32 = 11.0;

/// The delivery sheet as PDF. A stop that fits on one page is never split across
/// two, so the leader signs under the goods they counted.
pub fn delivery_sheet(font: &PrintFont, delivery: &DeliverySheet) -> Result<Vec<u8>, PrintError> {
    let all_units: u64 = delivery
        .stops
        .iter()
        .flat_map(|s| &s.lines)
        .map(|l| u64::from(l.qty))
        .sum();
    let mut sheet = Sheet::a4(
        font,
        Heading {
            title: "配送单",
            title_en: "Delivery sheet",
            facts: vec![
                ("路线 Route", delivery.route.clone()),
                ("司机 Driver", delivery.driver.clone()),
                ("配送日期 Date", delivery.date.clone()),
                (
                    "合计 Total",
                    format!("{} 站 stops，{} 件 units", delivery.stops.len(), all_units),
                ),
            ],
        },
    );
    let table = Table::new(
        sheet.left(),
        sheet.right(),
        vec![
            Column::new("序号", "No.", 11.0, Align::Right),
            Column::new("商品", "Item", 0.0, Align::Left),
            Column::new("数量", "Qty", 24.0, Align::Right),
        ],
    );
    for (i, stop) in delivery.stops.iter().enumerate() {
        let rows: Vec<[String; 3]> = stop
            .lines
            .iter()
            .enumerate()
            .map(|(j, line)| [(j + 1).to_string(), line.name.clone(), line.qty.to_string()])
            .collect();
        let units: u64 = stop.lines.iter().map(|l| u64::from(l.qty)).sum();
        let total = [
            String::new(),
            "本站合计 Stop total".to_owned(),
            units.to_string(),
        ];

        let row_heights: f32 = rows.iter().map(|r| table.row_height(font, r)).sum();
        let whole = STOP_HEAD_MM
            + table.header_height()
            + row_heights
            + table.row_height(font, &total)
            + SIGN_MM;
        let first_row = rows.first().map_or(0.0, |r| table.row_height(font, r));
        let start = if whole <= sheet.fresh_page_room() {
            whole
        } else {
            STOP_HEAD_MM + table.header_height() + first_row
        };
        sheet.keep(start);
        stop_head(&mut sheet, i + 1, stop);
        table.header(&mut sheet);
        for row in &rows {
            table.row(&mut sheet, row);
        }
        table.total_row(&mut sheet, &total, SIGN_LINES_MM);
        sign_lines(
            &mut sheet,
            &[("签收", "Signature", ""), ("时间", "Time", "")],
        );
        sheet.advance(STOP_GAP_MM);
    }
    Ok(sheet.finish())
}

/// Stop title, address and contact, plus the gap below them.
const STOP_HEAD_MM: f32 = 14.0;
/// The sign-off line and the gap before the next stop.
const SIGN_MM: f32 = SIGN_LINES_MM + STOP_GAP_MM;
const STOP_GAP_MM: f32 = 4.0;

fn stop_head(sheet: &mut Sheet, number: usize, stop: &DeliveryStop) {
    let (x, top, right) = (sheet.left(), sheet.y(), sheet.right());
    let font = sheet.font();
    let seq = format!("第 {number} 站");
    let title_y = top + line_mm(STOP_TITLE_PT);
    sheet.text(x, title_y, STOP_TITLE_PT, &seq, Align::Left, BLACK);
    let seq_w = font.width_mm(&seq, STOP_TITLE_PT);
    let en = format!("Stop {number}");
    sheet.text(x + seq_w + 1.5, title_y, SMALL_PT, &en, Align::Left, GREY);
    let name_x = x + seq_w + 4.0 + font.width_mm(&en, SMALL_PT);
    let name = fit(font, &stop.point_name, STOP_TITLE_PT, right - name_x);
    sheet.text(name_x, title_y, STOP_TITLE_PT, &name, Align::Left, BLACK);

    let info_y = title_y + line_mm(BODY_PT) + 1.0;
    let contact = format!("团长 {}   电话 {}", stop.leader, stop.phone);
    let contact_w = font.width_mm(&contact, BODY_PT);
    sheet.text(right, info_y, BODY_PT, &contact, Align::Right, BLACK);
    let address = fit(
        font,
        &format!("地址 {}", stop.address),
        BODY_PT,
        right - x - contact_w - 6.0,
    );
    sheet.text(x, info_y, BODY_PT, &address, Align::Left, BLACK);
    sheet.advance(STOP_HEAD_MM);
}
