//! Commands the UI invokes. Each parses its input, calls one linli-core function
//! (`linli_core::app`) and maps the result; errors carry the reason in zh-CN and
//! en. They are `async` so Tauri runs them off the main thread: a long one
//! (accepting a 10,000-order day) never freezes the window.

pub mod camera;
pub mod conflicts;
pub mod day;
pub mod pickup;
pub mod printing;
pub mod settings;
pub mod status;
pub mod sync;
pub mod team;

#[cfg(test)]
pub(crate) mod test_support;
