//! 佣金对账单: a leader's commission entries over a period, with what was earned,
//! reversed, settled and is still owed.

use crate::money::Fen;

use super::layout::{Align, Column, Heading, Sheet, Table};
use super::{PrintError, PrintFont};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommissionStatement {
    pub leader: String,
    pub point_name: String,
    /// e.g. "2025-06-01 至 2025-06-30".
    pub period: String,
    pub rows: Vec<CommissionRow>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommissionRow {
    pub date: String,
    pub order_number: String,
    /// The size of the entry, positive; `kind` says which way it counts.
    pub amount: Fen,
    pub kind: CommissionKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommissionKind {
    /// 已计提: earned on a completed order.
    Accrued,
    /// 已冲回: taken back (the order was refunded after handover).
    Reversed,
    /// 已结算: paid out to the leader.
    Settled,
}

impl CommissionKind {
    fn label(self) -> &'static str {
        match self {
            CommissionKind::Accrued => "已计提 Accrued",
            CommissionKind::Reversed => "已冲回 Reversed",
            CommissionKind::Settled => "已结算 Settled",
        }
    }
}

pub fn commission_statement(
    font: &PrintFont,
    statement: &CommissionStatement,
) -> Result<Vec<u8>, PrintError> {
    let overflow = || PrintError::AmountOverflow {
        what: format!("the commission statement of {}", statement.leader),
    };
    let mut sheet = Sheet::a4(
        font,
        Heading {
            title: "佣金对账单",
            title_en: "Commission statement",
            facts: vec![
                ("团长 Leader", statement.leader.clone()),
                ("自提点 Point", statement.point_name.clone()),
                ("账期 Period", statement.period.clone()),
            ],
        },
    );
    let table = Table::new(
        sheet.left(),
        sheet.right(),
        vec![
            Column::new("序号", "No.", 10.0, Align::Right),
            Column::new("日期", "Date", 28.0, Align::Left),
            Column::new("订单号", "Order", 0.0, Align::Left),
            Column::new("类型", "Type", 34.0, Align::Left),
            Column::new("金额", "Amount", 30.0, Align::Right),
        ],
    );
    table.header(&mut sheet);
    let (mut accrued, mut reversed, mut settled) = (Fen::ZERO, Fen::ZERO, Fen::ZERO);
    for (i, row) in statement.rows.iter().enumerate() {
        let sum = match row.kind {
            CommissionKind::Accrued => &mut accrued,
            CommissionKind::Reversed => &mut reversed,
            CommissionKind::Settled => &mut settled,
        };
        *sum = sum.checked_add(row.amount).ok_or_else(overflow)?;
        let shown = match row.kind {
            CommissionKind::Reversed => negated(row.amount).ok_or_else(overflow)?,
            CommissionKind::Accrued | CommissionKind::Settled => row.amount,
        };
        table.row(
            &mut sheet,
            &[
                (i + 1).to_string(),
                row.date.clone(),
                row.order_number.clone(),
                row.kind.label().to_owned(),
                shown.to_string(),
            ],
        );
    }
    let reversed = negated(reversed).ok_or_else(overflow)?;
    let net = accrued.checked_add(reversed).ok_or_else(overflow)?;
    let unsettled = negated(settled)
        .and_then(|s| net.checked_add(s))
        .ok_or_else(overflow)?;
    let totals = [
        ("计提合计 Accrued", accrued),
        ("冲回合计 Reversed", reversed),
        ("净佣金 Net", net),
        ("已结算 Settled", settled),
        ("未结算 Unsettled", unsettled),
    ];
    for (i, (label, amount)) in totals.iter().enumerate() {
        let cells = [
            String::new(),
            String::new(),
            String::new(),
            (*label).to_owned(),
            amount.to_string(),
        ];
        // One rule above the block of totals, not between them.
        if i == 0 {
            let rest = (totals.len() - 1) as f32 * table.row_height(font, &cells);
            table.total_row(&mut sheet, &cells, rest);
        } else {
            table.plain_row(&mut sheet, &cells);
        }
    }
    Ok(sheet.finish())
}

/// `-amount`, or `None` for the one i64 that has no negative.
fn negated(amount: Fen) -> Option<Fen> {
    amount.0.checked_neg().map(Fen)
}
