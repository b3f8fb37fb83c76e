//! Conflicts with what to do about each, and "mark handled" (a counter fact).

use linli_core::app::conflicts::{self, ConflictsView, Resolve};
use linli_core::app::AppError;
use linli_core::ids::EventId;
use tauri::State;

use crate::counter::Counter;

#[tauri::command]
pub async fn conflicts(counter: State<'_, Counter>) -> Result<ConflictsView, AppError> {
    conflicts::view(&*counter.replica()?)
}

#[tauri::command]
pub async fn resolve_conflict(
    counter: State<'_, Counter>,
    request: Resolve,
) -> Result<EventId, AppError> {
    counter.write(|r| conflicts::resolve(r, &request))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::commands::test_support::counter;

    #[test]
    fn a_short_delivery_conflict_is_advised_marked_handled_and_kept_in_history() {
        let c = counter(6);
        let check = c.ok("delivery_check", json!({}));
        let line = &check["lines"][0];
        let short = json!([{ "sku": line["sku"], "received": line["expected"].as_u64().unwrap() - 1, "note": "少一件" }]);
        c.ok(
            "count_and_accept",
            json!({ "day": "2026-11-22", "counts": short }),
        );

        let view = c.ok("conflicts", json!({}));
        let open = view["open"].as_array().unwrap();
        assert_eq!(open.len(), 1, "{view}");
        let one = &open[0];
        assert_eq!(one["conflict"], "short_delivery");
        let tail = one["phoneTail"].as_str().unwrap();
        assert!(one["whatToDo"]["zh"].as_str().unwrap().contains(tail));
        assert!(one["whatToDo"]["en"].as_str().unwrap().contains(tail));
        assert_eq!(c.ok("today", json!({}))["counts"]["conflicts"], 1);

        let request = json!({ "day": one["day"], "order": one["order"], "conflict": "short_delivery", "note": "已告知顾客" });
        c.ok("resolve_conflict", json!({ "request": request }));
        let again = c
            .call("resolve_conflict", json!({ "request": request }))
            .unwrap_err();
        assert_eq!(again["reason"], "conflict_not_open");

        let view = c.ok("conflicts", json!({}));
        assert!(view["open"].as_array().unwrap().is_empty(), "{view}");
        let handled = &view["handled"][0];
        assert_eq!(handled["number"], one["number"]);
        assert_eq!(handled["note"], "已告知顾客");
        assert_eq!(c.ok("today", json!({}))["counts"]["conflicts"], 0);
        let listed = c.ok("list_orders", json!({ "tab": "conflicts", "search": "" }));
        assert!(listed.as_array().unwrap().is_empty());
    }
}
