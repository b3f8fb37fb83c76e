//! Linli's counter app: a window over the web UI in ui/, with commands that
//! parse input, call one linli-core function and map the result.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod counter;
mod ready;
mod seed;
mod settings;

use tauri::Manager;

fn main() {
    builder(tauri::Builder::default())
        .setup(|app| {
            let dir = app.path().app_data_dir()?;
            let counter = counter::Counter::open(&dir)?;
            seed::from_env(&counter)?;
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
            commands::day::commission,
            commands::day::export_commission,
            commands::pickup::verify_code,
            commands::pickup::hand_over,
            commands::pickup::camera_scan,
            commands::printing::print_pick_list,
            commands::printing::print_delivery_check,
            commands::printing::print_commission_statement,
            commands::settings::get_settings,
            commands::settings::save_settings,
        ])
        .on_page_load(ready::on_page_load)
}
