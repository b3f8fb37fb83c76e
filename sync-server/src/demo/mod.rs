//! `linli-sync-server demo`: a believable city in an empty database (`seed`), and
//! with `--simulate` a steady trickle of new orders (`simulate`) so a person
//! watching the admin web sees the day move. The city itself is in `data`.

pub mod data;
mod seed;
mod simulate;
mod team;

pub use seed::{seed, Cast, Seeded, ADMIN_USERNAME, CONSUMERS};
pub use simulate::{load_cast, simulate};

/// The seed `make demo` uses, so every demo shows the same city.
pub const DEFAULT_SEED: u64 = 20_261_122;
