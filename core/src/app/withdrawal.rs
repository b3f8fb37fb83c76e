//! The Commission screen's data and the withdrawal request (提现申请). Booked money
//! has one source: the ledger pulled from the server (accrued, reversed, settled,
//! withdrawn) with the withdrawal requests; the only local figure beside it is the
//! commission of handovers this device made that no pulled accrual covers yet
//! ("awaiting sync"), never added into the booked totals.

use serde::Serialize;

use super::AppError;
use crate::money::Fen;
use crate::replica::{LedgerTotals, Replica, WithdrawalRow};
use crate::sync::pull::LedgerEntry;

/// Entries the screen lists (newest first); the export takes them all.
pub const SCREEN_ENTRIES: u32 = 500;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommissionLedger {
    pub totals: LedgerTotals,
    pub entries: Vec<LedgerEntry>,
    pub withdrawals: Vec<WithdrawalRow>,
}

pub fn commission_ledger(replica: &Replica, limit: u32) -> Result<CommissionLedger, AppError> {
    Ok(CommissionLedger {
        totals: replica.ledger_totals()?,
        entries: replica.ledger_entries(limit)?,
        withdrawals: replica.withdrawal_requests()?,
    })
}

/// An amount as a leader types it: yuan with at most two decimals ("12", "12.5",
/// "12.50", "¥12.50").
pub fn parse_yuan(text: &str) -> Result<Fen, AppError> {
    let bad = || {
        AppError::new(
            "amount_invalid",
            format!("“{}”不是金额，请输入例如 12.50", text.trim()),
            format!(
                "“{}” is not an amount; enter one such as 12.50",
                text.trim()
            ),
        )
    };
    let t = text.trim().trim_start_matches(['¥', '￥']).trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || frac.len() > 2 || !(frac.is_empty() || digits(frac)) {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    Ok(Fen(whole * 100 + frac))
}

/// Checks the amount against what may be withdrawn and queues the request; the sync
/// loop sends it, and the server checks the balance again.
pub fn request_withdrawal(replica: &mut Replica, amount: &str) -> Result<WithdrawalRow, AppError> {
    let amount = parse_yuan(amount)?;
    if amount <= Fen::ZERO {
        return Err(AppError::new(
            "amount_not_positive",
            "提现金额必须大于 0",
            "The amount must be more than 0",
        ));
    }
    let available = replica.ledger_totals()?.available.max(Fen::ZERO);
    if amount > available {
        return Err(AppError::new(
            "over_available",
            format!("最多可提现 {available}（已结算、未提现且未申请的佣金）"),
            format!(
                "At most {available} can be withdrawn (settled commission not yet withdrawn or requested)"
            ),
        ));
    }
    Ok(replica.queue_withdrawal(amount)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_yuan_to_the_fen() {
        assert_eq!(parse_yuan("12").unwrap(), Fen(1200));
        assert_eq!(parse_yuan(" ¥12.5 ").unwrap(), Fen(1250));
        assert_eq!(parse_yuan("0.07").unwrap(), Fen(7));
        for bad in [
            "",
            "12.345",
            "-1",
            "1e3",
            "12,50",
            ".5",
            "abc",
            "1234567890",
        ] {
            let e = parse_yuan(bad).unwrap_err();
            assert_eq!(e.reason, "amount_invalid", "{bad}");
        }
    }
}
