//! 采购单: what one supplier must deliver to the warehouse for one wave.

use crate::money::Fen;

use super::layout::{sign_lines, Align, Column, Heading, Sheet, Table, SIGN_GAP_MM, SIGN_LINES_MM};
use super::{PrintError, PrintFont};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseOrder {
    /// 采购单号.
    pub number: String,
    pub supplier: String,
    /// The wave (波次) whose demand this order covers.
    pub wave: String,
    /// When the goods are due at the warehouse.
    pub delivery_date: String,
    /// The warehouse that receives them.
    pub deliver_to: String,
    pub lines: Vec<PurchaseOrderLine>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseOrderLine {
    pub sku_name: String,
    /// 规格, e.g. "500g/盒".
    pub spec: String,
    pub qty: u32,
    pub unit_price: Fen,
}

/// The purchase order as PDF: one table of lines with a grand total; long orders
/// continue on further pages under the same heading and column labels.
pub fn purchase_order(font: &PrintFont, order: &PurchaseOrder) -> Result<Vec<u8>, PrintError> {
    let mut sheet = Sheet::a4(
        font,
        Heading {
            title: "采购单",
            title_en: "Purchase order",
            facts: vec![
                ("供应商 Supplier", order.supplier.clone()),
                ("采购单号 No.", order.number.clone()),
                ("波次 Wave", order.wave.clone()),
                ("送货日期 Deliver on", order.delivery_date.clone()),
                ("收货仓 Deliver to", order.deliver_to.clone()),
            ],
        },
    );
    let table = Table::new(
        sheet.left(),
        sheet.right(),
        vec![
            Column::new("序号", "No.", 11.0, Align::Right),
            Column::new("商品", "Item", 0.0, Align::Left),
            Column::new("规格", "Spec", 34.0, Align::Left),
            Column::new("数量", "Qty", 18.0, Align::Right),
            Column::new("单价", "Unit price", 25.0, Align::Right),
            Column::new("金额", "Amount", 30.0, Align::Right),
        ],
    );
    table.header(&mut sheet);
    let mut total = Fen::ZERO;
    let mut units: u64 = 0;
    for (i, line) in order.lines.iter().enumerate() {
        let amount = line
            .unit_price
            .times(line.qty)
            .and_then(|amount| {
                total = total.checked_add(amount)?;
                Some(amount)
            })
            .ok_or_else(|| PrintError::AmountOverflow {
                what: format!("purchase order {} line {}", order.number, line.sku_name),
            })?;
        units += u64::from(line.qty);
        table.row(
            &mut sheet,
            &[
                (i + 1).to_string(),
                line.sku_name.clone(),
                line.spec.clone(),
                line.qty.to_string(),
                line.unit_price.to_string(),
                amount.to_string(),
            ],
        );
    }
    table.total_row(
        &mut sheet,
        &[
            String::new(),
            format!("合计 Total（{} 种 items）", order.lines.len()),
            String::new(),
            units.to_string(),
            String::new(),
            total.to_string(),
        ],
        SIGN_GAP_MM + SIGN_LINES_MM,
    );
    sheet.advance(SIGN_GAP_MM);
    sign_lines(
        &mut sheet,
        &[("供应商", "Supplier", ""), ("仓库收货", "Received by", "")],
    );
    Ok(sheet.finish())
}
