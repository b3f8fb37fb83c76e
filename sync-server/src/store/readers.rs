//! Read-only connections beside the writer. Lists, searches and reports for the
//! admin web run here, on blocking threads, so a 30-day report never queues behind
//! (or holds up) the writer that takes orders. WAL lets them read the last
//! committed state while the writer commits; a job answered by the writer is
//! visible to the next read that starts.

use std::path::Path;
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

use super::StoreError;

/// Readers at most: one per core is all the machine can run at once, plus one so
/// a slow report does not stall a quick list.
const READERS: u32 = 4;

#[derive(Clone)]
pub(super) struct Readers {
    pool: r2d2::Pool<SqliteConnectionManager>,
}

impl Readers {
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(|c| {
                c.busy_timeout(Duration::from_secs(5))?;
                // Reports scan a lot; a larger cache keeps the second page cheap.
                c.pragma_update(None, "cache_size", -32 * 1024)?;
                Ok(())
            });
        let pool = r2d2::Pool::builder()
            .max_size(READERS)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(30))
            .build(manager)?;
        Ok(Readers { pool })
    }

    /// Runs `f` on a read connection off the async threads.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool
                .get()
                .map_err(|e| StoreError::Internal(format!("no read connection: {e}")))?;
            f(&conn)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("a read panicked: {e}")))?
    }
}
