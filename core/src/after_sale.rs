//! After-sale intake (售后登记) at the counter: a claim filed by the consumer or by the
//! leader on their behalf. The platform decides it; the counter only records it.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::counter::CounterStamp;
use crate::ids::OrderId;
use crate::time::Millis;

/// A claim needs at least this many photos.
pub const MIN_CLAIM_PHOTOS: usize = 2;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct AfterSaleIntake {
    pub order: OrderId,
    pub claimant_name: String,
    pub claimant_phone: String,
    pub description: String,
    /// Content hashes of the photos stored beside the replica.
    pub photos: Vec<String>,
    pub stamp: CounterStamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    #[error("the claimant's name is empty")]
    NoName,
    #[error("'{0}' is not a mainland mobile number (11 digits starting with 1)")]
    BadPhone(String),
    #[error("describe the problem (at least 5 characters)")]
    NoDescription,
    #[error("a claim needs at least {MIN_CLAIM_PHOTOS} photos, got {0}")]
    TooFewPhotos(usize),
}

impl AfterSaleIntake {
    pub fn validate(&self) -> Result<(), IntakeError> {
        if self.claimant_name.trim().is_empty() {
            return Err(IntakeError::NoName);
        }
        let p = self.claimant_phone.trim();
        if p.len() != 11 || !p.starts_with('1') || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IntakeError::BadPhone(p.chars().take(20).collect()));
        }
        if self.description.trim().chars().count() < 5 {
            return Err(IntakeError::NoDescription);
        }
        if self.photos.len() < MIN_CLAIM_PHOTOS {
            return Err(IntakeError::TooFewPhotos(self.photos.len()));
        }
        Ok(())
    }
}

/// Why a claim was filed. Short deliveries and wrong items are the platform's
/// fault and are always refundable; the others are returns, held to the product's
/// returnable flag and return window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ClaimReason {
    /// A delivery line came up short at the counter's check.
    ShortDelivery,
    /// Something other than what was ordered arrived.
    WrongItem,
    /// Arrived or found damaged.
    Damaged,
    /// Spoiled, not as described.
    Quality,
    /// Filed at the counter without a category (`AfterSaleIntake`), or anything else.
    Other,
}

impl ClaimReason {
    pub const ALL: [ClaimReason; 5] = [
        ClaimReason::ShortDelivery,
        ClaimReason::WrongItem,
        ClaimReason::Damaged,
        ClaimReason::Quality,
        ClaimReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimReason::ShortDelivery => "short_delivery",
            ClaimReason::WrongItem => "wrong_item",
            ClaimReason::Damaged => "damaged",
            ClaimReason::Quality => "quality",
            ClaimReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ClaimReason> {
        ClaimReason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The platform's own fault: no return window applies.
    pub fn platform_fault(self) -> bool {
        matches!(self, ClaimReason::ShortDelivery | ClaimReason::WrongItem)
    }
}

/// A product's return terms, as the catalog holds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReturnTerms {
    pub returnable: bool,
    pub window_days: u32,
}

/// Why a claimed line may not be refunded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClaimRefusal {
    #[error("this product cannot be returned")]
    NotReturnable,
    #[error("the goods have not been picked up yet: cancel or refund the order instead")]
    NotReceived,
    #[error("the return window closed at {} (UTC ms)", deadline.0)]
    PastWindow { deadline: Millis },
}

impl ClaimRefusal {
    pub fn message_zh(self) -> String {
        match self {
            ClaimRefusal::NotReturnable => "该商品不支持退货".into(),
            ClaimRefusal::NotReceived => "商品还未提货：请取消订单或直接退款".into(),
            ClaimRefusal::PastWindow { .. } => "已超过该商品的退货期限".into(),
        }
    }
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The most photos one claim carries.
pub const MAX_CLAIM_PHOTOS: usize = 9;
pub const MAX_CLAIM_DESCRIPTION: usize = 500;

/// What a consumer files (售后申请), before it meets the order and the catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimFiling<'a> {
    pub reason: ClaimReason,
    pub description: &'a str,
    pub photos: usize,
    /// (SKU, quantity) claimed; empty for the whole order.
    pub lines: &'a [(crate::ids::SkuId, u32)],
}

