//! Printing: PDFs saved under the data folder and sent to the set printer.

use linli_core::app::printing::{self, Printed};
use linli_core::app::AppError;
use tauri::State;

use crate::counter::Counter;

#[tauri::command]
pub async fn print_pick_list(
    counter: State<'_, Counter>,
    day: String,
) -> Result<Printed, AppError> {
    let settings = counter.settings()?.clone();
    let pdf = printing::pick_list_pdf(
        &*counter.replica()?,
        counter.font()?,
        &day,
        &settings.point_name,
    )?;
    let dir = counter.data_dir.join("prints");
    printing::save_and_send(
        &dir,
        &format!("pick-list-{day}"),
        &pdf,
        Some(&settings.printer),
    )
}

#[tauri::command]
pub async fn print_delivery_check(
    counter: State<'_, Counter>,
    day: String,
) -> Result<Printed, AppError> {
    let settings = counter.settings()?.clone();
    let pdf = printing::delivery_check_pdf(
        &*counter.replica()?,
        counter.font()?,
        &day,
        &settings.point_name,
    )?;
    let dir = counter.data_dir.join("prints");
    printing::save_and_send(
        &dir,
        &format!("delivery-check-{day}"),
        &pdf,
        Some(&settings.printer),
    )
}

#[tauri::command]
pub async fn print_commission_statement(counter: State<'_, Counter>) -> Result<Printed, AppError> {
    let settings = counter.settings()?.clone();
    let pdf = printing::commission_statement_pdf(
        &*counter.replica()?,
        counter.font()?,
        &settings.point_name,
    )?;
    let day = linli_core::app::china_day((counter.now)());
    let dir = counter.data_dir.join("prints");
    printing::save_and_send(
        &dir,
        &format!("commission-statement-{day}"),
        &pdf,
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
