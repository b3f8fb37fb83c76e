//! Linli's counter app: a window over the web UI in ui/, with commands that
//! parse input, call one linli-core function and map the result.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod counter;
mod ready;
mod seed;
mod settings;
mod sync;
mod sync_status;

use std::sync::OnceLock;

use linli_core::time::Millis;
use tauri::Manager;

/// The counter's clock when `LINLI_TODAY=YYYY-MM-DD` is set: noon of that day in
/// Beijing. The end-to-end test runs the day its orders are for (the next
/// delivery day, after a demo city's own "today").
static TODAY: OnceLock<Millis> = OnceLock::new();

fn fixed_today() -> Millis {
    TODAY.get().copied().unwrap_or_else(Millis::now)
}

fn clock_from_env(counter: &mut counter::Counter) {
    let Ok(day) = std::env::var("LINLI_TODAY") else {
        return;
    };
    match linli_core::app::days_between("1970-01-01", &day) {
        // 04:00 UTC is noon in Beijing.
        Some(days) => {
            let _ = TODAY.set(Millis(days * 86_400_000 + 4 * 3_600_000));
            counter.now = fixed_today;
        }
        None => {
            eprintln!("linli: LINLI_TODAY={day} is not a YYYY-MM-DD date; using the real clock")
        }
    }
}

fn main() {
    builder(tauri::Builder::default())
        .setup(|app| {
            let dir = app.path().app_data_dir()?;
            let mut counter = counter::Counter::open(&dir)?;
            clock_from_env(&mut counter);
            if let Some(dir) = std::env::var_os("LINLI_CAMERA_REPLAY") {
                counter.set_camera_replay(dir.into());
            }
            seed::from_env(&counter)?;
            counter.status_events.emit_to(app.handle().clone());
            // The sync loop runs on Tauri's tokio runtime.
            tauri::async_runtime::block_on(async { sync::start_saved(&counter) })?;
            app.manage(counter);
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("Linli failed to start");
}

/// Everything the app registers; generic over the runtime so tests drive it
/// with Tauri's mock runtime instead of a real window.
fn builder<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .invoke_handler(tauri::generate_handler![
            commands::status::status,
            commands::day::today,
            commands::day::list_orders,
            commands::day::delivery_check,
            commands::day::count_line,
            commands::day::accept_delivery,
            commands::day::count_and_accept,
            commands::day::save_photo,
            commands::day::export_commission,
            commands::pickup::verify_code,
            commands::pickup::hand_over,
            commands::camera::camera_open,
            commands::camera::camera_close,
            commands::printing::print_pick_list,
            commands::printing::print_delivery_check,
            commands::printing::print_bag_labels,
            commands::printing::print_commission_statement,
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::sync::enroll,
            commands::sync::sync_state,
            commands::sync::sync_now,
            commands::conflicts::conflicts,
            commands::conflicts::resolve_conflict,
            commands::team::commission_ledger,
            commands::team::request_withdrawal,
            commands::team::team,
        ])
        .on_page_load(ready::on_page_load)
}
