//! linli-core: everything the counter app and the sync server share — the domain
//! rules, the CRDT document schemas, the counter's SQLite replica and the pickup
//! scanner. No Tauri and no HTTP server live here: the shells call into this crate.

pub mod after_sale;
pub mod app;
pub mod audit;
pub mod bag_qr;
pub mod business_day;
pub mod catalog;
pub mod commission;
pub mod counter;
pub mod cutoff;
pub mod delivery;
pub mod demo;
pub mod doc;
pub mod geo;
pub mod handover;
pub mod ids;
pub mod image;
pub mod lang;
pub mod money;
pub mod order;
pub mod ordering;
pub mod pickup;
pub mod pickup_code;
pub mod pickup_qr;
pub mod point_day;
#[cfg(feature = "print")]
pub mod print;
pub mod refund;
pub mod replica;
pub mod report;
pub mod report_sums;
pub mod resolution;
pub mod route;
#[cfg(feature = "scanner")]
pub mod scanner;
#[cfg(feature = "export")]
pub mod sheet;
pub mod staff_policy;
pub mod status;
pub mod sync;
pub mod time;

/// This crate's version, shown by the app's status line so a counter can tell
/// which rules it runs.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
