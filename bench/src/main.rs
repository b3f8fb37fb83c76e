//! `cargo run -p linli-bench --release -- NAME`: each benchmark prints a table and a
//! last line `NAME: <figure> (<ratio> vs <baseline>)`, the baseline measured in the same run.

use clap::{Parser, Subcommand};

mod stats;

#[derive(Parser)]
#[command(about = "Linli benchmarks")]
struct Cli {
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Subcommand)]
enum Bench {
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().bench {
    }
}
