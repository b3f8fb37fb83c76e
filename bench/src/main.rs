//! `cargo run -p linli-bench --release -- NAME`: each benchmark prints a table and a
//! last line `NAME: <figure> (<ratio> vs <baseline>)`, the baseline measured in the same run.

use clap::{Parser, Subcommand};

mod admin;
mod docsize;
mod ingest;
mod qr;
mod qr_printed;
mod stats;
mod sync;
mod verify;

#[derive(Parser)]
#[command(about = "Linli benchmarks")]
struct Cli {
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// The pickup QR scanner on real photos, generated labels and live frames.
    Qr(qr::QrArgs),
    /// The admin web's lists, searches and reports over 2,000 points and 1,000,000
    /// orders, against the same pages' SQL on a plain connection.
    Admin,
    /// Verify a pickup code at a point holding 10,000 orders, against a raw SELECT.
    Verify,
    /// A 500-order point-day document: size, load-and-project, per-order writes.
    Docsize,
    /// Consumer orders through the sync server over HTTP, against plain SQLite inserts.
    Ingest,
    /// Two counters back after a week offline (3,000 orders of changes): time to
    /// converge and bytes on the wire, against gzip'd JSON of the same records.
    Reconnect,
    /// 1,000 simulated counters, one 30-order day each, against one server.
    Devices,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().bench {
        Bench::Qr(args) => qr::run(args),
        Bench::Admin => admin::run(),
        Bench::Verify => verify::run(),
        Bench::Docsize => docsize::run(),
        Bench::Ingest => ingest::run(),
        Bench::Reconnect => sync::reconnect(),
        Bench::Devices => sync::devices(),
    }
}
