//! Pulls and withdrawal requests between the two sessions: what is pulled after
//! Welcome, "not modified", `Changed` coalescing, paging, and the refusals.

use std::collections::HashMap;

use super::*;
use crate::sync::pull::snapshot_answer;
use crate::sync::wire::{PullKind, WithdrawalVerdict};

/// Both ends' pull storage: the server's current data per kind (version, body;
/// a body `more` means another page follows) and what the device holds.
#[derive(Default)]
pub(super) struct PullWorld {
    server: HashMap<PullKind, (u64, Vec<u8>)>,
    /// Pages the server still has behind the current one, per kind.
    pages_behind: HashMap<PullKind, u32>,
    held: HashMap<PullKind, u64>,
    pulls_sent: Vec<PullKind>,
    stored: Vec<PullKind>,
    queued: Vec<(uuid::Uuid, i64)>,
    server_withdrawals: Vec<(uuid::Uuid, i64)>,
    answered: Vec<(uuid::Uuid, WithdrawalVerdict)>,
    /// The device's storage refuses the next body it is given.
    refuse_next: bool,
}

impl PullWorld {
    pub(super) fn client_effect(&mut self, effect: ClientEffect) -> Vec<To> {
        match effect {
            ClientEffect::Pull { what } => {
                self.pulls_sent.push(what);
                let since = self.held.get(&what).copied().unwrap_or(0);
                vec![To::Server(ServerEvent::Frame(carry(Frame::Pull {
                    what,
                    since,
                })))]
            }
            ClientEffect::StorePull {
                what,
                version,
                body,
            } => {
                let outcome = if std::mem::take(&mut self.refuse_next) {
                    Err(DocRefusal::Refused {
                        code: RefusalCode::BadSyncMessage,
                        reason: "the body is not JSON".into(),
                    })
                } else {
                    self.held.insert(what, version);
                    self.stored.push(what);
                    Ok(body == b"more")
                };
                vec![To::Client(ClientEvent::PullStored { what, outcome })]
            }
            ClientEffect::SendWithdrawals => self
                .queued
                .iter()
                .map(|(request, amount)| {
                    To::Server(ServerEvent::Frame(carry(Frame::Withdraw {
                        request: *request,
                        amount: *amount,
                    })))
                })
                .collect(),
            ClientEffect::WithdrawalAnswered {
                request, verdict, ..
            } => {
                self.queued.retain(|(r, _)| *r != request);
                self.answered.push((request, verdict));
                vec![]
            }
            other => panic!("not a pull effect: {other:?}"),
        }
    }

    pub(super) fn server_effect(&mut self, effect: ServerEffect) -> Vec<To> {
        match effect {
            ServerEffect::Pull { what, since, .. } => {
                let (version, body) = self
                    .server
                    .get(&what)
                    .cloned()
                    .unwrap_or((1, b"{}".to_vec()));
                let behind = self.pages_behind.entry(what).or_default();
                let frame = if *behind > 0 && since < version + u64::from(*behind) {
                    *behind -= 1;
                    Frame::Pulled {
                        what,
                        version: since + 1,
                        body: b"more".to_vec(),
                    }
                } else {
                    snapshot_answer(what, since, version, body)
                };
                vec![To::Server(ServerEvent::Answer(Ok(frame)))]
            }
            ServerEffect::Withdraw {
                request, amount, ..
            } => {
                let verdict = if amount > 0 {
                    if !self.server_withdrawals.iter().any(|(r, _)| *r == request) {
                        self.server_withdrawals.push((request, amount));
                    }
                    WithdrawalVerdict::Accepted
                } else {
                    WithdrawalVerdict::Invalid
                };
                vec![To::Server(ServerEvent::Answer(Ok(Frame::WithdrawAnswer {
                    request,
                    verdict,
                    reason: String::new(),
                })))]
            }
            other => panic!("not a pull effect: {other:?}"),
        }
    }
}

fn carry(f: Frame) -> Frame {
    Frame::decode(&f.encode().unwrap()).unwrap()
}

fn count(list: &[PullKind], what: PullKind) -> usize {
    list.iter().filter(|k| **k == what).count()
}

