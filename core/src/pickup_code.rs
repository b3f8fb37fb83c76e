//! The pickup code (提货码): 7 digits, born on the server from a CSPRNG, unique
//! among the point's open orders, single use, valid only at its own point.
//!
//! Devices never hold the plain code, only `CodeDigest = HMAC-SHA256(point key, code)`.
//! The point key reaches a device with its enrollment; a stolen replica file alone
//! does not reveal the codes. (With the key, 10^7 codes are cheap to enumerate: the
//! digest protects the file at rest, not a device that is fully compromised.)

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, Mac};
use rand::{CryptoRng, Rng};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Number of digits in a pickup code.
pub const CODE_DIGITS: usize = 7;

/// A well-formed 7-digit pickup code. Leading zeros are significant.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PickupCode(u32);

/// Why a typed or scanned string is not a pickup code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeFormatError {
    #[error("the pickup code is empty")]
    Empty,
    #[error("a pickup code has 7 digits; '{0}' has {1}")]
    WrongLength(String, usize),
    #[error("a pickup code has only digits; '{0}' has other characters")]
    NotDigits(String),
}

impl PickupCode {
    /// Parses what a leader typed or a scanner sent. Spaces and dashes that people
    /// type to group digits ("123 4567", "123-4567") are ignored; nothing else is.
    pub fn parse(input: &str) -> Result<Self, CodeFormatError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(CodeFormatError::Empty);
        }
        let shown: String = trimmed.chars().take(32).collect();
        let digits: String = trimmed.chars().filter(|c| *c != ' ' && *c != '-').collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(CodeFormatError::NotDigits(shown));
        }
        if digits.len() != CODE_DIGITS {
            return Err(CodeFormatError::WrongLength(shown, digits.len()));
        }
        digits
            .parse::<u32>()
            .map(PickupCode)
            .map_err(|_| CodeFormatError::NotDigits(shown))
    }

    /// A uniformly random code from a cryptographically secure generator.
    pub fn random<R: Rng + CryptoRng>(rng: &mut R) -> Self {
        PickupCode(rng.gen_range(0..10_000_000))
    }

    /// A fresh random code whose digest is not among `taken` (the digests of the
    /// point's open orders). With at most a few thousand open orders per point the
    /// expected number of draws is 1.0-something; the bound only stops a full point.
    pub fn generate_unique<R: Rng + CryptoRng>(
        rng: &mut R,
        key: &CodeKey,
        taken: &HashSet<CodeDigest>,
    ) -> Result<(Self, CodeDigest), CodeSpaceExhausted> {
        for _ in 0..1_000 {
            let code = Self::random(rng);
            let digest = key.digest(&code);
            if !taken.contains(&digest) {
                return Ok((code, digest));
            }
        }
        Err(CodeSpaceExhausted)
    }

    /// The 7 digits, with leading zeros.
    pub fn digits(&self) -> String {
        format!("{:07}", self.0)
    }
}

impl fmt::Display for PickupCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:07}", self.0)
    }
}

/// Deliberately hides the digits so a code never lands in a log by accident.
impl fmt::Debug for PickupCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PickupCode(*******)")
    }
}

impl FromStr for PickupCode {
    type Err = CodeFormatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A thousand random draws all hit taken codes: the point has far too many open orders.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not find a free pickup code for this point: too many open orders")]
pub struct CodeSpaceExhausted;

/// The per-point secret that keys code digests.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeKey([u8; 32]);

impl CodeKey {
    pub fn random<R: Rng + CryptoRng>(rng: &mut R) -> Self {
        let mut k = [0u8; 32];
        rng.fill_bytes(&mut k);
        CodeKey(k)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        CodeKey(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn digest(&self, code: &PickupCode) -> CodeDigest {
        // HMAC accepts keys of any length, so this cannot fail for a 32-byte key.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .expect("HMAC-SHA256 takes a key of any length");
        mac.update(code.digits().as_bytes());
        let out = mac.finalize().into_bytes();
        let mut d = [0u8; 16];
        d.copy_from_slice(&out[..16]);
        CodeDigest(d)
    }
}

impl fmt::Debug for CodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeKey(..)")
    }
}

/// The first 128 bits of HMAC-SHA256(point key, code digits): what documents and
/// replicas store, and what the replica's unique index is built on.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CodeDigest(pub [u8; 16]);

impl autosurgeon::Reconcile for CodeDigest {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        r.bytes(self.0)
    }
}

