//! Settings: printer, camera, overdue days, point name, server.

use linli_core::app::AppError;
use tauri::State;

use crate::counter::Counter;
use crate::settings::Settings;

#[tauri::command]
pub async fn get_settings(counter: State<'_, Counter>) -> Result<Settings, AppError> {
    Ok(counter.settings()?.clone())
}

#[tauri::command]
pub async fn save_settings(
    counter: State<'_, Counter>,
    settings: Settings,
) -> Result<(), AppError> {
    settings.save(&counter.data_dir)?;
    let (old, new) = (counter.settings()?.server.clone(), settings.server.clone());
    *counter.settings()? = settings;
    crate::sync::server_saved(&counter, &old, &new)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::commands::test_support::counter;

    #[test]
    fn settings_are_checked_and_kept() {
        let c = counter(1);
        let mut s = c.ok("get_settings", json!({}));
        assert_eq!(s["overdueDays"], 3);
        s["overdueDays"] = json!(0);
        let refused = c
            .call("save_settings", json!({ "settings": s }))
            .unwrap_err();
        assert_eq!(refused["zh"], "超期天数应在1到60之间");
        s["overdueDays"] = json!(5);
        s["printer"] = json!("counter-laser");
        c.ok("save_settings", json!({ "settings": s }));
        assert_eq!(c.ok("get_settings", json!({}))["printer"], "counter-laser");
        assert!(c.ok("sync_state", json!({}))["status"].is_null());
        // A server saved on an enrolled device starts syncing with it at once.
        s["server"] = json!("http://127.0.0.1:9");
        c.ok("save_settings", json!({ "settings": s }));
        let state = c.ok("sync_state", json!({}));
        assert_eq!(state["server"], "http://127.0.0.1:9");
        assert_eq!(state["status"]["online"], false, "{state}");
        s["server"] = json!("");
        c.ok("save_settings", json!({ "settings": s }));
        assert!(c.ok("sync_state", json!({}))["status"].is_null());
    }
}
