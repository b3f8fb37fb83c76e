//! The pickup desk (核销): verify and hand over (the camera's live view is
//! `commands::camera`; what it reads comes back through `verify_code`).

use linli_core::app::pickup_desk::{self, Verdict};
use linli_core::app::AppError;
use linli_core::counter::CodeMethod;
use linli_core::handover::HandoverLine;
use linli_core::replica::HandoverReceipt;
use tauri::State;

use crate::counter::Counter;

#[tauri::command]
pub async fn verify_code(counter: State<'_, Counter>, input: String) -> Result<Verdict, AppError> {
    Ok(pickup_desk::verify(&*counter.replica()?, &input))
}

#[tauri::command]
pub async fn hand_over(
    counter: State<'_, Counter>,
    input: String,
    lines: Option<Vec<HandoverLine>>,
    method: CodeMethod,
) -> Result<HandoverReceipt, AppError> {
    counter.write(|r| pickup_desk::hand_over(r, &input, lines, method))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::commands::test_support::counter;

    #[test]
    fn a_typed_code_is_refused_until_accepted_then_handed_over_once() {
        let c = counter(6);
        let code = c.code(0);
        let before = c.ok("verify_code", json!({ "input": code }));
        assert_eq!(before["kind"], "refused");
        assert_eq!(before["error"]["reason"], "not_arrived");
        assert_eq!(before["error"]["zh"], "商品尚未到货：本点还未验收今日配送");

        c.ok("accept_delivery", json!({ "day": "2026-11-22" }));
        let ready = c.ok("verify_code", json!({ "input": code }));
        assert_eq!(ready["kind"], "ready", "{ready}");
        assert_eq!(ready["card"]["order"]["number"], c.seeded.orders[0].number);

        let receipt = c.ok(
            "hand_over",
            json!({ "input": code, "lines": null, "method": "Typed" }),
        );
        assert_eq!(receipt["number"], c.seeded.orders[0].number);
        let again = c.ok("verify_code", json!({ "input": code }));
        assert_eq!(again["error"]["reason"], "already_picked_up");
        assert!(again["error"]["zh"].as_str().unwrap().starts_with("已于 "));
    }

    #[test]
    fn every_refusal_comes_with_both_languages() {
        let c = counter(6);
        c.ok("accept_delivery", json!({ "day": "2026-11-22" }));
        let reason = |input: &str| {
            let v = c.ok("verify_code", json!({ "input": input }));
            assert_eq!(v["kind"], "refused", "{input}: {v}");
            assert!(!v["error"]["zh"].as_str().unwrap().is_empty());
            assert!(!v["error"]["en"].as_str().unwrap().is_empty());
            v["error"]["reason"].as_str().unwrap().to_string()
        };
        assert_eq!(reason("12"), "malformed");
        assert_eq!(reason(&c.seeded.other_point_qr), "other_point");
        assert_eq!(reason(&c.seeded.orders[1].code), "cancelled");
        let known: Vec<&str> = c.seeded.orders.iter().map(|o| o.code.as_str()).collect();
        let unknown = (0..10_000_000u32)
            .map(|n| format!("{n:07}"))
            .find(|s| !known.contains(&s.as_str()))
            .unwrap();
        assert_eq!(reason(&unknown), "unknown");
    }

    #[test]
    fn a_scanned_bag_label_names_its_order_and_never_hands_over() {
        let c = counter(4);
        c.ok("accept_delivery", json!({ "day": "2026-11-22" }));
        let number = &c.seeded.orders[0].number;
        let row = c.ok(
            "list_orders",
            json!({ "tab": "toPickUp", "search": number }),
        );
        let order: linli_core::ids::OrderId = serde_json::from_value(row[0]["id"].clone()).unwrap();
        let label = linli_core::bag_qr::BagQr::new(order).encode();
        let v = c.ok("verify_code", json!({ "input": label }));
        assert_eq!(v["error"]["reason"], "bag_label", "{v}");
        let zh = v["error"]["zh"].as_str().unwrap();
        assert!(
            zh.contains(number.as_str()) && zh.contains("不是提货码"),
            "{zh}"
        );
        let refused = c
            .call(
                "hand_over",
                json!({ "input": label, "lines": null, "method": "Scanner" }),
            )
            .unwrap_err();
        assert_eq!(refused["reason"], "bag_label");
        let still = c.ok(
            "list_orders",
            json!({ "tab": "toPickUp", "search": number }),
        );
        assert_eq!(
            still[0]["status"], "ReadyForPickup",
            "nothing was handed over"
        );
    }

    #[test]
    fn a_scanned_payload_and_a_partial_handover() {
        let c = counter(12);
        c.ok("accept_delivery", json!({ "day": "2026-11-22" }));
        // An order with at least two lines, scanned as its QR payload.
        let (i, card) = (0..c.seeded.orders.len())
            .filter(|i| !c.seeded.orders[*i].cancelled)
            .map(|i| {
                (
                    i,
                    c.ok("verify_code", json!({ "input": c.seeded.orders[i].qr })),
                )
            })
            .find(|(_, v)| v["card"]["lines"].as_array().is_some_and(|l| l.len() >= 2))
            .expect("a sample order with two lines");
        let first = &card["card"]["lines"][0];
        let lines = json!([{ "sku": first["sku"], "qty": 1 }]);
        let qr = &c.seeded.orders[i].qr;
        c.ok(
            "hand_over",
            json!({ "input": qr, "lines": lines, "method": "Scanner" }),
        );
        let after = c.ok("verify_code", json!({ "input": qr }));
        assert_eq!(after["kind"], "ready", "the rest is still due: {after}");
        assert_eq!(after["card"]["order"]["status"], "PartlyPickedUp");

        let too_many = json!([{ "sku": first["sku"], "qty": 99 }]);
        let refused = c
            .call(
                "hand_over",
                json!({ "input": qr, "lines": too_many, "method": "Scanner" }),
            )
            .unwrap_err();
        assert_eq!(refused["reason"], "handover_lines");
        assert!(refused["zh"].as_str().unwrap().contains("只剩"));
    }
}
