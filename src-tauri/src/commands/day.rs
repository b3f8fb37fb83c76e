//! Today, orders, delivery check and commission.

use linli_core::app::delivery_check::{self, DeliveryCheckView, LineCount};
use linli_core::app::orders::{self, OrderListRow, OrdersTab};
use linli_core::app::today::{self, TodayView};
use linli_core::app::AppError;
use linli_core::app::{commission_export, commission_report};
use linli_core::ids::EventId;
use tauri::State;

use crate::counter::Counter;

#[tauri::command]
pub async fn today(counter: State<'_, Counter>) -> Result<TodayView, AppError> {
    today::today(&mut *counter.replica()?, (counter.now)())
}

#[tauri::command]
pub async fn list_orders(
    counter: State<'_, Counter>,
    tab: OrdersTab,
    search: String,
) -> Result<Vec<OrderListRow>, AppError> {
    let overdue = counter.settings()?.overdue_days;
    orders::list(&*counter.replica()?, tab, &search, overdue, (counter.now)())
}

#[tauri::command]
pub async fn delivery_check(counter: State<'_, Counter>) -> Result<DeliveryCheckView, AppError> {
    let replica = counter.replica()?;
    let (day, _) = today::working_day(&replica, (counter.now)())?;
    delivery_check::view(&replica, &day)
}

#[tauri::command]
pub async fn count_line(
    counter: State<'_, Counter>,
    day: String,
    count: LineCount,
) -> Result<EventId, AppError> {
    counter.write(|r| delivery_check::count_line(r, &day, &count))
}

/// Every line's count, then the acceptance (the delivery check's one button).
#[tauri::command]
pub async fn count_and_accept(
    counter: State<'_, Counter>,
    day: String,
    counts: Vec<LineCount>,
) -> Result<EventId, AppError> {
    counter.write(|r| delivery_check::count_and_accept(r, &day, &counts))
}

#[tauri::command]
pub async fn accept_delivery(
    counter: State<'_, Counter>,
    day: String,
) -> Result<EventId, AppError> {
    counter.write(|r| delivery_check::accept(r, &day))
}

/// Stores a damage photo; returns the hash to put in the line's count.
#[tauri::command]
pub async fn save_photo(counter: State<'_, Counter>, bytes: Vec<u8>) -> Result<String, AppError> {
    delivery_check::store_photo(&counter.data_dir.join("photos"), &bytes)
}

/// Writes the pulled ledger's workbook under `exports/`; returns where.
#[tauri::command]
pub async fn export_commission(counter: State<'_, Counter>) -> Result<String, AppError> {
    let report = commission_report::commission_report(&*counter.replica()?)?;
    let bytes = commission_export::commission_xlsx(&report)?;
    let day = linli_core::app::china_day((counter.now)());
    let path = counter
        .data_dir
        .join("exports")
        .join(format!("commission-{day}.xlsx"));
    let saved = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&path, bytes));
    saved.map_err(|e| {
        AppError::new(
            "export",
            format!("Excel 文件无法保存：{e}"),
            format!("The Excel file could not be saved: {e}"),
        )
    })?;
    Ok(path.display().to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::commands::test_support::counter;

    #[test]
    fn today_counts_the_day_and_follows_the_delivery_check() {
        let c = counter(8);
        let today = c.ok("today", json!({}));
        assert_eq!(today["day"], "2026-11-22");
        assert_eq!(today["counts"]["orders"], 8);
        assert_eq!(
            today["counts"]["to_pick_up"], 7,
            "one sample order is cancelled"
        );
        assert_eq!(today["delivery"]["state"], "checking");

        let check = c.ok("delivery_check", json!({}));
        let line = &check["lines"][0];
        let expected = line["expected"].as_u64().unwrap();
        let short = json!({ "sku": line["sku"], "received": expected - 1 });
        let refused = c
            .call("count_line", json!({ "day": "2026-11-22", "count": short }))
            .unwrap_err();
        assert_eq!(refused["reason"], "note_needed");
        let short = json!({ "sku": line["sku"], "received": expected - 1, "note": "少一件" });
        c.ok("count_line", json!({ "day": "2026-11-22", "count": short }));
        // The screen's button sends every line at once; a short line without a
        // note stops all of them, and nothing is accepted.
        let second = &check["lines"][1];
        let unnoted = json!([{ "sku": second["sku"], "received": 0 }]);
        let refused = c
            .call(
                "count_and_accept",
                json!({ "day": "2026-11-22", "counts": unnoted }),
            )
            .unwrap_err();
        assert_eq!(refused["reason"], "note_needed");
        assert!(refused["zh"]
            .as_str()
            .unwrap()
            .starts_with(second["name"].as_str().unwrap()));
        assert_eq!(c.ok("today", json!({}))["delivery"]["state"], "checking");
        let counts = json!([{ "sku": line["sku"], "received": expected - 1, "note": "少一件" }]);
        c.ok(
            "count_and_accept",
            json!({ "day": "2026-11-22", "counts": counts }),
        );

        let check = c.ok("delivery_check", json!({}));
        assert_eq!(check["lines"][0]["shortfall"], 1);
        let today = c.ok("today", json!({}));
        assert_eq!(today["delivery"]["state"], "accepted");
        assert_eq!(today["delivery"]["shortLines"], 1);
        let again = c
            .call("accept_delivery", json!({ "day": "2026-11-22" }))
            .unwrap_err();
        assert_eq!(again["reason"], "already_accepted");
    }

    #[test]
    fn orders_are_listed_searched_and_moved_when_picked_up() {
        let c = counter(8);
        c.ok("accept_delivery", json!({ "day": "2026-11-22" }));
        let list = |tab: &str, search: &str| {
            c.ok("list_orders", json!({ "tab": tab, "search": search }))
                .as_array()
                .unwrap()
                .clone()
        };
        assert_eq!(list("toPickUp", "").len(), 7);
        let number = &c.seeded.orders[0].number;
        let found = list("toPickUp", number);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["overdue"], false);
        assert_eq!(found[0]["waitingDays"], 0);

        c.ok(
            "hand_over",
            json!({ "input": c.code(0), "lines": null, "method": "Typed" }),
        );
        assert_eq!(list("toPickUp", "").len(), 6);
        assert_eq!(list("pickedUp", number).len(), 1);
        assert!(list("conflicts", "").is_empty());
        let xlsx = c.ok("export_commission", json!({}));
        let bytes = std::fs::read(xlsx.as_str().unwrap()).unwrap();
        assert!(bytes.starts_with(b"PK"), "an xlsx is a zip file");
    }
}
