//! linli-sync-server: the platform side of Linli. Storage sits behind the `Store`
//! trait (embedded SQLite today); the rules come from linli-core; `http` holds the
//! thin handlers, the auth extractors and the operational endpoints.

pub mod config;
pub mod db;
pub mod demo;
pub mod http;
pub mod scheduler;
pub mod store;
