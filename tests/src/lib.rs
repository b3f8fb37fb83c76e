//! Cross-crate scenarios live in `tests/tests/`; the helper binaries they drive live in `src/bin/`.
