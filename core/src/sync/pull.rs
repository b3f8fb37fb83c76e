//! Read-only pulls (decision 0010): what a device takes from the server besides the
//! point-day documents — the catalog, the point's commission ledger, its promoter
//! team and its withdrawal requests. They travel on the sync WebSocket the device
//! has already proved itself on (`Frame::Pull` → `Frame::Pulled` / `NotModified`).
//!
//! The ledger is incremental: `since` is the last entry version the device holds
//! and the answer carries only later entries. The other three are snapshots whose
//! version is a digest of their bytes (an ETag): the device sends the one it holds
//! and hears "not modified" when nothing changed. The bodies are JSON, the types
//! below; the device checks them before it stores anything.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::money::Fen;
use crate::time::Millis;

pub use crate::sync::wire::{PullKind, WithdrawalVerdict};

/// Entries one ledger answer carries at most; `LedgerPage::more` asks for the rest.
pub const LEDGER_PAGE: usize = 1_000;

/// One product as a counter sees it (no stock: it moves with every order, and a
/// counter has no use for it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogProduct {
    pub sku: String,
    pub name: String,
    pub category: String,
    pub spec: String,
    pub price: Fen,
    /// The product's own commission rate in basis points, if it has one.
    pub commission_rate: Option<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSnapshot {
    pub products: Vec<CatalogProduct>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerEntryKind {
    Accrual,
    Reversal,
    Settlement,
    Withdrawal,
}

impl LedgerEntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerEntryKind::Accrual => "accrual",
            LedgerEntryKind::Reversal => "reversal",
            LedgerEntryKind::Settlement => "settlement",
            LedgerEntryKind::Withdrawal => "withdrawal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            LedgerEntryKind::Accrual,
            LedgerEntryKind::Reversal,
            LedgerEntryKind::Settlement,
            LedgerEntryKind::Withdrawal,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One entry of the point's ledger, as the server booked it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    pub version: u64,
    pub kind: LedgerEntryKind,
    pub order: Option<String>,
    pub order_number: Option<String>,
    pub sku: Option<String>,
    pub qty: Option<u32>,
    pub base: Fen,
    pub rate: Option<u32>,
    /// Never negative; `kind` says which way it counts.
    pub amount: Fen,
    pub at: Millis,
    pub period: Option<String>,
    pub withdrawal: Option<String>,
}

/// The entries after the version the device sent, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerPage {
    pub entries: Vec<LedgerEntry>,
    /// More entries follow: pull again from the answer's version.
    pub more: bool,
}

/// A consumer a promoter brought, with what they ordered at the point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamConsumer {
    pub name: String,
    /// The last four digits: enough for the leader, who sees the same on orders.
    pub phone_tail: String,
    /// Orders at this point neither cancelled nor refunded.
    pub orders: u32,
    pub amount: Fen,
}

/// A promoter (推广员) of the point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamPromoter {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub referral_code: String,
    /// The promoter who recruited this one (the referral tree), if any.
    pub recruited_by: Option<String>,
    pub joined_at: Millis,
    pub consumers: Vec<TeamConsumer>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamSnapshot {
    pub promoters: Vec<TeamPromoter>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalState {
    Requested,
    Approved,
    Rejected,
}

impl WithdrawalState {
    pub fn as_str(self) -> &'static str {
        match self {
            WithdrawalState::Requested => "requested",
            WithdrawalState::Approved => "approved",
            WithdrawalState::Rejected => "rejected",
        }
    }
}

/// A withdrawal request of the point as the server holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PulledWithdrawal {
    pub id: String,
    pub amount: Fen,
    pub status: WithdrawalState,
    pub requested_at: Millis,
    pub decided_at: Option<Millis>,
    /// Why finance rejected it.
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalsSnapshot {
    pub withdrawals: Vec<PulledWithdrawal>,
}

/// A snapshot's version: the first 8 bytes of the SHA-256 of its body (an ETag).
/// Never 0, which means "nothing held yet".
pub fn snapshot_version(body: &[u8]) -> u64 {
    let digest = Sha256::digest(body);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first).max(1)
}

/// A snapshot as the server sends it: its version and JSON body.
pub fn snapshot<T: Serialize>(value: &T) -> Result<(u64, Vec<u8>), serde_json::Error> {
    let body = serde_json::to_vec(value)?;
    Ok((snapshot_version(&body), body))
}

