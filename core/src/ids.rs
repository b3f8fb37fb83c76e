//! Identifiers are born where the record is born (UUIDv7: time-ordered, so a
//! retry that re-sends the same id is idempotent and indexes stay append-mostly).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
pub use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id (UUIDv7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        // Stored in documents as 16 raw bytes: half the size of the text form.
        impl autosurgeon::Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: autosurgeon::Reconciler>(&self, r: R) -> Result<(), R::Error> {
                autosurgeon::Reconcile::reconcile(&self.0, r)
            }
        }

        impl autosurgeon::Hydrate for $name {
            fn hydrate_bytes(bytes: &[u8]) -> Result<Self, autosurgeon::HydrateError> {
                <Uuid as autosurgeon::Hydrate>::hydrate_bytes(bytes).map(Self)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Uuid::parse_str(s).map(Self).map_err(|_| IdError {
                    kind: stringify!($name),
                    input: s.chars().take(64).collect(),
                })
            }
        }
    };
}

/// A string that is not a valid id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a valid {kind} (expected a UUID)")]
pub struct IdError {
    pub kind: &'static str,
    pub input: String,
}

uuid_id!(
    /// A pickup point (自提点).
    PointId
);
uuid_id!(
    /// A consumer's order.
    OrderId
);
uuid_id!(
    /// One counter device (a shop PC or a tablet) enrolled at a point.
    DeviceId
);
uuid_id!(
    /// One counter event (a check, an acceptance, a handover, an intake).
    EventId
);
uuid_id!(
    /// A product's sellable unit (SKU).
    SkuId
);
uuid_id!(
    /// A supplier (供应商).
    SupplierId
);
uuid_id!(
    /// A logistics route (物流路线).
    RouteId
);
uuid_id!(
    /// A consumer.
    ConsumerId
);
