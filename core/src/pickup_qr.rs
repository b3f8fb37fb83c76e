//! The Linli pickup QR (提货二维码): what the consumer's phone shows and a bag label
//! prints, and what the counter's camera or USB handheld scanner reads.
//!
//! ```text
//! LINLI1:<point, 26 chars>:<pickup code, 7 digits>:<checksum, 4 chars>
//! LINLI1:01JQ8Z6K3M4N5P6Q7R8S9T0V1W:0012345:7KQ2
//! ```
//!
//! - **Compact**: only characters of the QR alphanumeric mode (digits, A–Z, `:`), so
//!   the 46 characters fit a version 3 symbol (29×29 modules) at error correction
//!   level Q, which survives 25 % damaged codewords (glare, a crease, a stain).
//! - **Versioned**: `LINLI` then a format version digit. A newer format is refused
//!   with "update the app", not mistaken for garbage.
//! - **Checksummed**: 20 bits of SHA-256 over the rest. The QR's own error
//!   correction already protects camera reads; the checksum catches what a keyboard
//!   wedge scanner or a person can mangle (a dropped or swapped character).
//! - **Enough to find the order at once**: the point tells "belongs to another
//!   point" without a lookup; the code is digested with the point key and looked up
//!   in the replica's unique index, exactly as a typed code.
//!
//! The point id is written in Crockford base32 (26 characters for 128 bits), which
//! reads case-insensitively, so a handheld scanner typing with Caps Lock still works.

use std::fmt;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ids::PointId;
use crate::pickup_code::PickupCode;

/// The prefix every Linli pickup QR starts with, before the version digit.
pub const PREFIX: &str = "LINLI";
/// The payload format this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;

/// Crockford's base32 alphabet: no I, L, O, U, so nothing reads as 1 or 0 by mistake.
const BASE32: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const POINT_CHARS: usize = 26;
const CHECKSUM_CHARS: usize = 4;

/// What a pickup QR carries: the point where the order waits and its pickup code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct PickupQr {
    pub point: PointId,
    pub code: PickupCode,
}

/// Why a scanned text is not a usable Linli pickup QR. Each variant is a reason the
/// counter can show in plain words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PickupQrError {
    #[error("this QR code is not a Linli pickup code: it is {0}")]
    Foreign(ForeignQr),
    #[error("this pickup QR was made by a newer Linli (format {0}); update the app")]
    UnsupportedVersion(String),
    #[error("this Linli pickup QR is damaged ({0}); scan again or type the 7-digit code")]
    Malformed(&'static str),
    #[error(
        "this Linli pickup QR was misread (checksum mismatch); scan again or type the 7-digit code"
    )]
    ChecksumMismatch,
}

/// The kinds of foreign QR codes a counter meets, so the message says what the
/// customer actually showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForeignQr {
    /// A WeChat Pay, Alipay or UnionPay code: the customer opened the wrong screen.
    PaymentCode,
    /// A web address (a shop's page, a mini-program link, an ad).
    WebAddress,
    /// Anything else (text, a Wi-Fi login, a contact card, another app's code).
    Other,
}

impl fmt::Display for ForeignQr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ForeignQr::PaymentCode => {
                "a payment code; ask the customer to open the pickup code instead"
            }
            ForeignQr::WebAddress => "a web address",
            ForeignQr::Other => "some other code",
        })
    }
}

impl PickupQrError {
    /// The reason in Chinese, for the counter screen (zh-CN first).
    pub fn message_zh(&self) -> &'static str {
        match self {
            PickupQrError::Foreign(ForeignQr::PaymentCode) => {
                "这是付款码，不是提货码。请顾客打开提货码。"
            }
            PickupQrError::Foreign(ForeignQr::WebAddress) => "这是网址二维码，不是提货码。",
            PickupQrError::Foreign(ForeignQr::Other) => "这不是邻里提货码。",
            PickupQrError::UnsupportedVersion(_) => "提货码版本较新，请升级应用。",
            PickupQrError::Malformed(_) | PickupQrError::ChecksumMismatch => {
                "提货码读取有误，请重新扫描或输入7位提货码。"
            }
        }
    }
}

impl PickupQr {
    pub fn new(point: PointId, code: PickupCode) -> Self {
        PickupQr { point, code }
    }

    /// The text to put in the QR code.
    pub fn encode(&self) -> String {
        let body = format!(
            "{PREFIX}{FORMAT_VERSION}:{}:{}",
            point_to_base32(self.point),
            self.code.digits()
        );
        let checksum = checksum(&body);
        format!("{body}:{checksum}")
    }

