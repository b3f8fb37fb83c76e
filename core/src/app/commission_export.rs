//! Commission to Excel (佣金导出), for the leader's own books: the pulled ledger
//! as `commission_report` gives it (the Commission screen's totals, every entry,
//! a note when the ledger never came from the server), and the withdrawal
//! requests on a second sheet. Amounts are written as whole fen (exact integers)
//! with the yuan text beside them, so no float ever carries money.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::commission_report::{china_date_time, kind_label, total_lines, CommissionReport};
use super::AppError;
use crate::sheet::amount;

fn failed(e: XlsxError) -> AppError {
    AppError::new(
        "export",
        format!("Excel 文件无法生成：{e}"),
        format!("The Excel file could not be written: {e}"),
    )
}

/// The sheets' names.
pub const LEDGER_SHEET: &str = "佣金 Commission";
pub const WITHDRAWALS_SHEET: &str = "提现 Withdrawals";

/// The workbook's bytes: notes, then the totals, then one row per ledger entry.
pub fn commission_xlsx(report: &CommissionReport) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    ledger_sheet(book.add_worksheet(), report).map_err(failed)?;
    withdrawals_sheet(book.add_worksheet(), report).map_err(failed)?;
    book.save_to_buffer().map_err(failed)
}

fn ledger_sheet(sheet: &mut Worksheet, report: &CommissionReport) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    sheet.set_name(LEDGER_SHEET)?;
    let mut row = 0u32;
    for note in &report.notes {
        sheet.write_with_format(row, 0, note.zh.as_str(), &bold)?;
        sheet.write(row + 1, 0, note.en.as_str())?;
        row += 2;
    }
    row += 1;
    for (label, fen) in total_lines(&report.ledger.totals) {
        sheet.write_with_format(row, 0, label, &bold)?;
        amount(sheet, row, 1, fen)?;
        row += 1;
    }
    row += 1;
    let head = [
        "时间 Time",
        "类型 Kind",
        "订单号/账期 Reference",
        "金额（分）Fen",
        "金额 Yuan",
    ];
    for (col, h) in (0u16..).zip(head) {
        sheet.write_with_format(row, col, h, &bold)?;
    }
    for (r, e) in (row + 1..).zip(&report.rows) {
        sheet.write(r, 0, e.at.as_str())?;
        sheet.write(r, 1, kind_label(e.kind))?;
        sheet.write(r, 2, e.reference.as_str())?;
        amount(sheet, r, 3, e.amount)?;
    }
    sheet.set_column_width(0, 30)?;
    sheet.set_column_width(1, 16)?;
    sheet.set_column_width(2, 22)?;
    sheet.set_column_width(3, 14)?;
    Ok(())
}

fn withdrawals_sheet(sheet: &mut Worksheet, report: &CommissionReport) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    sheet.set_name(WITHDRAWALS_SHEET)?;
    let head = [
        "申请时间 Requested",
        "金额（分）Fen",
        "金额 Yuan",
        "状态 Status",
        "处理时间 Decided",
        "原因 Reason",
    ];
    for (col, h) in (0u16..).zip(head) {
        sheet.write_with_format(0, col, h, &bold)?;
    }
    for (r, w) in (1u32..).zip(&report.ledger.withdrawals) {
        sheet.write(r, 0, china_date_time(w.requested_at))?;
        amount(sheet, r, 1, w.amount)?;
        sheet.write(r, 3, w.status.as_str())?;
        sheet.write(r, 4, w.decided_at.map(china_date_time).unwrap_or_default())?;
        sheet.write(r, 5, w.reason.as_deref().unwrap_or(""))?;
    }
    sheet.set_column_width(0, 20)?;
    sheet.set_column_width(4, 20)?;
    Ok(())
}
