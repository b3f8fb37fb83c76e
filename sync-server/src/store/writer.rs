//! The single writer: one thread owns the SQLite write connection and commits jobs
//! in groups. Each job runs inside its own savepoint, so a refused order rolls back
//! alone; the group shares one transaction and one fsync, which is what lets an
//! embedded SQLite take thousands of orders a second. A job's answer is delivered
//! only once its group is durable (`durability.rs`: the fsync runs on its own
//! thread while the writer goes on with the next group), so an acknowledged order
//! is on disk.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use linli_core::doc::PointDayDoc;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::{broadcast, oneshot};

pub(super) use super::doc_cache::DocCache;
use super::doc_cache::CACHED_DOCS;
use super::durability::{Deliver, Group, Settle};
use super::StoreError;

/// Jobs committed together at most.
const GROUP: usize = 256;
/// Incremental chunks kept per document before it is rewritten as one snapshot.
const COMPACT_AFTER_CHUNKS: i64 = 256;
/// How often the background thread copies the WAL back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// WAL pages past which the background thread lets the log start over, at the first
/// pass that finds every frame copied back (a lull): the restart then costs the
/// writer a moment's wait, not a copy and an fsync.
const RESTART_LOG_PAGES: i64 = 16_384;
/// WAL pages (256 MiB) past which the writer checkpoints by itself. Under a steady
/// stream of commits the passive passes never catch the last frame, so in a long
/// peak this is what restarts the log: every minute or so at 2,000 orders/s, each
/// time a pause for the frames not yet copied and an fsync.
const WRITER_CHECKPOINT_PAGES: i64 = 65_536;
/// Committed document keys buffered for slow subscribers (device sync sessions);
/// one that falls further behind hears `Lagged` and re-checks all its documents.
const CHANGES_BUFFER: usize = 4096;

thread_local! {
    /// Document keys written by the current group's jobs (the writer thread only),
    /// published once the group commits.
    static CHANGED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// The prefix of a published key that is not a document: `pull/<kind>/<point>`
/// (`*` for every point) says a device's pull of that kind is stale (decision 0010).
pub const PULL_CHANGE_PREFIX: &str = "pull/";

/// Marks `what` changed for `point` (or `*`), published with the job's commit like
/// a document key, so online devices hear `Changed` and pull again.
pub(super) fn pull_changed(point: &str, what: linli_core::sync::PullKind) {
    CHANGED.with(|c| {
        c.borrow_mut()
            .push(format!("{PULL_CHANGE_PREFIX}{}/{point}", what.as_str()))
    });
}

/// Appends what changed in `doc` since its last save as a chunk of `key`.
pub(super) fn store_changes(
    conn: &Connection,
    key: &str,
    doc: &mut PointDayDoc,
    new_document: bool,
) -> Result<(), StoreError> {
    let bytes = if new_document {
        doc.save()
    } else {
        doc.save_incremental()
    };
    if bytes.is_empty() {
        return Ok(());
    }
    // Sequence numbers of a document are contiguous (compaction rewrites it as one
    // chunk at the next number), so the count is max − min + 1. Each bound is one
    // index seek; a count(*) would read every chunk's bytes, on every order. (Were
    // there ever a gap, the estimate would only run high and compact a little early.)
    let bound = |sql| optional::<Option<i64>>(conn, sql, [key]).map(Option::flatten);
    let last = bound("SELECT max(seq) FROM doc_chunks WHERE doc_key = ?1")?;
    let first = bound("SELECT min(seq) FROM doc_chunks WHERE doc_key = ?1")?;
    let (next, count) = match (first, last) {
        (Some(first), Some(last)) => (last + 1, last - first + 1),
        _ => (0, 0),
    };
    CHANGED.with(|c| c.borrow_mut().push(key.to_string()));
    if count >= COMPACT_AFTER_CHUNKS {
        let snapshot = doc.save();
        conn.execute("DELETE FROM doc_chunks WHERE doc_key = ?1", [key])?;
        conn.prepare_cached("INSERT INTO doc_chunks (doc_key, seq, bytes) VALUES (?1, ?2, ?3)")?
            .execute(params![key, next, snapshot])?;
    } else {
        conn.prepare_cached("INSERT INTO doc_chunks (doc_key, seq, bytes) VALUES (?1, ?2, ?3)")?
            .execute(params![key, next, bytes])?;
    }
    Ok(())
}

struct Finished {
    ok: bool,
    deliver: Deliver,
}

type Job = Box<dyn FnOnce(&Connection, &mut DocCache) -> Finished + Send>;

#[derive(Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
    /// The keys of documents each committed group changed, after its commit.
    changes: broadcast::Sender<String>,
    /// Stops the checkpoint thread when the last clone of the writer goes.
    _checkpoints: Option<Arc<mpsc::Sender<()>>>,
}

