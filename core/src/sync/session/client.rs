//! The device's end of the connection. It proves who it is, learns which documents
//! its point syncs, starts a sync of each, and from then on answers the server's
//! messages and pushes local changes. Storage (the replica) is behind the
//! `Receive`/`Generate` effects.

use std::collections::BTreeSet;

use super::jobs::DocJobs;
use super::pulls::PullJobs;
use super::{CloseCode, DocOutcome, DocRefusal, Refusal, HANDSHAKE_DEADLINE_MS};
use crate::ids::{DeviceId, PointId};
use crate::sync::auth::DeviceKey;
use crate::sync::doc_key::DocKey;
use crate::sync::wire::{ErrorCode, Frame, PullKind, RefusalCode, WireError, WithdrawalVerdict};
use crate::time::Millis;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// The socket is open: say hello.
    Opened,
    Frame(Frame),
    /// Bytes from the server that are not a frame.
    Malformed(WireError),
    /// A local counter action committed a change to this document.
    DocChanged(DocKey),
    /// The answer to a `Receive` or `Generate`.
    DocResult {
        doc: DocKey,
        outcome: DocOutcome,
    },
    /// The leader asked for a withdrawal; it is queued in the replica.
    WithdrawalQueued,
    /// The answer to `StorePull`: stored, and whether the server has more.
    PullStored {
        what: PullKind,
        outcome: Result<bool, DocRefusal>,
    },
    Tick(Millis),
    /// The socket closed.
    Closed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEffect {
    Send(Frame),
    /// Close the socket; the session is over (the driver reconnects with back-off,
    /// unless an `Alert` came with it).
    Close {
        code: CloseCode,
        reason: String,
    },
    /// Apply the server's message to the replica and answer with `DocResult`
    /// carrying the reply (`Replica::receive_sync`).
    Receive {
        doc: DocKey,
        message: Vec<u8>,
    },
    /// Generate a message for the server (`Replica::generate_sync`); answer with
    /// `DocResult`.
    Generate {
        doc: DocKey,
    },
    /// Send `Frame::Pull` for `what` with the version the replica holds.
    Pull {
        what: PullKind,
    },
    /// Check and store what the server sent (`Replica::store_pull`); answer with
    /// `PullStored`.
    StorePull {
        what: PullKind,
        version: u64,
        body: Vec<u8>,
    },
    /// Send a `Frame::Withdraw` for every withdrawal the replica has queued.
    SendWithdrawals,
    /// Record the server's answer to a queued withdrawal in the replica.
    WithdrawalAnswered {
        request: uuid::Uuid,
        verdict: WithdrawalVerdict,
        reason: String,
    },
    /// The handshake finished: these are the documents the device syncs.
    Ready {
        point: PointId,
        docs: Vec<DocKey>,
    },
    /// Sync stopped for a reason a person must look at (the server refused the
    /// device or a change, or sent what the replica cannot take). Do not retry in a
    /// loop: show it.
    Alert(Refusal),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientPhase {
    Connecting,
    AwaitChallenge,
    AwaitWelcome,
    Ready { docs: BTreeSet<DocKey> },
    Closed,
}

pub struct ClientSession {
    device: DeviceId,
    point: PointId,
    key: DeviceKey,
    phase: ClientPhase,
    deadline: Millis,
    jobs: DocJobs,
    pulls: PullJobs,
}

type Effects = Vec<ClientEffect>;

impl ClientSession {
    /// A session for the device `device` of `point`, whose socket is being opened at
    /// `now`.
    pub fn new(device: DeviceId, point: PointId, key: DeviceKey, now: Millis) -> Self {
        ClientSession {
            device,
            point,
            key,
            phase: ClientPhase::Connecting,
            deadline: Millis(now.0.saturating_add(HANDSHAKE_DEADLINE_MS)),
            jobs: DocJobs::default(),
            pulls: PullJobs::default(),
        }
    }

    pub fn phase(&self) -> &ClientPhase {
        &self.phase
    }

    pub fn is_closed(&self) -> bool {
        self.phase == ClientPhase::Closed
    }

    pub fn handle(&mut self, event: ClientEvent) -> Effects {
        let phase = std::mem::replace(&mut self.phase, ClientPhase::Closed);
        let (next, effects) = self.step(phase, event);
        self.phase = next;
        effects
    }

    fn step(&mut self, phase: ClientPhase, event: ClientEvent) -> (ClientPhase, Effects) {
        use ClientEvent as E;
        use ClientPhase as P;
        match (phase, event) {
            (P::Closed, _) | (_, E::Closed) => (P::Closed, vec![]),
            (_, E::Malformed(e)) => self.error(ErrorCode::Malformed, e.to_string()),
            (_, E::Frame(Frame::Refused { code, doc, reason })) => (
                P::Closed,
                vec![
                    ClientEffect::Alert(Refusal {
                        device: Some(self.device),
                        code,
                        doc,
                        reason: reason.clone(),
                    }),
                    ClientEffect::Close {
                        code: CloseCode::Normal,
                        reason: format!("the server refused: {}: {reason}", code.as_str()),
                    },
                ],
            ),
            (_, E::Frame(Frame::Error { code, reason })) => close(
                CloseCode::Normal,
                format!("the server reported {}: {reason}", code.as_str()),
            ),
            (phase @ P::Ready { .. }, E::Tick(_)) => (phase, vec![]),
            (_, E::Tick(now)) if now >= self.deadline => close(
                CloseCode::Protocol,
                format!(
                    "the server did not finish the handshake within {} s",
                    HANDSHAKE_DEADLINE_MS / 1000
                ),
            ),
            (phase, E::Tick(_)) => (phase, vec![]),
            // Before Welcome there is nothing to push: the first sync of each
            // document after Welcome carries every local change.
            (
                phase @ (P::Connecting | P::AwaitChallenge | P::AwaitWelcome),
                E::DocChanged(_) | E::WithdrawalQueued,
            ) => (phase, vec![]),

            (P::Connecting, E::Opened) => (
                P::AwaitChallenge,
                vec![ClientEffect::Send(Frame::Hello {
                    device: self.device,
                })],
            ),
            (P::AwaitChallenge, E::Frame(Frame::Challenge { nonce })) => (
                P::AwaitWelcome,
                vec![ClientEffect::Send(Frame::Proof {
                    signature: self.key.prove(&nonce, self.device),
                })],
            ),
            (P::AwaitWelcome, E::Frame(Frame::Welcome { point, docs })) => {
                self.welcome(point, docs)
            }
            (P::Ready { docs }, event) => self.ready(docs, event),
            (phase, E::Frame(f)) => self.error(
                ErrorCode::Unexpected,
                format!(
                    "a {} frame is not expected {}",
                    f.name(),
                    phase_name(&phase)
                ),
            ),
            (phase, _) => close(
                CloseCode::Internal,
                format!(
                    "the driver sent an event not expected {}",
                    phase_name(&phase)
                ),
            ),
        }
    }

    fn welcome(&mut self, point: PointId, docs: Vec<DocKey>) -> (ClientPhase, Effects) {
        if point != self.point {
            return self.alert_and_error(
                RefusalCode::OtherPoint,
                None,
                format!(
                    "the server welcomed this device to point {point}; it is enrolled at {}",
                    self.point
                ),
            );
        }
        if let Some(other) = docs.iter().find(|k| k.point() != self.point) {
            return self.alert_and_error(
                RefusalCode::OtherPoint,
                Some(*other),
                "the server offered a document of another point".into(),
            );
        }
        let docs: BTreeSet<DocKey> = docs.into_iter().collect();
        let mut effects = vec![ClientEffect::Ready {
            point,
            docs: docs.iter().copied().collect(),
        }];
        for doc in &docs {
            if self.jobs.nudge(*doc) {
                effects.push(ClientEffect::Generate { doc: *doc });
            }
        }
        // Queued withdrawals first, so the withdrawals pull that follows sees them.
        effects.push(ClientEffect::SendWithdrawals);
        for what in PullKind::ALL {
            if self.pulls.want(*what) {
                effects.push(ClientEffect::Pull { what: *what });
            }
        }
        (ClientPhase::Ready { docs }, effects)
    }

    fn ready(&mut self, mut docs: BTreeSet<DocKey>, event: ClientEvent) -> (ClientPhase, Effects) {
        use ClientEvent as E;
        let mut effects = Vec::new();
        match event {
            E::Frame(Frame::Sync { doc, message }) => {
                if !docs.contains(&doc) {
                    return self.error(
                        ErrorCode::Unexpected,
                        format!("a Sync frame for {doc}, which the server did not offer"),
                    );
                }
                self.jobs.receive(doc);
                effects.push(ClientEffect::Receive { doc, message });
            }
            E::Frame(Frame::DocAdded { doc }) => {
                if doc.point() != self.point {
                    return self.alert_and_error(
                        RefusalCode::OtherPoint,
                        Some(doc),
                        "the server offered a document of another point".into(),
                    );
                }
                if docs.insert(doc) && self.jobs.nudge(doc) {
                    effects.push(ClientEffect::Generate { doc });
                }
            }
            E::DocChanged(doc) => {
                if docs.contains(&doc) && self.jobs.nudge(doc) {
                    effects.push(ClientEffect::Generate { doc });
                }
            }
            E::Frame(Frame::Pulled {
                what,
                version,
                body,
            }) => {
                if !self.pulls.running(what) {
                    return self.unasked("Pulled", what);
                }
                effects.push(ClientEffect::StorePull {
                    what,
                    version,
                    body,
                });
            }
            E::Frame(Frame::NotModified { what, .. }) => {
                if !self.pulls.running(what) {
                    return self.unasked("NotModified", what);
                }
                if self.pulls.finished(what, false) {
                    effects.push(ClientEffect::Pull { what });
                }
            }
            E::Frame(Frame::Changed { what }) => {
                if self.pulls.want(what) {
                    effects.push(ClientEffect::Pull { what });
                }
            }
            E::Frame(Frame::WithdrawAnswer {
                request,
                verdict,
                reason,
            }) => {
                effects.push(ClientEffect::WithdrawalAnswered {
                    request,
                    verdict,
                    reason,
                });
                if self.pulls.want(PullKind::Withdrawals) {
                    effects.push(ClientEffect::Pull {
                        what: PullKind::Withdrawals,
                    });
                }
            }
            E::WithdrawalQueued => effects.push(ClientEffect::SendWithdrawals),
            E::PullStored { what, outcome } => match outcome {
                Ok(more) => {
                    if self.pulls.finished(what, more) {
                        effects.push(ClientEffect::Pull { what });
                    }
                }
                // What the server sent is not a valid answer: a protocol error,
                // retried on the next connection like any other.
                Err(DocRefusal::Refused { reason, .. }) => {
                    return self.error(ErrorCode::Malformed, reason);
                }
                Err(DocRefusal::Failed { reason }) => {
                    return report(ErrorCode::Internal, CloseCode::Internal, reason);
                }
            },
            E::DocResult { doc, outcome } => match outcome {
                Ok(reply) => {
                    if let Some(message) = reply {
                        effects.push(ClientEffect::Send(Frame::Sync { doc, message }));
                    }
                    if self.jobs.finished(doc) {
                        effects.push(ClientEffect::Generate { doc });
                    }
                }
                Err(DocRefusal::Refused { code, reason }) => {
                    return self.alert_and_error(code, Some(doc), reason);
                }
                // The replica could not store: stop, and retry on the next connection.
                Err(DocRefusal::Failed { reason }) => {
                    return report(ErrorCode::Internal, CloseCode::Internal, reason);
                }
            },
            E::Frame(f) => {
                return self.error(
                    ErrorCode::Unexpected,
                    format!("a {} frame is not expected once ready", f.name()),
                )
            }
            _ => {
                return close(
                    CloseCode::Internal,
                    "the driver sent an event not expected once ready".into(),
                )
            }
        }
        (ClientPhase::Ready { docs }, effects)
    }

    fn unasked(&self, frame: &str, what: PullKind) -> (ClientPhase, Effects) {
        self.error(
            ErrorCode::Unexpected,
            format!(
                "a {frame} frame for the {} pull, which the device did not ask for",
                what.as_str()
            ),
        )
    }

    /// Tell the server what is wrong with what it sent, then close.
    fn error(&self, code: ErrorCode, reason: String) -> (ClientPhase, Effects) {
        report(code, CloseCode::Protocol, reason)
    }

    fn alert_and_error(
        &self,
        code: RefusalCode,
        doc: Option<DocKey>,
        reason: String,
    ) -> (ClientPhase, Effects) {
        let (phase, mut effects) = self.error(
            ErrorCode::Unexpected,
            match doc {
                Some(d) => format!("{d}: {reason}"),
                None => reason.clone(),
            },
        );
        effects.insert(
            0,
            ClientEffect::Alert(Refusal {
                device: Some(self.device),
                code,
                doc,
                reason,
            }),
        );
        (phase, effects)
    }
}

fn report(code: ErrorCode, close: CloseCode, reason: String) -> (ClientPhase, Effects) {
    (
        ClientPhase::Closed,
        vec![
            ClientEffect::Send(Frame::Error {
                code,
                reason: reason.clone(),
            }),
            ClientEffect::Close {
                code: close,
                reason,
            },
        ],
    )
}

fn close(code: CloseCode, reason: String) -> (ClientPhase, Effects) {
    (
        ClientPhase::Closed,
        vec![ClientEffect::Close { code, reason }],
    )
}

fn phase_name(phase: &ClientPhase) -> &'static str {
    match phase {
        ClientPhase::Connecting => "before the socket opened",
        ClientPhase::AwaitChallenge => "before the Challenge",
        ClientPhase::AwaitWelcome => "before Welcome",
        ClientPhase::Ready { .. } => "once ready",
        ClientPhase::Closed => "after close",
    }
}
