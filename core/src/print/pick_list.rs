//! 当日提货清单: a pickup point's orders for one day, to tick off at the counter or
//! to find bags on the shelf when the app is not at hand.

use super::layout::{Align, Column, Heading, Sheet, Table};
use super::{PrintError, PrintFont};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickList {
    pub point_name: String,
    pub date: String,
    /// In the order they should be printed (the caller sorts, e.g. by phone tail).
    pub orders: Vec<PickListOrder>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickListOrder {
    pub number: String,
    pub consumer_name: String,
    /// The last four digits of the consumer's phone: how the shelf is searched.
    pub phone_tail: String,
    pub lines: Vec<PickListLine>,
    pub status: PickStatus,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickListLine {
    pub name: String,
    pub qty: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickStatus {
    /// 待提货: the goods wait on the shelf.
    ToPick,
    /// 已提货: handed over.
    PickedUp,
}

impl PickStatus {
    fn label(self) -> &'static str {
        match self {
            PickStatus::ToPick => "待提货",
            PickStatus::PickedUp => "已提货",
        }
    }
}

/// The day's pick list as PDF, one row per order with all its lines, and an empty
/// column to tick by hand.
pub fn pick_list(font: &PrintFont, list: &PickList) -> Result<Vec<u8>, PrintError> {
    let picked = list
        .orders
        .iter()
        .filter(|o| o.status == PickStatus::PickedUp)
        .count();
    let mut sheet = Sheet::a4(
        font,
        Heading {
            title: "当日提货清单",
            title_en: "Pick list",
            facts: vec![
                ("自提点 Point", list.point_name.clone()),
                ("日期 Date", list.date.clone()),
                (
                    "订单 Orders",
                    format!(
                        "共 {} 单，待提货 {}，已提货 {}",
                        list.orders.len(),
                        list.orders.len() - picked,
                        picked
                    ),
                ),
            ],
        },
    );
    let table = Table::new(
        sheet.left(),
        sheet.right(),
        vec![
            Column::new("序号", "No.", 10.0, Align::Right),
            Column::new("订单号", "Order", 32.0, Align::Left),
            Column::new("顾客", "Consumer", 24.0, Align::Left),
            Column::new("手机尾号", "Phone", 17.0, Align::Left),
            Column::new("商品", "Items", 0.0, Align::Left),
            Column::new("状态", "Status", 16.0, Align::Left),
            Column::new("核对", "Check", 12.0, Align::Center),
        ],
    );
    table.header(&mut sheet);
    for (i, order) in list.orders.iter().enumerate() {
        let items = order
            .lines
            .iter()
            .map(|l| format!("{} ×{}", l.name, l.qty))
            .collect::<Vec<_>>()
            .join("\n");
        table.row(
            &mut sheet,
            &[
                (i + 1).to_string(),
                order.number.clone(),
                order.consumer_name.clone(),
                order.phone_tail.clone(),
                items,
                order.status.label().to_owned(),
                String::new(),
            ],
        );
    }
    Ok(sheet.finish())
}
