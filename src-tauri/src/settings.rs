//! The counter's settings (printer, camera, overdue days, point name, server),
//! kept as JSON beside the replica. The language lives in the UI.

use std::path::{Path, PathBuf};

use linli_core::app::orders::DEFAULT_OVERDUE_DAYS;
use linli_core::app::AppError;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// CUPS printer name for `lp -d`; empty saves PDFs only.
    pub printer: String,
    /// Camera index (0 is the first camera).
    pub camera: u32,
    pub overdue_days: u32,
    /// Printed at the top of every sheet.
    pub point_name: String,
    pub server: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            printer: String::new(),
            camera: 0,
            overdue_days: DEFAULT_OVERDUE_DAYS,
            point_name: "邻里自提点".into(),
            server: String::new(),
        }
    }
}

fn file(dir: &Path) -> PathBuf {
    dir.join("settings.json")
}

impl Settings {
    /// The saved settings; defaults when none are saved or the file is unreadable.
    pub fn load(dir: &Path) -> Self {
        std::fs::read(file(dir))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Checks and saves.
    pub fn save(&self, dir: &Path) -> Result<(), AppError> {
        if self.overdue_days == 0 || self.overdue_days > 60 {
            return Err(AppError::new(
                "settings",
                "超期天数应在1到60之间",
                "Overdue days must be between 1 and 60",
            ));
        }
        if self.printer.chars().any(|c| c.is_whitespace() || c == '/') {
            return Err(AppError::new(
                "settings",
                "打印机名称不能包含空格或斜杠",
                "A printer name cannot contain spaces or slashes",
            ));
        }
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| AppError::new("settings", format!("设置无法保存：{e}"), e.to_string()))?;
        std::fs::write(file(dir), bytes).map_err(|e| {
            AppError::new(
                "settings",
                format!("设置无法保存：{e}"),
                format!("Settings could not be saved: {e}"),
            )
        })
    }
}
