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
}
