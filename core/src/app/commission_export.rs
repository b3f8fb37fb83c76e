//! Commission to Excel (佣金导出): the totals and one row per order, for the
//! leader's own books. Amounts are written as whole fen (exact integers) with the
//! yuan text beside them, so no float ever carries money.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::AppError;
use crate::replica::{CommissionEntry, CommissionSummary};

fn failed(e: XlsxError) -> AppError {
    AppError::new(
        "export",
        format!("Excel 文件无法生成：{e}"),
        format!("The Excel file could not be written: {e}"),
    )
}

/// The workbook's bytes: sheet 佣金 with totals on top and the entries below.
pub fn commission_xlsx(
    summary: &CommissionSummary,
    entries: &[CommissionEntry],
) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("佣金 Commission").map_err(failed)?;
    let totals = [
        ("未结算 Unsettled", summary.pending),
        ("已结算 Settled", summary.settled),
    ];
    for (row, (label, amount)) in (0u32..).zip(totals) {
        sheet
            .write_with_format(row, 0, label, &bold)
            .map_err(failed)?;
        sheet.write(row, 1, amount.0 as f64).map_err(failed)?;
        sheet.write(row, 2, amount.to_string()).map_err(failed)?;
    }
    let head = [
        "日期 Date",
        "订单号 Order",
        "佣金（分）Fen",
        "佣金 Yuan",
        "状态 Status",
    ];
    for (col, h) in (0u16..).zip(head) {
        sheet.write_with_format(3, col, h, &bold).map_err(failed)?;
    }
    for (row, e) in (4u32..).zip(entries) {
        sheet.write(row, 0, e.day.as_str()).map_err(failed)?;
        sheet.write(row, 1, e.number.as_str()).map_err(failed)?;
        // i64 fen of one order is far below 2^53: exact as an Excel number.
        sheet.write(row, 2, e.amount.0 as f64).map_err(failed)?;
        sheet.write(row, 3, e.amount.to_string()).map_err(failed)?;
        let status = if e.settled_at.is_some() {
            "已结算 Settled"
        } else {
            "未结算 Unsettled"
        };
        sheet.write(row, 4, status).map_err(failed)?;
    }
    sheet.set_column_width(0, 18).map_err(failed)?;
    sheet.set_column_width(1, 16).map_err(failed)?;
    sheet.set_column_width(4, 18).map_err(failed)?;
    book.save_to_buffer().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Fen;
    use crate::time::Millis;

    #[test]
    fn writes_a_zip_workbook_with_the_rows() {
        let summary = CommissionSummary {
            pending: Fen(1234),
            settled: Fen(500),
            orders_pending: 1,
        };
        let entries = vec![CommissionEntry {
            day: "2026-11-22".into(),
            number: "1122-0001".into(),
            amount: Fen(1234),
            settled_at: Some(Millis(0)),
        }];
        let bytes = commission_xlsx(&summary, &entries).unwrap();
        assert!(bytes.starts_with(b"PK"), "an xlsx is a zip file");
        assert!(bytes.len() > 1000);
    }
}
