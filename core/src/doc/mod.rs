//! CRDT documents (automerge, typed through autosurgeon): the unit of sync and merge.
//!
//! Writes touch one entry at a time (`reconcile_prop` on the entry's key), never the
//! whole document: reconciling a whole 500-order day per new order is hundreds of
//! times slower than reconciling the one new order.

mod order_entries;
mod ownership;
mod point_day_doc;

pub use ownership::{check_ownership, OwnershipViolation, Writer};
pub use point_day_doc::{PointDayDoc, Refreshed};

/// Why a document cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("the document bytes are corrupt: {0}")]
    Corrupt(#[from] automerge::AutomergeError),
    #[error("the document does not have the point-day shape: {0}")]
    Shape(#[from] autosurgeon::HydrateError),
    #[error("could not write the document: {0}")]
    Write(#[from] autosurgeon::ReconcileError),
    #[error("this document is for point {found} on {found_day}, not {expected} on {expected_day}")]
    WrongDocument {
        expected: crate::ids::PointId,
        expected_day: String,
        found: crate::ids::PointId,
        found_day: String,
    },
    #[error("the document has no '{0}' map")]
    MissingMap(&'static str),
}
