//! The Commission screen's pulled ledger and withdrawal request, and the Team
//! screen (decision 0010). Each wraps one `linli_core::app` function.

use linli_core::app::team::{self, TeamView};
use linli_core::app::withdrawal::{self, CommissionLedger, SCREEN_ENTRIES};
use linli_core::app::AppError;
use linli_core::replica::WithdrawalRow;
use tauri::State;

use crate::counter::Counter;

/// Totals, settled and unsettled, entries and withdrawals, from the pulled ledger.
#[tauri::command]
pub async fn commission_ledger(counter: State<'_, Counter>) -> Result<CommissionLedger, AppError> {
    let replica = counter.replica()?;
    withdrawal::commission_ledger(&replica, SCREEN_ENTRIES)
}

/// Queues a withdrawal of `amount` (yuan, as typed) and tells the sync loop,
/// which sends it at once when online.
#[tauri::command]
pub async fn request_withdrawal(
    counter: State<'_, Counter>,
    amount: String,
) -> Result<WithdrawalRow, AppError> {
    let row = {
        let mut replica = counter.replica()?;
        withdrawal::request_withdrawal(&mut replica, &amount)?
    };
    if let Some(sync) = counter.sync()?.as_ref() {
        sync.withdrawal_queued();
    }
    Ok(row)
}

/// The point's promoters by referral, with the consumers each brought.
#[tauri::command]
pub async fn team(counter: State<'_, Counter>) -> Result<TeamView, AppError> {
    let replica = counter.replica()?;
    team::team(&replica)
}

#[cfg(test)]
mod tests {
    use linli_core::replica::Replica;
    use linli_core::sync::PullKind;
    use serde_json::json;

    use crate::commands::test_support::counter;

    /// What the sync loop would store from the server, written to the app's file.
    fn pulled(dir: &std::path::Path, what: PullKind, version: u64, body: &str) {
        let mut r = Replica::open(&dir.join("replica.sqlite3")).unwrap();
        r.store_pull(what, version, body.as_bytes()).unwrap();
    }

    #[test]
    fn a_withdrawal_is_checked_against_the_settled_balance_then_queued() {
        let c = counter(2);
        let refused = c
            .call("request_withdrawal", json!({ "amount": "5" }))
            .unwrap_err();
        assert_eq!(refused["reason"], "over_available");
        assert!(refused["zh"].as_str().unwrap().contains("最多可提现 ¥0.00"));
        let bad = c
            .call("request_withdrawal", json!({ "amount": "5.001" }))
            .unwrap_err();
        assert_eq!(bad["reason"], "amount_invalid");

        let entry = |v: u32, kind: &str, amount: u32| {
            format!(
                r#"{{"version":{v},"kind":"{kind}","order":null,"order_number":null,"sku":null,"qty":null,"base":0,"rate":null,"amount":{amount},"at":1,"period":null,"withdrawal":null}}"#
            )
        };
        let page = format!(
            r#"{{"entries":[{},{}],"more":false}}"#,
            entry(1, "accrual", 1200),
            entry(2, "settlement", 1200)
        );
        pulled(c.dir.path(), PullKind::Ledger, 2, &page);
        let row = c.ok("request_withdrawal", json!({ "amount": "¥10.5" }));
        assert_eq!(
            (row["amount"].as_i64(), row["status"].as_str()),
            (Some(1050), Some("queued"))
        );
        let view = c.ok("commission_ledger", json!({}));
        assert_eq!(view["totals"]["settled"], 1200);
        assert_eq!(view["totals"]["pending_withdrawal"], 1050);
        assert_eq!(view["totals"]["available"], 150);
        assert_eq!(view["entries"].as_array().unwrap().len(), 2);
        assert_eq!(view["withdrawals"][0]["status"], "queued");
        // The queued request counts against what is left.
        let over = c
            .call("request_withdrawal", json!({ "amount": "2" }))
            .unwrap_err();
        assert_eq!(over["reason"], "over_available");
    }

    #[test]
    fn the_team_comes_in_referral_order_with_its_sales() {
        let c = counter(1);
        let before = c.ok("team", json!({}));
        assert_eq!(before["pulled"], false);
        pulled(
            c.dir.path(),
            PullKind::Team,
            9,
            r#"{"promoters":[
              {"id":"b","name":"刘洋","phone":"17700000002","referral_code":"BBBBBB","recruited_by":"a","joined_at":2,
               "consumers":[{"name":"陈","phone_tail":"1234","orders":2,"amount":3000}]},
              {"id":"a","name":"王芳","phone":"17700000001","referral_code":"AAAAAA","recruited_by":null,"joined_at":1,"consumers":[]}]}"#,
        );
        let t = c.ok("team", json!({}));
        assert_eq!(t["pulled"], true);
        assert_eq!(t["rows"][0]["name"], "王芳");
        assert_eq!(
            (
                t["rows"][1]["depth"].as_u64(),
                t["rows"][1]["amount"].as_i64()
            ),
            (Some(1), Some(3000))
        );
        assert_eq!(
            (t["orders"].as_u64(), t["amount"].as_i64()),
            (Some(2), Some(3000))
        );
    }
}
