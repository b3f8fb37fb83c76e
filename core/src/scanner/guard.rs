//! Isolation for third-party decoders. `rqrr` 0.11 asserts inside its perspective code
//! on some real photos; a frame like that must cost one failed attempt, not the app.
//!
//! The panic is caught with `catch_unwind` (so the workspace must keep `panic = "unwind"`,
//! the default). The default panic hook would still print a message and a backtrace
//! hint to stderr for every such frame, so a hook installed once stays quiet while the
//! current thread is inside a guarded decoder call and defers to the previous hook
//! everywhere else: panics in the rest of the app are reported as before.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static IN_DECODER: Cell<bool> = const { Cell::new(false) };
}

static INSTALL_QUIET_HOOK: Once = Once::new();

/// A decoder panicked on this input; the panic was caught and the frame is a miss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the QR decoder panicked on this frame (caught)")]
pub struct DecoderPanicked;

/// Runs `decode`, turning a panic into [`DecoderPanicked`]. The closure only reads its
/// input and builds fresh values, so nothing half-updated is observed after a panic.
pub fn guarded<T>(decode: impl FnOnce() -> T) -> Result<T, DecoderPanicked> {
    INSTALL_QUIET_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !IN_DECODER.with(Cell::get) {
                previous(info);
            }
        }));
    });
    IN_DECODER.with(|f| f.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(decode));
    IN_DECODER.with(|f| f.set(false));
    result.map_err(|_| DecoderPanicked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_becomes_an_error_and_the_thread_goes_on() {
        let caught = guarded(|| -> u32 { panic!("assertion in a decoder") });
        assert_eq!(caught, Err(DecoderPanicked));
        assert_eq!(guarded(|| 7), Ok(7));
    }
}
