//! Sample data in place of the first sync, only when asked: with
//! `LINLI_DEMO_SEED=<folder>` a replica not yet enrolled is enrolled at a fresh
//! point and given today's sample delivery (`linli_core::app::demo_seed`); the
//! plain codes and QR images a consumer would hold are written to the folder.
//! `make demo` and the end-to-end test use it until the sync client lands.

use linli_core::app::{china_day, demo_seed, AppError};

use crate::counter::Counter;

/// Orders in the sample day unless `LINLI_DEMO_ORDERS` says otherwise.
const DEFAULT_ORDERS: usize = 30;

pub fn from_env(counter: &Counter) -> Result<(), AppError> {
    let Some(out) = std::env::var_os("LINLI_DEMO_SEED") else {
        return Ok(());
    };
    let mut replica = counter.replica()?;
    if replica.identity().is_some() {
        return Ok(());
    }
    let n = std::env::var("LINLI_DEMO_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_ORDERS);
    let day = china_day((counter.now)());
    demo_seed::seed(&mut replica, &day, n, std::path::Path::new(&out))?;
    Ok(())
}
