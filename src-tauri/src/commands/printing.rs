//! Printing: PDFs saved under the data folder and sent to the set printer.

use linli_core::app::printing::{self, Printed};
use linli_core::app::AppError;
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
