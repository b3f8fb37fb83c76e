//! Enrollment codes: drawn from the CSPRNG in an alphabet people type without
//! mistakes, and kept only as HMAC-SHA256 under a key of the server's own
//! (`server_meta.enrollment_key`, made on first use). The digest finds the row in one
//! index seek; the plain code is nowhere on disk.

use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::Rng;
use rusqlite::Connection;
use sha2::Sha256;

use super::device::{CODE_ALPHABET, CODE_CHARS};
use super::writer::optional;
use super::StoreError;

/// A fresh code from the CSPRNG, as the characters of `CODE_ALPHABET`.
pub(super) fn draw_code() -> String {
    let mut rng = OsRng;
    (0..CODE_CHARS)
        .map(|_| char::from(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// `K7QM4XR2PD` → `K7QM4-XR2PD`: two groups are easier to read out and type.
pub(super) fn shown(code: &str) -> String {
    let (a, b) = code.split_at(code.len() / 2);
    format!("{a}-{b}")
}

/// What was typed, as stored: upper case, without spaces and dashes. `None` when it
/// cannot be a code at all (wrong length or a character outside the alphabet).
pub(super) fn normalize_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let fits = code.len() == CODE_CHARS && code.bytes().all(|b| CODE_ALPHABET.contains(&b));
    fits.then_some(code)
}

/// The server's enrollment key, made on first use.
pub(super) fn enrollment_key(conn: &Connection) -> Result<[u8; 32], StoreError> {
    let stored: Option<String> = optional(
        conn,
        "SELECT value FROM server_meta WHERE key = 'enrollment_key'",
        [],
    )?;
    if let Some(key) = stored
        .and_then(|h| hex::decode(h).ok())
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
    {
        return Ok(key);
    }
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut OsRng, &mut key);
    conn.execute(
        "INSERT OR REPLACE INTO server_meta (key, value) VALUES ('enrollment_key', ?1)",
        [hex::encode(key)],
    )?;
    Ok(key)
}

pub(super) fn code_digest(key: &[u8; 32], code: &str) -> Result<Vec<u8>, StoreError> {
    let mut mac = <Hmac<Sha256>>::new_from_slice(key)
        .map_err(|e| StoreError::Internal(format!("enrollment key: {e}")))?;
    mac.update(b"linli-enroll/1|");
    mac.update(code.as_bytes());
    Ok(mac.finalize().into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_ten_unambiguous_characters_in_two_groups() {
        for _ in 0..200 {
            let code = draw_code();
            assert_eq!(code.len(), CODE_CHARS);
            assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)), "{code}");
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
            let s = shown(&code);
            assert_eq!(s.len(), CODE_CHARS + 1);
            assert_eq!(s.chars().nth(5), Some('-'));
            assert_eq!(normalize_code(&s).as_deref(), Some(code.as_str()));
        }
        assert_ne!(draw_code(), draw_code());
    }

    #[test]
    fn typed_codes_ignore_case_spaces_and_dashes() {
        assert_eq!(
            normalize_code(" k7qm4 - xr2pd ").as_deref(),
            Some("K7QM4XR2PD")
        );
        for bad in ["", "K7QM4", "K7QM4-XR2PD-A", "K7QM4-XR2P0", "K7QM4-XR2PÖ"] {
            assert_eq!(normalize_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_digest_depends_on_the_key_and_the_code() {
        let (a, b) = ([1u8; 32], [2u8; 32]);
        let d = code_digest(&a, "K7QM4XR2PD").unwrap();
        assert_eq!(d.len(), 32);
        assert_eq!(d, code_digest(&a, "K7QM4XR2PD").unwrap());
        assert_ne!(d, code_digest(&b, "K7QM4XR2PD").unwrap());
        assert_ne!(d, code_digest(&a, "K7QM4XR2PE").unwrap());
    }
}
