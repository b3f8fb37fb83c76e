//! Linli's counter app: a window over the web UI in ui/, with commands that
//! parse input, call one linli-core function and map the result.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod ready;

fn main() {
    builder(tauri::Builder::default())
        .run(tauri::generate_context!())
        .expect("Linli failed to start");
}

/// Everything the app registers; generic over the runtime so tests drive it
/// with Tauri's mock runtime instead of a real window.
fn builder<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .invoke_handler(tauri::generate_handler![commands::status])
        .on_page_load(ready::on_page_load)
}