#[test]
fn a_welcomed_device_pulls_each_kind_once_and_an_unchanged_pull_stores_nothing() {
    let mut w = World::new(&["2026-11-22"], 1);
    w.pulls
        .server
        .insert(PullKind::Team, (77, br#"{"promoters":[]}"#.to_vec()));
    w.open();
    assert!(w.ready.is_some());
    for what in PullKind::ALL {
        assert_eq!(count(&w.pulls.pulls_sent, *what), 1, "{what:?}");
        assert_eq!(count(&w.pulls.stored, *what), 1, "{what:?}");
    }
    assert_eq!(w.pulls.held[&PullKind::Team], 77);

    // The server says its team changed, but it did not: "not modified", nothing stored.
    w.server_event(ServerEvent::PullChanged(PullKind::Team));
    assert_eq!(count(&w.pulls.pulls_sent, PullKind::Team), 2);
    assert_eq!(count(&w.pulls.stored, PullKind::Team), 1);
    // Now it did change.
    w.pulls.server.insert(PullKind::Team, (78, b"{}".to_vec()));
    w.server_event(ServerEvent::PullChanged(PullKind::Team));
    assert_eq!(w.pulls.held[&PullKind::Team], 78);
    assert!(!w.client.is_closed() && !w.server.is_closed());
}

#[test]
fn changes_while_a_pull_runs_cost_one_more_pull_not_one_each() {
    let mut w = World::new(&["2026-11-22"], 1);
    w.open();
    let before = count(&w.pulls.pulls_sent, PullKind::Ledger);
    // Three Changed frames reach the device before it hears the answer to the first.
    for _ in 0..3 {
        w.queue
            .push_back(To::Client(ClientEvent::Frame(Frame::Changed {
                what: PullKind::Ledger,
            })));
    }
    w.run();
    assert_eq!(count(&w.pulls.pulls_sent, PullKind::Ledger) - before, 2);
}

#[test]
fn a_ledger_with_pages_behind_is_pulled_page_by_page_until_done() {
    let mut w = World::new(&["2026-11-22"], 1);
    w.pulls.server.insert(PullKind::Ledger, (5, b"{}".to_vec()));
    w.pulls.pages_behind.insert(PullKind::Ledger, 3);
    w.open();
    assert_eq!(count(&w.pulls.pulls_sent, PullKind::Ledger), 4);
    assert_eq!(w.pulls.held[&PullKind::Ledger], 5);
}

#[test]
fn a_queued_withdrawal_is_sent_after_welcome_and_answered() {
    let mut w = World::new(&["2026-11-22"], 1);
    let id = uuid::Uuid::now_v7();
    w.pulls.queued.push((id, 1_000));
    // Queued before the handshake: nothing to send yet.
    assert!(w.client.handle(ClientEvent::WithdrawalQueued).is_empty());
    w.open();
    assert_eq!(w.pulls.server_withdrawals, vec![(id, 1_000)]);
    assert_eq!(w.pulls.answered, vec![(id, WithdrawalVerdict::Accepted)]);
    assert!(w.pulls.queued.is_empty());
    // The answer brings a withdrawals pull after the one at Welcome.
    assert_eq!(count(&w.pulls.pulls_sent, PullKind::Withdrawals), 2);

    // One queued while online goes at once.
    let id2 = uuid::Uuid::now_v7();
    w.pulls.queued.push((id2, 0));
    w.client_event(ClientEvent::WithdrawalQueued);
    assert_eq!(w.pulls.answered[1], (id2, WithdrawalVerdict::Invalid));
}

#[test]
fn pull_frames_out_of_turn_are_protocol_errors() {
    // Before Welcome, a Pull is refused like any other frame out of turn.
    let mut s = ServerSession::new(T0);
    let effects = s.handle(ServerEvent::Frame(Frame::Pull {
        what: PullKind::Ledger,
        since: 0,
    }));
    assert!(
        matches!(
            &effects[..],
            [
                ServerEffect::Send(Frame::Error {
                    code: ErrorCode::Unexpected,
                    ..
                }),
                ServerEffect::Close {
                    code: CloseCode::Protocol,
                    ..
                }
            ]
        ),
        "{effects:?}"
    );

    // An answer to a pull the device never sent.
    let mut w = World::new(&["2026-11-22"], 1);
    w.open();
    w.client_event(ClientEvent::Frame(Frame::Pulled {
        what: PullKind::Catalog,
        version: 9,
        body: b"{}".to_vec(),
    }));
    assert!(w.client.is_closed());
    assert_eq!(
        w.client_closed.as_ref().map(|c| c.0),
        Some(CloseCode::Protocol)
    );
    assert!(w.pulls.held[&PullKind::Catalog] != 9);
}

#[test]
fn a_body_the_device_cannot_store_closes_the_connection_without_storing() {
    let mut w = World::new(&["2026-11-22"], 1);
    w.pulls.refuse_next = true;
    w.open();
    assert!(w.client.is_closed() && w.server.is_closed());
    assert_eq!(
        w.client_closed.as_ref().map(|c| c.0),
        Some(CloseCode::Protocol)
    );
    // The first answer (the catalog's) was refused: nothing of it is held.
    assert!(!w.pulls.held.contains_key(&PullKind::Catalog));
}

#[test]
fn the_servers_storage_failure_on_a_pull_is_an_internal_error() {
    let mut w = World::new(&["2026-11-22"], 1);
    w.open();
    w.server_event(ServerEvent::Answer(Err("disk full".into())));
    assert_eq!(
        w.server_closed.as_ref().map(|c| c.0),
        Some(CloseCode::Internal)
    );
}
