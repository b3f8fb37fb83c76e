//! linli-core: everything the counter app and the sync server share — the domain
//! rules, the CRDT document schemas, the counter's SQLite replica and the pickup
//! scanner. No Tauri and no HTTP server live here: the shells call into this crate.

pub mod ids;
pub mod pickup_code;