/// What the server answers a `Pull` of a snapshot: `NotModified` when the device
/// holds this very version, else the body.
pub fn snapshot_answer(what: PullKind, since: u64, version: u64, body: Vec<u8>) -> super::Frame {
    if since == version {
        super::Frame::NotModified { what, version }
    } else {
        super::Frame::Pulled {
            what,
            version,
            body,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::sync::wire::WireError;
    use crate::sync::Frame;

    pub(crate) fn pull_samples() -> Vec<Frame> {
        vec![
            Frame::Pull {
                what: PullKind::Ledger,
                since: 42,
            },
            Frame::Pulled {
                what: PullKind::Team,
                version: u64::MAX,
                body: br#"{"promoters":[]}"#.to_vec(),
            },
            Frame::NotModified {
                what: PullKind::Catalog,
                version: 7,
            },
            Frame::Changed {
                what: PullKind::Withdrawals,
            },
            Frame::Withdraw {
                request: uuid::Uuid::now_v7(),
                amount: 12_345,
            },
            Frame::WithdrawAnswer {
                request: uuid::Uuid::now_v7(),
                verdict: WithdrawalVerdict::OverBalance,
                reason: "可提现余额不足".into(),
            },
        ]
    }

    pub(crate) fn any_pull_frame() -> impl Strategy<Value = Frame> {
        let kind = prop::sample::select(PullKind::ALL);
        prop_oneof![
            (kind.clone(), any::<u64>()).prop_map(|(what, since)| Frame::Pull { what, since }),
            (
                kind.clone(),
                any::<u64>(),
                prop::collection::vec(any::<u8>(), 1..200)
            )
                .prop_map(|(what, version, body)| Frame::Pulled {
                    what,
                    version,
                    body
                }),
            (kind.clone(), any::<u64>())
                .prop_map(|(what, version)| Frame::NotModified { what, version }),
            kind.prop_map(|what| Frame::Changed { what }),
            (any::<u128>(), any::<i64>()).prop_map(|(r, amount)| Frame::Withdraw {
                request: uuid::Uuid::from_u128(r),
                amount
            }),
            (
                any::<u128>(),
                prop::sample::select(WithdrawalVerdict::ALL),
                "\\PC{0,100}"
            )
                .prop_map(|(r, verdict, reason)| Frame::WithdrawAnswer {
                    request: uuid::Uuid::from_u128(r),
                    verdict,
                    reason
                }),
        ]
    }

    #[test]
    fn an_unknown_pull_kind_and_an_empty_body_are_named() {
        assert_eq!(
            Frame::decode(&[1, 0x20, 9, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(WireError::UnknownCode {
                frame: "Pull",
                code: 9
            })
        );
        assert_eq!(
            Frame::decode(&[1, 0x21, 2, 0, 0, 0, 0, 0, 0, 0, 1]),
            Err(WireError::EmptyPullBody)
        );
        assert!(matches!(
            Frame::decode(&[1, 0x20, 2, 0, 0]),
            Err(WireError::Truncated { field: "since", .. })
        ));
    }

    #[test]
    fn a_snapshot_version_follows_its_bytes() {
        let a = snapshot(&TeamSnapshot::default()).unwrap();
        let b = snapshot(&TeamSnapshot::default()).unwrap();
        assert_eq!(a, b);
        let c = snapshot(&TeamSnapshot {
            promoters: vec![TeamPromoter {
                id: "p".into(),
                name: "王芳".into(),
                phone: "13800000000".into(),
                referral_code: "AB12CD".into(),
                recruited_by: None,
                joined_at: Millis(1),
                consumers: vec![],
            }],
        })
        .unwrap();
        assert_ne!(a.0, c.0);
        assert_ne!(a.0, 0);
        assert_eq!(
            snapshot_answer(PullKind::Team, a.0, a.0, a.1.clone()),
            Frame::NotModified {
                what: PullKind::Team,
                version: a.0
            }
        );
        assert!(matches!(
            snapshot_answer(PullKind::Team, 0, a.0, a.1),
            Frame::Pulled { .. }
        ));
    }

    #[test]
    fn bodies_refuse_unknown_fields() {
        assert!(
            serde_json::from_slice::<LedgerPage>(br#"{"entries":[],"more":false,"x":1}"#).is_err()
        );
        assert!(serde_json::from_slice::<LedgerPage>(br#"{"entries":[],"more":false}"#).is_ok());
    }
}
