//! Excel workbooks staff download: a settlement period's, a list of orders. Amounts follow
//! `linli_core::sheet` (whole fen beside the yuan text).

use linli_core::sheet::{amount, header};
use rust_xlsxwriter::{Workbook, XlsxError};

use crate::store::{EntryKind, OrderSummary, PointStatement, SettlementPeriod};

pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub const SETTLEMENTS_SHEET: &str = "结算 Settlements";
pub const ENTRIES_SHEET: &str = "明细 Entries";

fn kind_zh(k: EntryKind) -> &'static str {
    match k {
        EntryKind::Accrual => "佣金 accrual",
        EntryKind::Reversal => "冲回 reversal",
        EntryKind::Settlement => "结算 settlement",
        EntryKind::Withdrawal => "提现 withdrawal",
    }
}

/// The period's settlements per point, then every settled entry per point.
pub fn period_workbook(
    p: &SettlementPeriod,
    statements: &[PointStatement],
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(SETTLEMENTS_SHEET)?;
    sheet.write(0, 0, format!("结算周期 {} 至 {}", p.first_day, p.last_day))?;
    header(
        sheet,
        2,
        &[
            "网点 Point",
            "网点名称 Name",
            "佣金（分）Accrued fen",
            "佣金 Accrued",
            "冲回（分）Reversed fen",
            "冲回 Reversed",
            "结算（分）Settled fen",
            "结算 Settled",
            "条数 Entries",
        ],
    )?;
    for (row, s) in (3u32..).zip(&p.settlements) {
        sheet.write(row, 0, s.point.as_str())?;
        sheet.write(row, 1, s.point_name.as_str())?;
        amount(sheet, row, 2, s.accrued)?;
        amount(sheet, row, 4, s.reversed)?;
        amount(sheet, row, 6, s.amount)?;
        sheet.write(row, 8, s.entries as f64)?;
    }
    sheet.set_column_width(0, 38)?;
    sheet.set_column_width(1, 20)?;

    let sheet = book.add_worksheet();
    sheet.set_name(ENTRIES_SHEET)?;
    header(
        sheet,
        0,
        &[
            "网点名称 Point",
            "团长 Leader",
            "日期 Date",
            "订单号 Order",
            "类型 Kind",
            "金额（分）Fen",
            "金额 Yuan",
        ],
    )?;
    let mut row = 1u32;
    for st in statements {
        for r in &st.rows {
            sheet.write(row, 0, st.point_name.as_str())?;
            sheet.write(row, 1, st.leader.as_str())?;
            sheet.write(row, 2, r.date.as_str())?;
            sheet.write(row, 3, r.order_number.as_str())?;
            sheet.write(row, 4, kind_zh(r.kind))?;
            amount(sheet, row, 5, r.amount)?;
            row += 1;
        }
    }
    sheet.set_column_width(0, 20)?;
    sheet.set_column_width(3, 14)?;
    book.save_to_buffer()
}

/// Orders as the list shows them, one row each.
pub fn orders_workbook(orders: &[OrderSummary]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("订单 Orders")?;
    header(
        sheet,
        0,
        &[
            "订单号 Number",
            "配送日 Day",
            "自提点 Point",
            "顾客 Consumer",
            "手机尾号 Phone",
            "实付（分）Paid fen",
            "实付 Paid",
            "已退（分）Refunded fen",
            "已退 Refunded",
            "支付方式 Payment",
            "状态 Status",
            "冲突 Conflicts",
            "订单 ID",
        ],
    )?;
    for (row, o) in (1u32..).zip(orders) {
        sheet.write(row, 0, o.number.as_str())?;
        sheet.write(row, 1, o.day.as_str())?;
        sheet.write(row, 2, o.point_name.as_str())?;
        sheet.write(row, 3, o.consumer_name.as_str())?;
        sheet.write(row, 4, o.phone_tail.as_str())?;
        amount(sheet, row, 5, o.paid)?;
        amount(sheet, row, 7, o.refunded)?;
        sheet.write(row, 9, o.payment.as_str())?;
        sheet.write(row, 10, o.status.as_str())?;
        sheet.write(row, 11, o.conflicts.join(", "))?;
        sheet.write(row, 12, o.id.as_str())?;
    }
    sheet.set_column_width(2, 20)?;
    sheet.set_column_width(12, 38)?;
    book.save_to_buffer()
}
