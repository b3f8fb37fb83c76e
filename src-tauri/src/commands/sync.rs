//! First run (enrollment) and the sync badge / Sync screen.

use linli_core::app::AppError;
use linli_sync_client::Enrolled;
use tauri::State;

use crate::counter::Counter;
use crate::sync::{self, EnrollRequest, SyncState};

/// Enrolls this device with a code from the platform, then starts syncing.
#[tauri::command]
pub async fn enroll(
    counter: State<'_, Counter>,
    request: EnrollRequest,
) -> Result<Enrolled, AppError> {
    sync::enroll(&counter, &request).await
}

#[tauri::command]
pub async fn sync_state(counter: State<'_, Counter>) -> Result<SyncState, AppError> {
    sync::state(&counter)
}

#[tauri::command]
pub async fn sync_now(counter: State<'_, Counter>) -> Result<(), AppError> {
    sync::sync_now(&counter)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::commands::test_support::{counter, fresh_counter};

    #[test]
    fn a_fresh_device_is_not_enrolled_and_an_unreachable_server_is_said_plainly() {
        let c = fresh_counter();
        let state = c.ok("sync_state", json!({}));
        assert_eq!(state["enrolled"], false);
        assert!(state["status"].is_null());
        // Nothing listens on port 9 of loopback.
        let request = json!({ "server": "127.0.0.1:9", "code": "K7QM4-XR2PD", "deviceName": "", "leader": "李姐" });
        let refused = c.call("enroll", json!({ "request": request })).unwrap_err();
        assert_eq!(refused["reason"], "server_unreachable", "{refused}");
        assert!(refused["zh"]
            .as_str()
            .unwrap()
            .contains("http://127.0.0.1:9"));
        assert!(refused["en"]
            .as_str()
            .unwrap()
            .contains("could not be reached"));
        assert_eq!(c.ok("sync_state", json!({}))["enrolled"], false);
        let empty =
            json!({ "server": "127.0.0.1:9", "code": " ", "deviceName": "", "leader": "李姐" });
        let refused = c.call("enroll", json!({ "request": empty })).unwrap_err();
        assert_eq!(refused["reason"], "enroll_code");
    }

    #[test]
    fn a_seeded_device_without_a_server_runs_no_sync_loop() {
        let c = counter(2);
        let state = c.ok("sync_state", json!({}));
        assert_eq!(state["enrolled"], true);
        assert_eq!(state["server"], "");
        assert!(state["status"].is_null());
        c.ok("sync_now", json!({}));
    }
}