impl Writer {
    /// Starts the writer thread on `conn`.
    pub fn start(conn: Connection) -> std::io::Result<Self> {
        let checkpoints = start_checkpoints(&conn);
        let (tx, rx) = mpsc::channel::<Job>();
        let (changes, _) = broadcast::channel(CHANGES_BUFFER);
        let settle = Settle::for_connection(&conn, changes.clone());
        std::thread::Builder::new()
            .name("linli-writer".into())
            .spawn(move || run(conn, rx, settle))?;
        Ok(Writer {
            jobs: tx,
            changes,
            _checkpoints: checkpoints,
        })
    }

    /// Keys of documents changed by committed jobs, each sent once per group after
    /// the group's commit (so a subscriber reading the document sees the change).
    pub fn subscribe_changes(&self) -> broadcast::Receiver<String> {
        self.changes.subscribe()
    }

    /// Runs `f` on the writer inside a savepoint; resolves after the commit.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut DocCache) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit(f, Result::is_ok).await
    }

    /// Like `run`, for a job that can refuse with a reason of its own (`Ok(Err(_))`):
    /// a refusal is rolled back exactly like an error — its savepoint dropped, the
    /// documents it touched evicted — because it may have changed them before it
    /// knew (device sync applies changes, then checks them).
    pub async fn run_refusable<T, R, F>(&self, f: F) -> Result<Result<T, R>, StoreError>
    where
        T: Send + 'static,
        R: Send + 'static,
        F: FnOnce(&Connection, &mut DocCache) -> Result<Result<T, R>, StoreError> + Send + 'static,
    {
        self.submit(f, |r| matches!(r, Ok(Ok(_)))).await
    }

    /// Queues `f`; `keep` says whether its result commits.
    async fn submit<T, F>(
        &self,
        f: F,
        keep: fn(&Result<T, StoreError>) -> bool,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut DocCache) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn, docs| {
            let result = f(conn, docs);
            let ok = keep(&result);
            Finished {
                ok,
                deliver: Box::new(move |committed| {
                    let answer = if committed || !ok {
                        result
                    } else {
                        Err(StoreError::Internal("the commit failed".into()))
                    };
                    let _ = tx.send(answer);
                }),
            }
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Internal("the writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Internal("the writer dropped the job".into()))?
    }
}

/// Moves WAL checkpoints off the writer: copying pages back into the database file
/// and syncing it took about a tenth of the writer's time per order. The thread has
/// its own connection; a PASSIVE checkpoint never blocks the writer. Without a file
/// (or if the thread cannot start) the writer keeps SQLite's own checkpoints.
fn start_checkpoints(conn: &Connection) -> Option<Arc<mpsc::Sender<()>>> {
    let path = PathBuf::from(conn.path().filter(|p| !p.is_empty())?);
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("linli-checkpoint".into())
        .spawn(move || {
            let Ok(own) = Connection::open(&path) else {
                return;
            };
            // A restart waits for the writer's current group to commit.
            if let Err(e) = own.busy_timeout(Duration::from_millis(500)) {
                tracing::warn!(error = %e, "no busy timeout on the checkpoint connection");
            }
            // Ends when the writer's last clone drops the sender.
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY)
            {
                if let Err(e) = checkpoint(&own) {
                    tracing::warn!(error = %e, "background checkpoint failed; the writer's backstop remains");
                }
            }
        })
        .ok()?;
    conn.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)
        .ok()?;
    Some(Arc::new(stop))
}

/// One background pass: copy what is committed back into the file without holding
/// anyone up, and when the log has grown long and is all copied, let it start over.
fn checkpoint(own: &Connection) -> rusqlite::Result<()> {
    let (log, copied): (i64, i64) = own.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get(1)?, r.get(2)?))
    })?;
    if log >= RESTART_LOG_PAGES && copied == log {
        own.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))?;
    }
    Ok(())
}