    /// The QR symbol for this payload, at error correction level Q (see the module doc).
    /// The whole text goes in one alphanumeric segment in the smallest version that
    /// holds it: the `qrcode` crate's own segmenter splits the digits off into numeric
    /// segments and their headers push the code up to version 4.
    pub fn to_qr_code(&self) -> Result<qrcode::QrCode, qrcode::types::QrError> {
        alphanumeric_symbol(&self.encode())
    }

    /// Reads what a camera or a handheld scanner produced. Surrounding whitespace (a
    /// scanner's trailing Enter) and letter case are ignored; nothing else is.
    pub fn parse(scanned: &str) -> Result<Self, PickupQrError> {
        let text = scanned.trim();
        let upper = text.to_ascii_uppercase();
        let Some(rest) = upper.strip_prefix(PREFIX) else {
            return Err(PickupQrError::Foreign(classify_foreign(text)));
        };
        let Some((version, fields)) = rest.split_once(':') else {
            return Err(PickupQrError::Malformed("no format version"));
        };
        if version != FORMAT_VERSION.to_string() {
            if !version.is_empty()
                && version.len() <= 3
                && version.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(PickupQrError::UnsupportedVersion(version.to_string()));
            }
            return Err(PickupQrError::Malformed("bad format version"));
        }
        let parts: Vec<&str> = fields.split(':').collect();
        let [point, code, sum] = parts[..] else {
            return Err(PickupQrError::Malformed("wrong number of fields"));
        };
        if sum.len() != CHECKSUM_CHARS {
            return Err(PickupQrError::Malformed("checksum has the wrong length"));
        }
        let body_len = upper.len() - sum.len() - 1;
        if checksum(&upper[..body_len]) != sum {
            return Err(PickupQrError::ChecksumMismatch);
        }
        let point = point_from_base32(point).ok_or(PickupQrError::Malformed("bad point id"))?;
        if code.len() != crate::pickup_code::CODE_DIGITS {
            return Err(PickupQrError::Malformed("bad pickup code"));
        }
        let code =
            PickupCode::parse(code).map_err(|_| PickupQrError::Malformed("bad pickup code"))?;
        Ok(PickupQr { point, code })
    }
}

