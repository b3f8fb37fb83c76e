//! Tells a supervising script that the UI has loaded: when `LINLI_READY_FILE`
//! is set, the loaded page's URL is written there. The smoke test and
//! `make demo` wait on it before taking a screenshot, instead of guessing with
//! a sleep.

use tauri::webview::{PageLoadEvent, PageLoadPayload};
use tauri::{Runtime, Webview};

pub fn on_page_load<R: Runtime>(_webview: &Webview<R>, payload: &PageLoadPayload<'_>) {
    if payload.event() != PageLoadEvent::Finished {
        return;
    }
    if let Some(path) = std::env::var_os("LINLI_READY_FILE") {
        if let Err(e) = std::fs::write(&path, payload.url().as_str()) {
            eprintln!(
                "linli: cannot write ready file {}: {e}",
                path.to_string_lossy()
            );
        }
    }
}