fn run(mut conn: Connection, rx: mpsc::Receiver<Job>, settle: Settle) {
    let mut docs = DocCache::new(CACHED_DOCS);
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < GROUP {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let mut delivered = Vec::with_capacity(batch.len());
        // IMMEDIATE: the write lock is taken at the start, waiting (busy timeout)
        // while the checkpoint thread restarts the log; a deferred transaction
        // that read first would be refused outright when it came to write.
        let committed = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(mut tx) => {
                for job in batch {
                    // What this job writes is published only if it is kept.
                    let changed_before = CHANGED.with(|c| c.borrow().len());
                    let forget_changed =
                        || CHANGED.with(|c| c.borrow_mut().truncate(changed_before));
                    let Ok(sp) = tx.savepoint() else {
                        delivered.push(Box::new(|_| {}) as Deliver);
                        continue;
                    };
                    // A panicking job must not take the writer down with it: it is
                    // rolled back like a failed one, and its caller, whose answer
                    // channel went with the panic, hears that the job was dropped.
                    let Ok(done) = catch_unwind(AssertUnwindSafe(|| job(&sp, &mut docs))) else {
                        tracing::error!("a writer job panicked; it was rolled back");
                        drop(sp);
                        forget_changed();
                        docs.forget_touched();
                        delivered.push(Box::new(|_| {}) as Deliver);
                        continue;
                    };
                    if done.ok {
                        let _ = sp.commit();
                        docs.keep_touched();
                    } else {
                        drop(sp); // rolls back this job only
                        docs.forget_touched();
                        forget_changed();
                    }
                    delivered.push(done.deliver);
                }
                tx.commit().is_ok()
            }
            Err(_) => false,
        };
        if committed {
            docs.trim();
        } else {
            // Nothing of the group is on disk: the cache must not remember it either.
            docs.clear();
        }
        settle.settle(Group {
            committed,
            changed: CHANGED.with(|c| std::mem::take(&mut *c.borrow_mut())),
            answers: delivered,
        });
    }
}

/// Looks up one optional value; a small convenience for jobs.
pub(super) fn optional<T: rusqlite::types::FromSql>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Option<T>, StoreError> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row(params, |r| r.get(0))
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer() -> Writer {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute("CREATE TABLE t (x INTEGER)", []).unwrap();
        Writer::start(conn).unwrap()
    }

    async fn rows(w: &Writer) -> i64 {
        w.run(|conn, _| Ok(conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_refusal_rolls_back_what_its_job_wrote() {
        let w = writer();
        let refused: Result<(), &str> = w
            .run_refusable(|conn, _| {
                conn.execute("INSERT INTO t VALUES (1)", [])?;
                Ok(Err("no"))
            })
            .await
            .unwrap();
        assert_eq!(refused, Err("no"));
        assert_eq!(rows(&w).await, 0);
        let kept: Result<(), &str> = w
            .run_refusable(|conn, _| {
                conn.execute("INSERT INTO t VALUES (1)", [])?;
                Ok(Ok(()))
            })
            .await
            .unwrap();
        assert_eq!(kept, Ok(()));
        assert_eq!(rows(&w).await, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_a_wal_file_the_sync_leaves_the_writer_and_every_job_is_answered_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.sqlite3");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "synchronous", "FULL").unwrap();
        conn.execute("CREATE TABLE t (x INTEGER)", []).unwrap();
        let w = Writer::start(conn).unwrap();
        // The writer no longer syncs inside its commits: the WAL sync thread does.
        let sync: i64 = w
            .run(|conn, _| Ok(conn.pragma_query_value(None, "synchronous", |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(sync, 1, "synchronous=NORMAL on the writer");
        let jobs: Vec<_> = (0..200)
            .map(|i| {
                let w = w.clone();
                tokio::spawn(async move {
                    w.run(move |conn, _| Ok(conn.execute("INSERT INTO t VALUES (?1)", [i])?))
                        .await
                })
            })
            .collect();
        for j in jobs {
            assert_eq!(j.await.unwrap().unwrap(), 1);
        }
        drop(w);
        let reopened = Connection::open(&path).unwrap();
        let n: i64 = reopened
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 200);
    }

    #[tokio::test]
    async fn a_panicking_job_is_rolled_back_and_the_writer_goes_on() {
        let w = writer();
        let answer: Result<(), StoreError> = w
            .run(|conn, _| {
                conn.execute("INSERT INTO t VALUES (1)", [])?;
                panic!("hostile bytes");
            })
            .await;
        assert!(matches!(answer, Err(StoreError::Internal(m)) if m.contains("dropped")));
        assert_eq!(rows(&w).await, 0);
    }
}
