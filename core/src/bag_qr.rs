//! The bag label QR (袋标二维码): which order a bag on the shelf belongs to. It is
//! not a pickup code and never hands anything over (decision 0012): a bag label sits
//! on an open shelf where anyone can photograph it, so it carries the order id, which
//! the counter already holds, and no secret.
//!
//! ```text
//! LINLIBAG1:<order id, 26 chars>:<checksum, 4 chars>
//! LINLIBAG1:01JQ8Z6K3M4N5P6Q7R8S9T0V1W:7KQ2
//! ```
//!
//! Built like the pickup QR (`pickup_qr`): QR alphanumeric characters only (41 of
//! them, a version 3 symbol at level Q, the size the label's QR square was measured
//! for), a format version, and the same 20-bit checksum against a scanner's typos.
//! It starts with `LINLI`, so the pickup input takes a handheld scanner's burst of
//! it as a scan, and says plainly that it is a bag label.

use crate::ids::OrderId;
use crate::pickup_qr::{alphanumeric_symbol, checksum, uuid_from_base32, uuid_to_base32};

/// What every bag label payload starts with, before its version digit.
pub const PREFIX: &str = "LINLIBAG";
/// The payload format this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BagQr {
    pub order: OrderId,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BagQrError {
    #[error("this bag label was made by a newer Linli (format {0}); update the app")]
    UnsupportedVersion(String),
    #[error("this bag label QR is damaged ({0}); scan again or search the order number")]
    Malformed(&'static str),
    #[error("this bag label QR was misread (checksum mismatch); scan again")]
    ChecksumMismatch,
}

impl BagQr {
    pub fn new(order: OrderId) -> Self {
        BagQr { order }
    }

    /// True when `scanned` claims to be a bag label (any case, surrounding space ignored).
    pub fn looks_like(scanned: &str) -> bool {
        scanned
            .trim()
            .get(..PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(PREFIX))
    }

    /// The text to put in the QR code.
    pub fn encode(&self) -> String {
        let body = format!("{PREFIX}{FORMAT_VERSION}:{}", uuid_to_base32(self.order.0));
        let sum = checksum(&body);
        format!("{body}:{sum}")
    }

    /// The QR symbol: one alphanumeric segment at level Q (version 3).
    pub fn to_qr_code(&self) -> Result<qrcode::QrCode, qrcode::types::QrError> {
        alphanumeric_symbol(&self.encode())
    }

    pub fn parse(scanned: &str) -> Result<Self, BagQrError> {
        let upper = scanned.trim().to_ascii_uppercase();
        let rest = upper
            .strip_prefix(PREFIX)
            .ok_or(BagQrError::Malformed("not a bag label"))?;
        let (version, fields) = rest
            .split_once(':')
            .ok_or(BagQrError::Malformed("no format version"))?;
        if version != FORMAT_VERSION.to_string() {
            if !version.is_empty()
                && version.len() <= 3
                && version.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(BagQrError::UnsupportedVersion(version.to_string()));
            }
            return Err(BagQrError::Malformed("bad format version"));
        }
        let Some((order, sum)) = fields.split_once(':') else {
            return Err(BagQrError::Malformed("wrong number of fields"));
        };
        if sum.len() != 4 || sum.contains(':') {
            return Err(BagQrError::Malformed("checksum has the wrong length"));
        }
        if checksum(&upper[..upper.len() - sum.len() - 1]) != sum {
            return Err(BagQrError::ChecksumMismatch);
        }
        let order = uuid_from_base32(order).ok_or(BagQrError::Malformed("bad order id"))?;
        Ok(BagQr {
            order: OrderId(order),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pickup_qr::PickupQr;
    use proptest::prelude::*;

    #[test]
    fn encodes_in_a_version_3_symbol_and_round_trips_in_any_case() {
        let bag = BagQr::new(OrderId::new());
        let text = bag.encode();
        assert_eq!(text.len(), 41);
        assert!(text.starts_with("LINLIBAG1:"));
        assert_eq!(
            bag.to_qr_code().unwrap().version(),
            qrcode::Version::Normal(3)
        );
        assert_eq!(
            BagQr::parse(&format!(" {}\r\n", text.to_lowercase())),
            Ok(bag)
        );
        assert!(BagQr::looks_like(&text.to_lowercase()));
    }

    #[test]
    fn is_never_read_as_a_pickup_code_and_a_pickup_code_never_as_a_bag() {
        let text = BagQr::new(OrderId::new()).encode();
        assert!(PickupQr::parse(&text).is_err());
        let pickup = PickupQr::new(
            crate::ids::PointId::new(),
            crate::pickup_code::PickupCode::parse("0012345").unwrap(),
        )
        .encode();
        assert!(!BagQr::looks_like(&pickup));
        assert!(BagQr::parse(&pickup).is_err());
    }

    #[test]
    fn refuses_a_changed_character_a_newer_format_and_garbage() {
        let text = BagQr::new(OrderId::new()).encode();
        let mut bytes = text.clone().into_bytes();
        bytes[12] = if bytes[12] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(bytes).unwrap();
        assert_eq!(BagQr::parse(&changed), Err(BagQrError::ChecksumMismatch));
        assert_eq!(
            BagQr::parse("LINLIBAG2:X:ABCD"),
            Err(BagQrError::UnsupportedVersion("2".into()))
        );
        for bad in [
            "LINLIBAG",
            "LINLIBAG1",
            "LINLIBAG1:",
            "LINLIBAG1:A:B:C",
            "LINLIBAGX:A:B",
        ] {
            assert!(
                matches!(BagQr::parse(bad), Err(BagQrError::Malformed(_))),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn every_order_round_trips(id: u128) {
            let bag = BagQr::new(OrderId(uuid::Uuid::from_u128(id)));
            prop_assert_eq!(BagQr::parse(&bag.encode()), Ok(bag));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,80}") {
            let _ = BagQr::parse(&s);
        }
    }
}
