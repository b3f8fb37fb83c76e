//! The sync status pushed to the window. The sync loop publishes its `SyncStatus`
//! through a tokio `watch` channel; every change is emitted as the `sync-status`
//! event carrying the same `SyncState` the `sync_state` command answers (which
//! the UI still reads once when a screen opens). The badge and the Sync screen
//! redraw when something happens; nothing polls.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use linli_sync_client::SyncHandle;
use tauri::{AppHandle, Emitter, Runtime};

use crate::sync::SyncState;

/// The event's name, as the UI listens for it.
pub const EVENT: &str = "sync-status";

/// Changes closer together than this go out as one, the latest: during a first
/// sync every frame bumps the byte counters.
const COALESCE: Duration = Duration::from_millis(100);

type Publish = Arc<dyn Fn(&SyncState) + Send + Sync>;

/// Where status changes go, and which loop is the current one (a replaced loop's
/// last words must not overwrite the new loop's status).
#[derive(Default)]
pub struct StatusEvents {
    publish: OnceLock<Publish>,
    generation: Arc<AtomicU64>,
}

impl StatusEvents {
    /// Sends every status change to the app's windows from now on.
    pub fn emit_to<R: Runtime>(&self, app: AppHandle<R>) {
        let publish: Publish = Arc::new(move |state: &SyncState| {
            // A window that is closing cannot take it; the next change is sent anyway.
            let _ = app.emit(EVENT, state);
        });
        let _ = self.publish.set(publish);
    }

    /// Follows a loop just started against `server`, until it ends or another
    /// loop replaces it.
    pub fn follow(&self, handle: &SyncHandle, server: &str) {
        let mine = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let Some(publish) = self.publish.get().cloned() else {
            return;
        };
        let current = self.generation.clone();
        let mut status = handle.watch();
        let server = server.to_string();
        tauri::async_runtime::spawn(async move {
            loop {
                let snapshot = status.borrow_and_update().clone();
                if current.load(Ordering::SeqCst) != mine {
                    return;
                }
                publish(&SyncState {
                    enrolled: true,
                    server: server.clone(),
                    status: Some(snapshot),
                });
                tokio::time::sleep(COALESCE).await;
                // Err: the loop ended (stopped or replaced).
                if status.changed().await.is_err() {
                    return;
                }
            }
        });
    }

    /// The loop was stopped and none replaces it (the server address was cleared).
    pub fn stopped(&self, enrolled: bool) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(publish) = self.publish.get() {
            publish(&SyncState {
                enrolled,
                server: String::new(),
                status: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use serde_json::{json, Value};
    use tauri::Listener;

    use crate::commands::test_support::counter;

    use super::EVENT;

    /// Waits for an emitted state that satisfies `f`.
    fn wait_for(events: &mpsc::Receiver<Value>, what: &str, f: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match events.recv_timeout(left) {
                Ok(state) if f(&state) => return state,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no {EVENT} event with {what}");
    }

    #[test]
    fn every_change_of_the_loops_status_is_emitted_to_the_window() {
        let c = counter(2);
        let (tx, events) = mpsc::channel();
        c.app().listen(EVENT, move |e| {
            let _ = tx.send(serde_json::from_str::<Value>(e.payload()).expect("json payload"));
        });
        // A saved server starts the loop; nothing listens on port 9 of loopback.
        let mut settings = c.ok("get_settings", json!({}));
        settings["server"] = json!("http://127.0.0.1:9");
        c.ok("save_settings", json!({ "settings": settings }));
        let offline = wait_for(&events, "the failed connection", |s| {
            !s["status"]["last_error"].is_null()
        });
        assert_eq!(offline["enrolled"], true);
        assert_eq!(offline["server"], "http://127.0.0.1:9");
        assert_eq!(offline["status"]["online"], false);
        // The seeded day exists only here: pending, as the badge must say.
        let pending = offline["status"]["pending"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            pending
                .iter()
                .any(|k| k.as_str().is_some_and(|k| k.ends_with("/2026-11-22"))),
            "{offline}"
        );
        // The command answers the same state for a screen's first read.
        let read = c.ok("sync_state", json!({}));
        assert_eq!(read["status"]["pending"], offline["status"]["pending"]);

        // Another server restarts the loop: its states follow, the old loop's stop.
        settings["server"] = json!("http://127.0.0.1:19");
        c.ok("save_settings", json!({ "settings": settings }));
        wait_for(&events, "the new loop's failed connection", |s| {
            s["server"] == "http://127.0.0.1:19" && !s["status"]["last_error"].is_null()
        });
        let quiet_until = std::time::Instant::now() + std::time::Duration::from_millis(1500);
        while let Some(left) = quiet_until.checked_duration_since(std::time::Instant::now()) {
            if let Ok(s) = events.recv_timeout(left) {
                assert_eq!(
                    s["server"], "http://127.0.0.1:19",
                    "a replaced loop spoke: {s}"
                );
            }
        }

        // Clearing the server stops the loop, and the window hears that too.
        settings["server"] = json!("");
        c.ok("save_settings", json!({ "settings": settings }));
        let stopped = wait_for(&events, "no loop", |s| s["status"].is_null());
        assert_eq!(stopped["enrolled"], true);
    }
}
