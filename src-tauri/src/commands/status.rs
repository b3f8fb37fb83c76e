//! The status line: which core rules run and where the data lives.

use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    /// Where this device keeps its replica and documents.
    data_dir: String,
    core_version: &'static str,
}

/// The status line: which core rules run and where the data lives.
#[tauri::command]
pub fn status<R: Runtime>(app: AppHandle<R>) -> Result<AppStatus, String> {
    let data_dir = app.path().app_data_dir().map_err(|e| e.to_string())?;
    Ok(AppStatus {
        data_dir: data_dir.display().to_string(),
        core_version: linli_core::VERSION,
    })
}

#[cfg(test)]
mod tests {
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
    use tauri::webview::InvokeRequest;

    #[test]
    fn status_reports_core_version_and_app_data_dir() {
        let app = crate::builder(mock_builder())
            .build(tauri::generate_context!())
            .unwrap();
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        let request = InvokeRequest {
            cmd: "status".into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::default(),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };

        let status: serde_json::Value = get_ipc_response(&webview, request)
            .unwrap()
            .deserialize()
            .unwrap();

        assert_eq!(status["coreVersion"], linli_core::VERSION);
        let data_dir = status["dataDir"].as_str().unwrap();
        assert!(data_dir.ends_with("com.linli.counter"), "{data_dir}");
    }
}
