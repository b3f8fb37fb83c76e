//! Printing: PDFs saved under the data folder and sent to the set printer.

use linli_core::app::printing::{self, Printed};
use linli_core::app::AppError;
use linli_core::ids::OrderId;
use linli_core::print::PrintFont;
use linli_core::replica::Replica;
use tauri::State;

use crate::counter::Counter;

#[tauri::command]
pub async fn print_pick_list(
    counter: State<'_, Counter>,
    day: String,
) -> Result<Printed, AppError> {
    print(&counter, &format!("pick-list-{day}"), |r, f, point| {
        printing::pick_list_pdf(r, f, &day, point)
    })
}

#[tauri::command]
pub async fn print_delivery_check(
    counter: State<'_, Counter>,
    day: String,
) -> Result<Printed, AppError> {
    print(&counter, &format!("delivery-check-{day}"), |r, f, point| {
        printing::delivery_check_pdf(r, f, &day, point)
    })
}

/// Bag labels for the day: the orders still to pick up, or only `orders` when given.
#[tauri::command]
pub async fn print_bag_labels(
    counter: State<'_, Counter>,
    day: String,
    orders: Option<Vec<OrderId>>,
) -> Result<Printed, AppError> {
    print(&counter, &format!("bag-labels-{day}"), |r, f, point| {
        printing::bag_labels_pdf(r, f, &day, point, orders.as_deref())
    })
}

#[tauri::command]
pub async fn print_commission_statement(counter: State<'_, Counter>) -> Result<Printed, AppError> {
    let day = linli_core::app::china_day((counter.now)());
    print(
        &counter,
        &format!("commission-statement-{day}"),
        printing::commission_statement_pdf,
    )
}

/// Renders one document with the point's name, saves it under the data folder's
/// `prints/` as `name` and sends it to the set printer.
fn print(
    counter: &Counter,
    name: &str,
    pdf: impl FnOnce(&Replica, &PrintFont, &str) -> Result<Vec<u8>, AppError>,
) -> Result<Printed, AppError> {
    let settings = counter.settings()?.clone();
    let bytes = pdf(&*counter.replica()?, counter.font()?, &settings.point_name)?;
    printing::save_and_send(
        &counter.data_dir.join("prints"),
        name,
        &bytes,
        Some(&settings.printer),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::commands::test_support::counter;

    #[test]
    fn the_pick_list_is_saved_as_a_pdf() {
        let c = counter(5);
        let printed = c.ok("print_pick_list", json!({ "day": "2026-11-22" }));
        let path = printed["path"].as_str().unwrap();
        let pdf = std::fs::read(path).unwrap();
        assert!(pdf.starts_with(b"%PDF"), "{path}");
        assert!(printed["sent"].is_null(), "no printer is set: {printed}");
    }

    #[test]
    fn bag_labels_print_one_per_order_to_pick_up_or_the_chosen_ones() {
        let c = counter(5);
        let text = |printed: &serde_json::Value| {
            let path = printed["path"].as_str().unwrap();
            let out = std::process::Command::new("pdftotext")
                .args(["-layout", path, "-"])
                .output()
                .expect("pdftotext (poppler-utils) is installed by scripts/install-deps.sh");
            String::from_utf8(out.stdout).unwrap()
        };
        let all = text(&c.ok("print_bag_labels", json!({ "day": "2026-11-22" })));
        let live: Vec<_> = c.seeded.orders.iter().filter(|o| !o.cancelled).collect();
        assert_eq!(live.len(), 4, "one sample order of five is cancelled");
        for o in &c.seeded.orders {
            assert_eq!(
                all.contains(&o.number),
                !o.cancelled,
                "{} in {all}",
                o.number
            );
        }
        assert_eq!(
            all.matches('\u{c}').count(),
            live.len(),
            "one page per label"
        );

        let one = &live[1];
        let row = c.ok(
            "list_orders",
            json!({ "tab": "toPickUp", "search": one.number }),
        );
        let chosen = c.ok(
            "print_bag_labels",
            json!({ "day": "2026-11-22", "orders": [row[0]["id"]] }),
        );
        let chosen = text(&chosen);
        assert!(
            chosen.contains(&one.number) && chosen.contains("尾号"),
            "{chosen}"
        );
        assert!(!chosen.contains(&live[0].number));

        let unknown = c
            .call(
                "print_bag_labels",
                json!({ "day": "2026-11-22", "orders": ["0190a0a0-0000-7000-8000-000000000000"] }),
            )
            .unwrap_err();
        assert_eq!(unknown["reason"], "no_such_order", "{unknown}");
    }

    #[test]
    fn a_printer_that_refuses_keeps_the_file_and_says_so() {
        let c = counter(2);
        let mut s = c.ok("get_settings", json!({}));
        s["printer"] = json!("no-such-printer");
        c.ok("save_settings", json!({ "settings": s }));
        c.ok("accept_delivery", json!({ "day": "2026-11-22" }));
        c.ok(
            "hand_over",
            json!({ "input": c.code(0), "lines": null, "method": "Typed" }),
        );
        let printed = c.ok("print_commission_statement", json!({}));
        let pdf = std::fs::read(printed["path"].as_str().unwrap()).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        // No CUPS here (or no such queue): the job fails with a plain reason.
        let err = &printed["sent"]["Err"];
        assert_eq!(err["reason"], "printer", "{printed}");
        assert!(err["zh"].as_str().unwrap().contains("文件已保存"));
    }
}
