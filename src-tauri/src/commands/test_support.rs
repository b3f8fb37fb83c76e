//! Drives the commands through Tauri's mock runtime, the way the UI invokes them:
//! a JSON body in, a JSON answer (or a rejected error) out.

use linli_core::app::demo_seed::{self, Seeded};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow};

use crate::counter::Counter;

pub struct MockCounter {
    app: App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
    pub seeded: Seeded,
    pub dir: tempfile::TempDir,
}

/// 2026-11-22 10:00 in Beijing.
pub fn fixed_now() -> linli_core::time::Millis {
    linli_core::time::Millis(1_795_312_800_000)
}

/// An app over a fresh replica seeded with `n` orders for 2026-11-22.
pub fn counter(n: usize) -> MockCounter {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut counter = Counter::open(dir.path()).expect("replica opens");
    counter.now = fixed_now;
    let seeded = {
        let mut replica = counter.replica().expect("lock");
        demo_seed::seed(&mut replica, "2026-11-22", n, &dir.path().join("seed")).expect("seed")
    };
    mock(counter, seeded, dir)
}

/// An app over a fresh replica that is not enrolled (the First run).
pub fn fresh_counter() -> MockCounter {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut counter = Counter::open(dir.path()).expect("replica opens");
    counter.now = fixed_now;
    let none = Seeded {
        point: String::new(),
        day: String::new(),
        orders: Vec::new(),
        other_point_qr: String::new(),
    };
    mock(counter, none, dir)
}

fn mock(counter: Counter, seeded: Seeded, dir: tempfile::TempDir) -> MockCounter {
    let app = crate::builder(mock_builder())
        .manage(counter)
        .build(tauri::generate_context!())
        .expect("app builds");
    // As main's setup does: the sync loop's status changes go to the window.
    app.state::<Counter>()
        .status_events
        .emit_to(app.handle().clone());
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("webview");
    MockCounter {
        app,
        webview,
        seeded,
        dir,
    }
}

impl MockCounter {
    /// Invokes `cmd` with `args`; `Err` holds the rejected value.
    pub fn call(
        &self,
        cmd: &str,
        args: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.webview, request).map(|r| r.deserialize().expect("json answer"))
    }

    pub fn ok(&self, cmd: &str, args: serde_json::Value) -> serde_json::Value {
        self.call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} was refused: {e}"))
    }

    pub fn app(&self) -> &App<MockRuntime> {
        &self.app
    }

    /// The seeded order `i`'s plain code.
    pub fn code(&self, i: usize) -> String {
        self.seeded.orders[i].code.clone()
    }
}
