//! The device's pulls on one connection: at most one `Pull` of each kind in flight,
//! and a `Changed` (or a page with more behind it) that arrives meanwhile asks for
//! exactly one more once the running one is answered. So a burst of changes on the
//! server costs one pull, and pulls never pile up.

use std::collections::BTreeMap;

use crate::sync::wire::PullKind;

#[derive(Default, Clone, Copy)]
struct Pull {
    running: bool,
    again: bool,
}

#[derive(Default)]
pub(super) struct PullJobs {
    kinds: BTreeMap<u8, Pull>,
}

impl PullJobs {
    /// A pull of `what` is wanted: true if it is to be sent now.
    pub(super) fn want(&mut self, what: PullKind) -> bool {
        let p = self.kinds.entry(what.as_u8()).or_default();
        if p.running {
            p.again = true;
            false
        } else {
            p.running = true;
            true
        }
    }

    pub(super) fn running(&self, what: PullKind) -> bool {
        self.kinds.get(&what.as_u8()).is_some_and(|p| p.running)
    }

    /// The running pull was answered (and stored): true if another is to be sent
    /// now, because more was asked for meanwhile or the answer had more behind it.
    pub(super) fn finished(&mut self, what: PullKind, more: bool) -> bool {
        let p = self.kinds.entry(what.as_u8()).or_default();
        p.running = more || p.again;
        p.again = false;
        p.running
    }
}
