//! The pulled commission ledger as the Excel export and the printed statement
//! give it: the Commission screen's totals (`Replica::ledger_totals`, the one rule
//! for booked money) and every pulled entry, oldest first, with its signed amount.
//! A ledger that never came from the server is said so in words, never shown as
//! zeros; local commission not booked yet is a note beside the totals, never in them.

use super::conflicts::Words;
use super::withdrawal::{commission_ledger, CommissionLedger};
use super::AppError;
use crate::money::Fen;
use crate::replica::{LedgerTotals, Replica};
use crate::sync::pull::{LedgerEntry, LedgerEntryKind};
use crate::time::Millis;

/// What the export and the statement show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommissionReport {
    pub ledger: CommissionLedger,
    /// Every pulled entry, oldest first.
    pub rows: Vec<ReportRow>,
    /// Sentences to print above the totals (never pulled; awaiting sync).
    pub notes: Vec<Words>,
}

/// One ledger entry as a line of the export and the statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRow {
    /// `YYYY-MM-DD HH:MM`, Beijing time.
    pub at: String,
    pub kind: LedgerEntryKind,
    /// The order number, the settlement period or the withdrawal.
    pub reference: String,
    /// Negative for a reversal or a withdrawal (money going away), as on screen.
    pub amount: Fen,
}

/// The report over the whole pulled ledger.
pub fn commission_report(replica: &Replica) -> Result<CommissionReport, AppError> {
    let mut ledger = commission_ledger(replica, u32::MAX)?;
    ledger.entries.reverse();
    let rows = ledger.entries.iter().map(row).collect();
    let notes = notes(&ledger.totals);
    Ok(CommissionReport {
        ledger,
        rows,
        notes,
    })
}

/// The totals block, in this order, with bilingual labels: the same figures as the
/// Commission screen's tiles, plus the parts of the net.
pub fn total_lines(t: &LedgerTotals) -> [(&'static str, Fen); 8] {
    [
        ("计提合计 Accrued", t.accrued),
        ("冲回合计 Reversed", Fen(-t.reversed.0)),
        ("净佣金 Net accrued", t.net_accrued),
        ("已结算 Settled", t.settled),
        ("未结算 Unsettled", t.unsettled),
        ("已提现 Withdrawn", t.withdrawn),
        ("提现处理中 Withdrawal pending", t.pending_withdrawal),
        ("可提现 Available", t.available),
    ]
}

pub fn kind_label(kind: LedgerEntryKind) -> &'static str {
    match kind {
        LedgerEntryKind::Accrual => "计提 Accrual",
        LedgerEntryKind::Reversal => "冲回 Reversal",
        LedgerEntryKind::Settlement => "结算 Settlement",
        LedgerEntryKind::Withdrawal => "提现 Withdrawal",
    }
}

/// `YYYY-MM-DD HH:MM` in Beijing time.
pub fn china_date_time(at: Millis) -> String {
    format!("{} {}", super::china_day(at), at.china_clock())
}

fn row(e: &LedgerEntry) -> ReportRow {
    let reference = match e.kind {
        LedgerEntryKind::Accrual | LedgerEntryKind::Reversal => e.order_number.clone(),
        LedgerEntryKind::Settlement => e.period.as_ref().map(|p| format!("账期 Period {p}")),
        LedgerEntryKind::Withdrawal => e.withdrawal.as_ref().map(|w| format!("提现 {w}")),
    };
    let amount = match e.kind {
        LedgerEntryKind::Reversal | LedgerEntryKind::Withdrawal => Fen(-e.amount.0),
        LedgerEntryKind::Accrual | LedgerEntryKind::Settlement => e.amount,
    };
    ReportRow {
        at: china_date_time(e.at),
        kind: e.kind,
        reference: reference.unwrap_or_default(),
        amount,
    }
}

fn notes(t: &LedgerTotals) -> Vec<Words> {
    let mut notes = Vec::new();
    match t.pulled_at {
        None => notes.push(Words {
            zh: "佣金账本尚未从服务器取得（绑定以来未曾同步），以下合计不是实际佣金".into(),
            en: "The commission ledger has never come from the server (not synced since enrollment); the totals below are not the real commission".into(),
        }),
        Some(at) => notes.push(Words {
            zh: format!("佣金账本取自服务器：{}", china_date_time(at)),
            en: format!("Commission ledger from the server as of {}", china_date_time(at)),
        }),
    }
    if t.orders_awaiting_sync > 0 {
        notes.push(Words {
            zh: format!(
                "另有 {} 单佣金 {} 待同步后入账，未计入以下合计",
                t.orders_awaiting_sync, t.awaiting_sync
            ),
            en: format!(
                "{} more order(s), {} of commission, will be booked once synced; not in the totals below",
                t.orders_awaiting_sync, t.awaiting_sync
            ),
        });
    }
    notes
}