/// `text` (QR alphanumeric characters only) as one alphanumeric segment at level Q,
/// in the smallest version that holds it (shared with `bag_qr`).
pub(crate) fn alphanumeric_symbol(text: &str) -> Result<qrcode::QrCode, qrcode::types::QrError> {
    let mut last = qrcode::types::QrError::DataTooLong;
    for v in 1..=40 {
        let mut bits = qrcode::bits::Bits::new(qrcode::Version::Normal(v));
        let pushed = bits
            .push_alphanumeric_data(text.as_bytes())
            .and_then(|()| bits.push_terminator(qrcode::EcLevel::Q));
        match pushed {
            Ok(()) => return qrcode::QrCode::with_bits(bits, qrcode::EcLevel::Q),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Names the kind of a QR that is not ours. Payment codes come first: a customer
/// who opens the wrong screen in WeChat or Alipay is the common case at a counter.
fn classify_foreign(text: &str) -> ForeignQr {
    let lower = text.to_ascii_lowercase();
    const PAYMENT_PREFIXES: [&str; 6] = [
        "wxp://",
        "weixin://wxpay",
        "https://qr.alipay.com/",
        "alipays://",
        "https://qr.95516.com/",
        "upi://",
    ];
    if PAYMENT_PREFIXES.iter().any(|p| lower.starts_with(p)) || is_payment_auth_code(text) {
        return ForeignQr::PaymentCode;
    }
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
        return ForeignQr::WebAddress;
    }
    ForeignQr::Other
}

/// The numeric "付款码" a payer shows: WeChat Pay uses 18 digits starting 10–15,
/// Alipay 16–24 digits starting 25–30.
fn is_payment_auth_code(text: &str) -> bool {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let lead: u32 = text.get(..2).and_then(|s| s.parse().ok()).unwrap_or(0);
    (text.len() == 18 && (10..=15).contains(&lead))
        || ((16..=24).contains(&text.len()) && (25..=30).contains(&lead))
}

/// 20 bits of SHA-256 over `body`, as four base32 characters (shared with `bag_qr`).
pub(crate) fn checksum(body: &str) -> String {
    let hash = Sha256::digest(body.as_bytes());
    let bits = (u32::from(hash[0]) << 12) | (u32::from(hash[1]) << 4) | (u32::from(hash[2]) >> 4);
    (0..CHECKSUM_CHARS)
        .rev()
        .map(|i| BASE32[((bits >> (5 * i)) & 31) as usize] as char)
        .collect()
}

fn point_to_base32(point: PointId) -> String {
    uuid_to_base32(point.0)
}

fn point_from_base32(s: &str) -> Option<PointId> {
    uuid_from_base32(s).map(PointId)
}

/// A UUID as 26 Crockford base32 characters (shared with `bag_qr`).
pub(crate) fn uuid_to_base32(id: Uuid) -> String {
    let n = id.as_u128();
    (0..POINT_CHARS)
        .rev()
        .map(|i| BASE32[((n >> (5 * i)) & 31) as usize] as char)
        .collect()
}

/// Reads [`uuid_to_base32`]'s form (upper case); `None` for anything else.
pub(crate) fn uuid_from_base32(s: &str) -> Option<Uuid> {
    if s.len() != POINT_CHARS {
        return None;
    }
    let mut n: u128 = 0;
    for (i, c) in s.bytes().enumerate() {
        let v = base32_value(c)?;
        // 26 characters carry 130 bits; the first may use only the low 3.
        if i == 0 && v > 7 {
            return None;
        }
        n = (n << 5) | u128::from(v);
    }
    Some(Uuid::from_u128(n))
}

/// Crockford decoding: O reads as 0, I and L as 1 (input is already upper case).
fn base32_value(c: u8) -> Option<u8> {
    let c = match c {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        other => other,
    };
    BASE32.iter().position(|&a| a == c).map(|p| p as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> PickupQr {
        PickupQr::new(
            PointId(Uuid::from_u128(0x0190_1234_5678_7abc_8def_0123_4567_89ab)),
            PickupCode::parse("0012345").unwrap(),
        )
    }

    #[test]
    fn encodes_compactly_in_alphanumeric_characters() {
        let text = sample().encode();
        assert_eq!(text.len(), 46);
        assert!(text.starts_with("LINLI1:"));
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b':'));
        let qr = sample().to_qr_code().unwrap();
        assert_eq!(qr.version(), qrcode::Version::Normal(3));
    }

    #[test]
    fn round_trips_and_ignores_case_and_scanner_whitespace() {
        let qr = sample();
        assert_eq!(PickupQr::parse(&qr.encode()), Ok(qr));
        let typed = format!("  {}\r\n", qr.encode().to_ascii_lowercase());
        assert_eq!(PickupQr::parse(&typed), Ok(qr));
    }

    #[test]
    fn a_changed_character_fails_the_checksum() {
        let text = sample().encode();
        // Change one digit of the pickup code.
        let changed = text.replacen(":0012345:", ":0012346:", 1);
        assert_eq!(
            PickupQr::parse(&changed),
            Err(PickupQrError::ChecksumMismatch)
        );
    }

    #[test]
    fn refuses_foreign_codes_by_kind() {
        let foreign = |s| PickupQr::parse(s).unwrap_err();
        assert_eq!(
            foreign("wxp://f2f0abc"),
            PickupQrError::Foreign(ForeignQr::PaymentCode)
        );
        assert_eq!(
            foreign("https://qr.alipay.com/fkx1234"),
            PickupQrError::Foreign(ForeignQr::PaymentCode)
        );
        assert_eq!(
            foreign("134567890123456789"),
            PickupQrError::Foreign(ForeignQr::PaymentCode)
        );
        assert_eq!(
            foreign("https://example.com/shop"),
            PickupQrError::Foreign(ForeignQr::WebAddress)
        );
        assert_eq!(
            foreign("WIFI:S:shop;T:WPA;P:x;;"),
            PickupQrError::Foreign(ForeignQr::Other)
        );
        let msg = foreign("wxp://f2f0abc").to_string();
        assert!(msg.contains("payment code"), "{msg}");
        assert!(foreign("wxp://f2f0abc").message_zh().contains("付款码"));
    }

    #[test]
    fn a_newer_format_asks_for_an_update() {
        assert_eq!(
            PickupQr::parse("LINLI2:ABC:1234567:XXXX"),
            Err(PickupQrError::UnsupportedVersion("2".into()))
        );
    }

    #[test]
    fn refuses_malformed_linli_texts() {
        for text in [
            "LINLI",
            "LINLI1",
            "LINLI1:",
            "LINLI1:A:B",
            "LINLIX:A:B:C",
            "LINLI1:::",
        ] {
            assert!(
                matches!(PickupQr::parse(text), Err(PickupQrError::Malformed(_))),
                "{text}"
            );
        }
    }

    proptest! {
        #[test]
        fn every_point_and_code_round_trips(id: u128, n in 0u32..10_000_000) {
            let qr = PickupQr::new(
                PointId(Uuid::from_u128(id)),
                PickupCode::parse(&format!("{n:07}")).unwrap(),
            );
            prop_assert_eq!(PickupQr::parse(&qr.encode()), Ok(qr));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,80}") {
            let _ = PickupQr::parse(&s);
        }
    }
}
