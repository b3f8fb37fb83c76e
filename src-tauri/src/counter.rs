//! The app's state: the replica behind a lock (shared with the sync loop), the
//! running sync loop once enrolled, the folder it lives in, the counter's settings
//! and the print font (loaded once, on first print).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use linli_core::app::camera_view::CameraView;
use linli_core::app::AppError;
use linli_core::print::{FontSource, PrintError, PrintFont};
use linli_core::replica::Replica;
use linli_core::time::Millis;
use linli_sync_client::{SharedReplica, SyncHandle};

use crate::settings::Settings;
use crate::sync_status::StatusEvents;

pub struct Counter {
    replica: SharedReplica,
    /// The sync loop, once the device is enrolled and knows its server.
    sync: Mutex<Option<SyncHandle>>,
    pub data_dir: PathBuf,
    pub settings: Mutex<Settings>,
    font: OnceLock<Result<PrintFont, String>>,
    /// The time the counter runs on (tests fix it).
    pub now: fn() -> Millis,
    /// The sync loop's status changes, pushed to the window.
    pub status_events: StatusEvents,
    /// The Pickup screen's live camera view, while open.
    camera: Mutex<Option<CameraView>>,
    /// A folder of images replayed as the first camera (`LINLI_CAMERA_REPLAY`).
    pub camera_replay: OnceLock<PathBuf>,
}

fn poisoned() -> AppError {
    AppError::new(
        "busy",
        "上一个操作中断了，请重启应用",
        "An earlier action was interrupted; restart the app",
    )
}

impl Counter {
    /// Opens (or creates) the replica in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, AppError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            AppError::new(
                "storage",
                format!("无法创建数据目录：{e}"),
                format!("Cannot create the data folder: {e}"),
            )
        })?;
        let replica = Replica::open(&data_dir.join("replica.sqlite3"))?;
        Ok(Counter {
            replica: linli_sync_client::share(replica),
            sync: Mutex::new(None),
            data_dir: data_dir.to_path_buf(),
            settings: Mutex::new(Settings::load(data_dir)),
            font: OnceLock::new(),
            now: Millis::now,
            status_events: StatusEvents::default(),
            camera: Mutex::new(None),
            camera_replay: OnceLock::new(),
        })
    }

    pub fn replica(&self) -> Result<MutexGuard<'_, Replica>, AppError> {
        self.replica.lock().map_err(|_| poisoned())
    }

    /// The replica as the sync loop shares it.
    pub fn shared_replica(&self) -> SharedReplica {
        self.replica.clone()
    }

    /// Runs a counter action that writes (handover, count, acceptance, intake),
    /// then tells the sync loop about every day with changes the server lacks:
    /// the one place commands report their writes.
    pub fn write<T>(
        &self,
        action: impl FnOnce(&mut Replica) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let (out, pending) = {
            let mut replica = self.replica()?;
            let out = action(&mut replica)?;
            (out, replica.pending_changes())
        };
        if let (Ok(keys), Some(sync)) = (pending, self.sync()?.as_ref()) {
            for key in keys {
                // A key from the replica is always a valid day.
                let _ = sync.local_change(&key.day_string());
            }
        }
        Ok(out)
    }

    pub fn sync(&self) -> Result<MutexGuard<'_, Option<SyncHandle>>, AppError> {
        self.sync.lock().map_err(|_| poisoned())
    }

    pub fn camera(&self) -> Result<MutexGuard<'_, Option<CameraView>>, AppError> {
        self.camera.lock().map_err(|_| poisoned())
    }

    /// Makes the images in `dir` the first camera (tests and machines without one).
    pub fn set_camera_replay(&self, dir: PathBuf) {
        let _ = self.camera_replay.set(dir);
    }

    pub fn settings(&self) -> Result<MutexGuard<'_, Settings>, AppError> {
        self.settings.lock().map_err(|_| poisoned())
    }

    pub fn font(&self) -> Result<&PrintFont, AppError> {
        let font = self.font.get_or_init(|| {
            FontSource::debian()
                .load()
                .map_err(|e: PrintError| e.to_string())
        });
        font.as_ref().map_err(|e| {
            AppError::new(
                "print_font",
                format!("打印字体不可用：{e}"),
                format!("The print font is not usable: {e}"),
            )
        })
    }
}