impl autosurgeon::Hydrate for CodeDigest {
    fn hydrate_bytes(bytes: &[u8]) -> Result<Self, autosurgeon::HydrateError> {
        <[u8; 16]>::try_from(bytes).map(CodeDigest).map_err(|_| {
            autosurgeon::HydrateError::unexpected("16 bytes", format!("{} bytes", bytes.len()))
        })
    }
}

impl CodeDigest {
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 32 || !s.is_ascii() {
            return None;
        }
        let mut d = [0u8; 16];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let hex = std::str::from_utf8(chunk).ok()?;
            d[i] = u8::from_str_radix(hex, 16).ok()?;
        }
        Some(CodeDigest(d))
    }
}

impl fmt::Debug for CodeDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CodeDigest({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::OsRng;

    #[test]
    fn parses_seven_digits_keeping_leading_zeros() {
        let c = PickupCode::parse("0012345").unwrap();
        assert_eq!(c.digits(), "0012345");
        assert_eq!(PickupCode::parse(" 001-2345 ").unwrap(), c);
    }

    #[test]
    fn refuses_each_malformed_input_with_its_own_reason() {
        assert_eq!(PickupCode::parse("  "), Err(CodeFormatError::Empty));
        assert_eq!(
            PickupCode::parse("123456"),
            Err(CodeFormatError::WrongLength("123456".into(), 6))
        );
        assert_eq!(
            PickupCode::parse("12345678"),
            Err(CodeFormatError::WrongLength("12345678".into(), 8))
        );
        assert_eq!(
            PickupCode::parse("12a4567"),
            Err(CodeFormatError::NotDigits("12a4567".into()))
        );
        // Full-width digits look like digits but are not what a code is made of.
        assert!(matches!(
            PickupCode::parse("１２３４５６７"),
            Err(CodeFormatError::NotDigits(_))
        ));
    }

    #[test]
    fn debug_never_prints_the_code() {
        let c = PickupCode::parse("7654321").unwrap();
        assert!(!format!("{c:?}").contains("7654321"));
    }

    #[test]
    fn digests_depend_on_the_point_key() {
        let code = PickupCode::parse("1234567").unwrap();
        let a = CodeKey::from_bytes([1; 32]);
        let b = CodeKey::from_bytes([2; 32]);
        assert_ne!(a.digest(&code), b.digest(&code));
        assert_eq!(a.digest(&code), a.digest(&code));
    }

    #[test]
    fn generated_codes_avoid_taken_digests() {
        let key = CodeKey::random(&mut OsRng);
        let mut taken = HashSet::new();
        for _ in 0..2_000 {
            let (code, digest) = PickupCode::generate_unique(&mut OsRng, &key, &taken).unwrap();
            assert_eq!(key.digest(&code), digest);
            assert!(taken.insert(digest), "a generated code collided");
        }
    }

    proptest! {
        #[test]
        fn every_seven_digit_string_round_trips(n in 0u32..10_000_000) {
            let s = format!("{n:07}");
            let code = PickupCode::parse(&s).unwrap();
            prop_assert_eq!(code.digits(), s);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = PickupCode::parse(&s);
        }

        #[test]
        fn digest_hex_round_trips(bytes in proptest::array::uniform16(any::<u8>())) {
            let d = CodeDigest(bytes);
            prop_assert_eq!(CodeDigest::from_hex(&d.to_hex()), Some(d));
        }
    }
}
