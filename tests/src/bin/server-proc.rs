//! The sync server as a process of its own, for kill -9 tests of the server: the
//! real router and store on the given database file and address, nothing else.
//! It prints `LISTENING` once the socket is bound.
//!
//! Usage: server-proc DB_PATH ADDR

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use linli_sync_server::http::{self, AppState, TokenKeys};
use linli_sync_server::store::{SqliteStore, Store};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, addr] = args.as_slice() else {
        bail!("usage: server-proc DB_PATH ADDR");
    };
    let store = SqliteStore::open(&PathBuf::from(db)).context("opening the database")?;
    let tokens = TokenKeys::new(store.token_key().await?);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "LISTENING")?;
        out.flush()?;
    }
    axum::serve(listener, http::router(AppState::new(store, tokens))).await?;
    Ok(())
}