/// Checks a consumer's filing against the order's lines (SKU, quantity still
/// not refunded) and each product's terms (`check_claim_line`, with the goods
/// received at `received_at`). Every problem is named by its field.
pub fn check_filing(
    f: &ClaimFiling<'_>,
    order: &[(crate::ids::SkuId, u32, ReturnTerms)],
    received_at: Option<Millis>,
    at: Millis,
) -> Result<(), Vec<crate::catalog::FieldError>> {
    use crate::catalog::FieldError;
    let mut errs = Vec::new();
    if f.reason == ClaimReason::ShortDelivery {
        errs.push(
            FieldError::new(
                "reason",
                "a short delivery is reported by the counter, not filed",
            )
            .zh("缺货由自提点验货时上报，无需申请"),
        );
    }
    if f.photos < MIN_CLAIM_PHOTOS || f.photos > MAX_CLAIM_PHOTOS {
        errs.push(
            FieldError::new(
                "photos",
                format!(
                    "{MIN_CLAIM_PHOTOS}–{MAX_CLAIM_PHOTOS} photos of the goods ({} given)",
                    f.photos
                ),
            )
            .zh(format!(
                "请上传 {MIN_CLAIM_PHOTOS}–{MAX_CLAIM_PHOTOS} 张商品照片（当前 {} 张）",
                f.photos
            )),
        );
    }
    let description = f.description.trim();
    if description.is_empty() || description.chars().count() > MAX_CLAIM_DESCRIPTION {
        errs.push(
            FieldError::new(
                "description",
                format!("say what is wrong (1–{MAX_CLAIM_DESCRIPTION} characters)"),
            )
            .zh(format!("请描述问题（1–{MAX_CLAIM_DESCRIPTION} 字）")),
        );
    }
    let whole: Vec<(crate::ids::SkuId, u32)> = order.iter().map(|(s, q, _)| (*s, *q)).collect();
    let asked = if f.lines.is_empty() {
        &whole[..]
    } else {
        f.lines
    };
    let mut seen = std::collections::BTreeSet::new();
    for (i, (sku, qty)) in asked.iter().enumerate() {
        let field = format!("lines[{i}]");
        let Some((_, left, terms)) = order.iter().find(|(s, _, _)| s == sku) else {
            errs.push(FieldError::new(&field, "not a line of this order").zh("不是该订单的商品"));
            continue;
        };
        if !seen.insert(*sku) {
            errs.push(FieldError::new(&field, "listed twice").zh("重复的商品"));
        } else if *qty == 0 || qty > left {
            errs.push(
                FieldError::new(&field, format!("1–{left} of this line can be claimed"))
                    .zh(format!("该商品可申请 1–{left} 件")),
            );
        } else if let Err(r) = check_claim_line(f.reason, *terms, received_at, at) {
            errs.push(FieldError::new(&field, r.to_string()).zh(r.message_zh()));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// May a claim of `reason` on a product with `terms`, whose goods the consumer
/// received at `received_at` (the handover), be refunded at `at`? The window runs
/// `window_days` × 24 h from the handover: a moment, not a business day, so no
/// calendar enters it.
pub fn check_claim_line(
    reason: ClaimReason,
    terms: ReturnTerms,
    received_at: Option<Millis>,
    at: Millis,
) -> Result<(), ClaimRefusal> {
    if reason.platform_fault() {
        return Ok(());
    }
    if !terms.returnable {
        return Err(ClaimRefusal::NotReturnable);
    }
    let Some(received) = received_at else {
        return Err(ClaimRefusal::NotReceived);
    };
    let deadline = Millis(
        received
            .0
            .saturating_add(i64::from(terms.window_days) * DAY_MS),
    );
    if at > deadline {
        return Err(ClaimRefusal::PastWindow { deadline });
    }
    Ok(())
}

#[cfg(test)]
mod filing_tests {
    use super::*;
    use crate::ids::SkuId;

    const DAY: i64 = 24 * 60 * 60 * 1000;

    #[test]
    fn a_filing_needs_photos_words_and_lines_of_the_order_within_their_window() {
        let (eggs, milk) = (SkuId::new(), SkuId::new());
        let terms = ReturnTerms {
            returnable: true,
            window_days: 2,
        };
        let order = [
            (eggs, 2, terms),
            (
                milk,
                1,
                ReturnTerms {
                    returnable: false,
                    window_days: 0,
                },
            ),
        ];
        let got = Some(Millis(0));
        let ok = ClaimFiling {
            reason: ClaimReason::Damaged,
            description: "两个蛋碎了",
            photos: 2,
            lines: &[(eggs, 2)],
        };
        assert_eq!(check_filing(&ok, &order, got, Millis(DAY)), Ok(()));
        let fields = |f: &ClaimFiling<'_>, at| {
            check_filing(f, &order, got, Millis(at))
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        let bad = ClaimFiling {
            photos: 1,
            description: " ",
            ..ok.clone()
        };
        assert_eq!(fields(&bad, DAY), ["photos", "description"]);
        assert_eq!(
            fields(
                &ClaimFiling {
                    lines: &[(eggs, 3)],
                    ..ok.clone()
                },
                DAY
            ),
            ["lines[0]"]
        );
        assert_eq!(
            fields(
                &ClaimFiling {
                    lines: &[(SkuId::new(), 1)],
                    ..ok.clone()
                },
                DAY
            ),
            ["lines[0]"]
        );
        assert_eq!(fields(&ok, 3 * DAY), ["lines[0]"], "past the window");
        // The whole order: the milk is not returnable.
        assert_eq!(
            fields(
                &ClaimFiling {
                    lines: &[],
                    ..ok.clone()
                },
                DAY
            ),
            ["lines[1]"]
        );
        // The wrong item is the platform's fault: no window, even for the milk.
        let wrong = ClaimFiling {
            reason: ClaimReason::WrongItem,
            lines: &[(milk, 1)],
            ..ok.clone()
        };
        assert_eq!(check_filing(&wrong, &order, got, Millis(30 * DAY)), Ok(()));
        let short = ClaimFiling {
            reason: ClaimReason::ShortDelivery,
            ..ok
        };
        assert_eq!(fields(&short, DAY), ["reason"]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::DeviceId;

    fn intake() -> AfterSaleIntake {
        AfterSaleIntake {
            order: OrderId::new(),
            claimant_name: "张先生".into(),
            claimant_phone: "13800138000".into(),
            description: "鸡蛋碎了三个".into(),
            photos: vec!["a".into(), "b".into()],
            stamp: CounterStamp {
                device: DeviceId::new(),
                leader: "李姐".into(),
                at: Millis(0),
            },
        }
    }

    #[test]
    fn returns_keep_to_the_products_terms_and_platform_faults_do_not() {
        let terms = ReturnTerms {
            returnable: true,
            window_days: 2,
        };
        let got = Millis(1_000);
        let day = 24 * 60 * 60 * 1000;
        assert_eq!(
            check_claim_line(
                ClaimReason::Damaged,
                terms,
                Some(got),
                Millis(1_000 + 2 * day)
            ),
            Ok(())
        );
        assert_eq!(
            check_claim_line(
                ClaimReason::Quality,
                terms,
                Some(got),
                Millis(1_001 + 2 * day)
            ),
            Err(ClaimRefusal::PastWindow {
                deadline: Millis(1_000 + 2 * day)
            })
        );
        let never = ReturnTerms {
            returnable: false,
            window_days: 7,
        };
        assert_eq!(
            check_claim_line(ClaimReason::Damaged, never, Some(got), got),
            Err(ClaimRefusal::NotReturnable)
        );
        assert_eq!(
            check_claim_line(ClaimReason::Other, terms, None, got),
            Err(ClaimRefusal::NotReceived)
        );
        // A short box or a wrong item is refunded whatever the terms, even before pickup.
        assert_eq!(
            check_claim_line(ClaimReason::ShortDelivery, never, None, Millis(i64::MAX)),
            Ok(())
        );
        assert_eq!(
            check_claim_line(ClaimReason::WrongItem, never, Some(got), Millis(i64::MAX)),
            Ok(())
        );
        for r in ClaimReason::ALL {
            assert_eq!(ClaimReason::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn a_claim_needs_name_phone_description_and_two_photos() {
        assert_eq!(intake().validate(), Ok(()));
        let mut i = intake();
        i.photos.pop();
        assert_eq!(i.validate(), Err(IntakeError::TooFewPhotos(1)));
        let mut i = intake();
        i.claimant_phone = "12345".into();
        assert!(matches!(i.validate(), Err(IntakeError::BadPhone(_))));
        let mut i = intake();
        i.claimant_name = " ".into();
        assert_eq!(i.validate(), Err(IntakeError::NoName));
        let mut i = intake();
        i.description = "坏".into();
        assert_eq!(i.validate(), Err(IntakeError::NoDescription));
    }
}
