//! The pickup desk (核销): one input takes a typed 7-digit code, a handheld
//! scanner's QR payload, or the text the camera decoded; all of them land on the
//! same verify, and a confirmed verify becomes a handover.

use serde::Serialize;

use super::AppError;
use crate::bag_qr::BagQr;
use crate::counter::CodeMethod;
use crate::handover::{HandoverLine, HandoverRequest};
use crate::ids::PointId;
use crate::pickup::PickupRefusal;
use crate::pickup_code::PickupCode;
use crate::pickup_qr::{PickupQr, PREFIX};
use crate::replica::{HandoverReceipt, OrderCard, OrderRow, Replica};

/// What the one pickup input held: a code, and the point a QR payload names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PickupInput {
    pub code: PickupCode,
    /// `Some` for a QR payload: how "another point's code" is told from "unknown".
    pub claimed_point: Option<PointId>,
}

/// Reads the input: a Linli QR payload if it starts with `LINLI` (any case, as a
/// scanner with Caps Lock types it), else a typed code.
pub fn read_input(raw: &str) -> Result<PickupInput, AppError> {
    let text = raw.trim();
    if BagQr::looks_like(text) {
        return Err(bag_label_refusal(None));
    }
    if text
        .get(..PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(PREFIX))
    {
        let qr = PickupQr::parse(text)?;
        return Ok(PickupInput {
            code: qr.code,
            claimed_point: Some(qr.point),
        });
    }
    let code = PickupCode::parse(text).map_err(PickupRefusal::Malformed)?;
    Ok(PickupInput {
        code,
        claimed_point: None,
    })
}

/// The result card: the order ready to hand over, or why it cannot be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Verdict {
    Ready { card: OrderCard },
    Refused { error: AppError },
}

/// A bag label is scanned at the desk, but it only names the order (decision 0012):
/// it never hands anything over. Says which bag it is when the order is known.
fn bag_label_refusal(order: Option<&OrderRow>) -> AppError {
    let (zh, en) = match order {
        Some(o) => (
            format!(
                "这是袋标，不是提货码：订单 {}（{} 尾号 {}）。请顾客出示提货码或提货二维码。",
                o.number, o.consumer_name, o.phone_tail
            ),
            format!(
                "This is a bag label, not a pickup code: order {} ({}, phone ending {}). \
                 Ask the customer for their pickup code or pickup QR.",
                o.number, o.consumer_name, o.phone_tail
            ),
        ),
        None => (
            "这是袋标，不是提货码，本机没有它的订单（可能是别的自提点的袋子）。请顾客出示提货码。"
                .to_string(),
            "This is a bag label, not a pickup code, and its order is not on this device \
             (perhaps another point's bag). Ask the customer for their pickup code."
                .to_string(),
        ),
    };
    AppError::new("bag_label", zh, en)
}

/// Verifies what was typed or scanned. A refusal is an answer, not a failure.
pub fn verify(replica: &Replica, raw: &str) -> Verdict {
    if BagQr::looks_like(raw) {
        let error = match BagQr::parse(raw) {
            Ok(bag) => match replica.order_card(bag.order) {
                Ok(card) => bag_label_refusal(card.as_ref().map(|c| &c.order)),
                Err(e) => e.into(),
            },
            Err(e) => AppError::new("bad_qr", "袋标读取有误，请重新扫描。", e.to_string()),
        };
        return Verdict::Refused { error };
    }
    let found = read_input(raw).and_then(|input| {
        replica
            .verify_code(&input.code, input.claimed_point)
            .map_err(AppError::from)
    });
    match found {
        Ok(card) => Verdict::Ready { card },
        Err(error) => Verdict::Refused { error },
    }
}

/// Hands over the goods: every line still due when `lines` is `None`, else only
/// the chosen lines and quantities (a partial handover).
pub fn hand_over(
    replica: &mut Replica,
    raw: &str,
    lines: Option<Vec<HandoverLine>>,
    method: CodeMethod,
) -> Result<HandoverReceipt, AppError> {
    let input = read_input(raw)?;
    let request = match lines {
        None => HandoverRequest::Whole,
        Some(l) => HandoverRequest::Lines(l),
    };
    Ok(replica.hand_over(&input.code, input.claimed_point, &request, method)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_typed_codes_and_qr_payloads_in_any_case() {
        let typed = read_input(" 123-4567 ").unwrap();
        assert_eq!(typed.code.digits(), "1234567");
        assert_eq!(typed.claimed_point, None);

        let point = PointId::new();
        let code = PickupCode::parse("0012345").unwrap();
        let payload = PickupQr::new(point, code).encode();
        let scanned = read_input(&payload.to_lowercase()).unwrap();
        assert_eq!(scanned.claimed_point, Some(point));
        assert_eq!(scanned.code, code);
    }

    #[test]
    fn says_why_in_both_languages() {
        let short = read_input("12345").unwrap_err();
        assert_eq!(short.reason, "malformed");
        assert_eq!(short.zh, "提货码应为7位数字，您输入了5位");
        assert!(short.en.contains("7 digits"), "{}", short.en);
        let bag = crate::bag_qr::BagQr::new(crate::ids::OrderId::new()).encode();
        let refused = read_input(&bag).unwrap_err();
        assert_eq!(refused.reason, "bag_label");
        assert!(refused.zh.contains("袋标") && refused.en.contains("bag label"));
        let bad_qr = read_input("LINLI1:garbage").unwrap_err();
        assert_eq!(bad_qr.reason, "bad_qr");
        assert!(!bad_qr.zh.is_empty() && !bad_qr.en.is_empty());
    }
}
