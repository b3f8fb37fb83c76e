//! Who did a counter action, where, when and how: every counter fact carries one,
//! so an offline day can be audited afterwards.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::ids::DeviceId;
use crate::time::Millis;

/// How a pickup code reached the counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
pub enum CodeMethod {
    /// Typed on a keyboard or the touch keypad.
    Typed,
    /// A QR held up to the device camera.
    CameraQr,
    /// A USB handheld scanner, which types the QR payload followed by Enter.
    Scanner,
}

/// The device, leader and time of a counter action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct CounterStamp {
    pub device: DeviceId,
    /// The leader or clerk signed in at the device.
    pub leader: String,
    /// The device's clock; it may be wrong, which is why nothing is ordered by it alone.
    pub at: Millis,
}
