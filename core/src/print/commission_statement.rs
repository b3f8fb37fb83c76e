//! 佣金对账单: a leader's commission entries over a period, with what was earned,
//! reversed, settled and is still owed. The totals are summed from the rows
//! (a period's statement on the server) or given by the caller (the counter's,
//! from the pulled ledger's own totals); notes print above the entries.

use crate::money::Fen;

use super::layout::{Align, Column, Heading, Sheet, Table};
use super::{PrintError, PrintFont};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommissionStatement {
    pub leader: String,
    pub point_name: String,
    /// e.g. "2025-06-01 至 2025-06-30".
    pub period: String,
    /// Sentences above the entries (e.g. the ledger never came from the server).
    pub notes: Vec<String>,
    pub rows: Vec<CommissionRow>,
    /// The totals block as given; `None` sums the rows into accrued, reversed,
    /// net, settled and unsettled.
    pub totals: Option<Vec<(&'static str, Fen)>>,
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
    /// 已提现: settled commission the leader withdrew.
    Withdrawn,
}

impl CommissionKind {
    fn label(self) -> &'static str {
        match self {
            CommissionKind::Accrued => "已计提 Accrued",
            CommissionKind::Reversed => "已冲回 Reversed",
            CommissionKind::Settled => "已结算 Settled",
            CommissionKind::Withdrawn => "已提现 Withdrawn",
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
            Column::new("日期", "Date", 34.0, Align::Left),
            Column::new("订单号", "Order", 0.0, Align::Left),
            Column::new("类型", "Type", 34.0, Align::Left),
            Column::new("金额", "Amount", 30.0, Align::Right),
        ],
    );
    if !statement.notes.is_empty() {
        let notes = Table::new(
            sheet.left(),
            sheet.right(),
            vec![Column::new("", "", 0.0, Align::Left)],
        );
        for note in &statement.notes {
            notes.plain_row(&mut sheet, std::slice::from_ref(note));
        }
        sheet.advance(3.0);
    }
    table.header(&mut sheet);
    let (mut accrued, mut reversed, mut settled, mut withdrawn) =
        (Fen::ZERO, Fen::ZERO, Fen::ZERO, Fen::ZERO);
    for (i, row) in statement.rows.iter().enumerate() {
        let sum = match row.kind {
            CommissionKind::Accrued => &mut accrued,
            CommissionKind::Reversed => &mut reversed,
            CommissionKind::Settled => &mut settled,
            CommissionKind::Withdrawn => &mut withdrawn,
        };
        *sum = sum.checked_add(row.amount).ok_or_else(overflow)?;
        let shown = match row.kind {
            CommissionKind::Reversed | CommissionKind::Withdrawn => {
                negated(row.amount).ok_or_else(overflow)?
            }
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
    let totals = match &statement.totals {
        Some(given) => given.clone(),
        None => {
            let reversed = negated(reversed).ok_or_else(overflow)?;
            let net = accrued.checked_add(reversed).ok_or_else(overflow)?;
            let unsettled = negated(settled)
                .and_then(|s| net.checked_add(s))
                .ok_or_else(overflow)?;
            let mut totals = vec![
                ("计提合计 Accrued", accrued),
                ("冲回合计 Reversed", reversed),
                ("净佣金 Net", net),
                ("已结算 Settled", settled),
                ("未结算 Unsettled", unsettled),
            ];
            if withdrawn != Fen::ZERO {
                totals.push(("已提现 Withdrawn", withdrawn));
            }
            totals
        }
    };
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
