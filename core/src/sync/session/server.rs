//! The server's end of one device connection. It reads no database: it asks for
//! the device (`LookUpDevice`), for the point's documents (`Authenticated`), and
//! for every storage job (`Receive`/`Generate`), and the driver answers with events.

use std::collections::BTreeSet;

use super::jobs::DocJobs;
use super::{CloseCode, DocOutcome, DocRefusal, Refusal, HANDSHAKE_DEADLINE_MS};
use crate::ids::{DeviceId, PointId};
use crate::sync::auth::{DevicePublicKey, Nonce};
use crate::sync::doc_key::DocKey;
use crate::sync::wire::{ErrorCode, Frame, PullKind, RefusalCode, WireError, MAX_WELCOME_DOCS};
use crate::time::Millis;

/// What the server knows of a device, from enrollment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRecord {
    pub point: PointId,
    pub public_key: DevicePublicKey,
    pub revoked: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerEvent {
    /// A frame from the device.
    Frame(Frame),
    /// Bytes from the device that are not a frame.
    Malformed(WireError),
    /// The answer to `LookUpDevice`: `None` if no such device was ever enrolled.
    Device(Option<DeviceRecord>),
    /// The answer to `Authenticated`: the point's documents in the sync window.
    Docs(Vec<DocKey>),
    /// A document of the device's point changed (a commit on the server).
    DocChanged(DocKey),
    /// A new document of the device's point was born.
    DocAdded(DocKey),
    /// The answer to a `Receive` or `Generate`.
    DocResult {
        doc: DocKey,
        outcome: DocOutcome,
    },
    /// The device was revoked while connected.
    Revoked,
    /// The server's data behind a pull of the device's point changed.
    PullChanged(PullKind),
    /// The answer to `Pull` or `Withdraw`: the frame to send, or why storage failed.
    Answer(Result<Frame, String>),
    Tick(Millis),
    /// The socket closed.
    Closed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerEffect {
    Send(Frame),
    /// Close the socket with this code; the session is over.
    Close {
        code: CloseCode,
        reason: String,
    },
    /// Record a refusal (log line and refusal table).
    Log(Refusal),
    /// Find the device; answer with `ServerEvent::Device`.
    LookUpDevice {
        device: DeviceId,
    },
    /// The device proved who it is: subscribe this session to the point's document
    /// changes first, then list the documents and answer with `ServerEvent::Docs`
    /// (in that order, so no document born in between is missed).
    Authenticated {
        device: DeviceId,
        point: PointId,
    },
    /// Apply the device's sync message to the document (checking what it may write)
    /// and answer with `DocResult` carrying the reply.
    Receive {
        device: DeviceId,
        doc: DocKey,
        message: Vec<u8>,
    },
    /// Generate a sync message for the device; answer with `DocResult`.
    Generate {
        device: DeviceId,
        doc: DocKey,
    },
    /// Read what the device pulls for its point (entries after `since`, or the
    /// snapshot unless its version is `since`); answer with `Answer`.
    Pull {
        device: DeviceId,
        point: PointId,
        what: PullKind,
        since: u64,
    },
    /// Store the device's withdrawal request for its point (idempotent by
    /// `request`); answer with `Answer` carrying a `WithdrawAnswer`.
    Withdraw {
        device: DeviceId,
        point: PointId,
        request: uuid::Uuid,
        amount: i64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerPhase {
    AwaitHello,
    AwaitDevice {
        device: DeviceId,
    },
    AwaitProof {
        device: DeviceId,
        record: DeviceRecord,
    },
    AwaitDocs {
        device: DeviceId,
        point: PointId,
        added: BTreeSet<DocKey>,
    },
    Ready {
        device: DeviceId,
        point: PointId,
        docs: BTreeSet<DocKey>,
    },
    Closed,
}

pub struct ServerSession {
    phase: ServerPhase,
    /// This connection's challenge: drawn once, so a proof is good for one
    /// connection only.
    nonce: Nonce,
    deadline: Millis,
    jobs: DocJobs,
}

type Effects = Vec<ServerEffect>;

impl ServerSession {
    /// A session for a connection that opened at `now`, with a fresh nonce.
    pub fn new(now: Millis) -> Self {
        ServerSession {
            phase: ServerPhase::AwaitHello,
            nonce: Nonce::random(),
            deadline: Millis(now.0.saturating_add(HANDSHAKE_DEADLINE_MS)),
            jobs: DocJobs::default(),
        }
    }

    pub fn phase(&self) -> &ServerPhase {
        &self.phase
    }

    pub fn is_closed(&self) -> bool {
        self.phase == ServerPhase::Closed
    }

    /// The device, once it has named itself.
    pub fn device(&self) -> Option<DeviceId> {
        device_of(&self.phase)
    }

    pub fn handle(&mut self, event: ServerEvent) -> Effects {
        let phase = std::mem::replace(&mut self.phase, ServerPhase::Closed);
        let (next, effects) = self.step(phase, event);
        self.phase = next;
        effects
    }

    fn step(&mut self, phase: ServerPhase, event: ServerEvent) -> (ServerPhase, Effects) {
        use ServerEvent as E;
        use ServerPhase as P;
        let device = device_of(&phase);
        match (phase, event) {
            (P::Closed, _) | (_, E::Closed) => (P::Closed, vec![]),
            (_, E::Malformed(e)) => error(ErrorCode::Malformed, e.to_string()),
            (_, E::Frame(Frame::Error { code, reason })) => close(
                CloseCode::Normal,
                format!("the device reported {}: {reason}", code.as_str()),
            ),
            (_, E::Revoked) => refuse(
                device,
                RefusalCode::RevokedDevice,
                None,
                "the device was revoked".into(),
            ),
            (phase @ P::Ready { .. }, E::Tick(_)) => (phase, vec![]),
            (_, E::Tick(now)) if now >= self.deadline => refuse(
                device,
                RefusalCode::HandshakeTimeout,
                None,
                format!(
                    "the handshake did not finish within {} s",
                    HANDSHAKE_DEADLINE_MS / 1000
                ),
            ),
            (phase, E::Tick(_)) => (phase, vec![]),

            (P::AwaitHello, E::Frame(Frame::Hello { device })) => (
                P::AwaitDevice { device },
                vec![ServerEffect::LookUpDevice { device }],
            ),
            (P::AwaitDevice { device }, E::Device(record)) => self.device_found(device, record),
            (P::AwaitProof { device, record }, E::Frame(Frame::Proof { signature })) => {
                match record
                    .public_key
                    .verify_proof(&self.nonce, device, &signature)
                {
                    Ok(()) => (
                        P::AwaitDocs {
                            device,
                            point: record.point,
                            added: BTreeSet::new(),
                        },
                        vec![ServerEffect::Authenticated {
                            device,
                            point: record.point,
                        }],
                    ),
                    Err(e) => refuse(Some(device), RefusalCode::BadProof, None, e.to_string()),
                }
            }
            (
                P::AwaitDocs {
                    device,
                    point,
                    mut added,
                },
                event,
            ) => match event {
                E::Docs(listed) => {
                    added.extend(listed.into_iter().filter(|k| k.point() == point));
                    // Keep the latest days if a point ever has more than a Welcome holds.
                    let docs: BTreeSet<DocKey> =
                        added.into_iter().rev().take(MAX_WELCOME_DOCS).collect();
                    let welcome = Frame::Welcome {
                        point,
                        docs: docs.iter().copied().collect(),
                    };
                    let ready = P::Ready {
                        device,
                        point,
                        docs,
                    };
                    (ready, vec![ServerEffect::Send(welcome)])
                }
                E::DocAdded(doc) => {
                    if doc.point() == point {
                        added.insert(doc);
                    }
                    let phase = P::AwaitDocs {
                        device,
                        point,
                        added,
                    };
                    (phase, vec![])
                }
                // The device's first sync of each document brings it up to date, and
                // it pulls everything once it is welcomed.
                E::DocChanged(_) | E::PullChanged(_) => {
                    let phase = P::AwaitDocs {
                        device,
                        point,
                        added,
                    };
                    (phase, vec![])
                }
                other => self.out_of_turn(Some(device), "before Welcome", other),
            },
            (
                P::Ready {
                    device,
                    point,
                    docs,
                },
                event,
            ) => self.ready(device, point, docs, event),
            (phase, event) => self.out_of_turn(device, phase_name(&phase), event),
        }
    }

    fn device_found(
        &mut self,
        device: DeviceId,
        record: Option<DeviceRecord>,
    ) -> (ServerPhase, Effects) {
        match record {
            None => refuse(
                Some(device),
                RefusalCode::UnknownDevice,
                None,
                format!("device {device} is not enrolled"),
            ),
            Some(r) if r.revoked => refuse(
                Some(device),
                RefusalCode::RevokedDevice,
                None,
                format!("device {device} was revoked"),
            ),
            Some(record) => (
                ServerPhase::AwaitProof { device, record },
                vec![ServerEffect::Send(Frame::Challenge { nonce: self.nonce })],
            ),
        }
    }

    fn ready(
        &mut self,
        device: DeviceId,
        point: PointId,
        mut docs: BTreeSet<DocKey>,
        event: ServerEvent,
    ) -> (ServerPhase, Effects) {
        use ServerEvent as E;
        let mut effects = Vec::new();
        match event {
            E::Frame(Frame::Sync { doc, message }) => {
                if doc.point() != point {
                    return refuse(
                        Some(device),
                        RefusalCode::OtherPoint,
                        Some(doc),
                        format!("device {device} belongs to point {point}"),
                    );
                }
                if !docs.contains(&doc) {
                    return refuse(
                        Some(device),
                        RefusalCode::UnknownDocument,
                        Some(doc),
                        "the server did not offer this document".into(),
                    );
                }
                self.jobs.receive(doc);
                effects.push(ServerEffect::Receive {
                    device,
                    doc,
                    message,
                });
            }
            E::DocChanged(doc) => {
                if docs.contains(&doc) && self.jobs.nudge(doc) {
                    effects.push(ServerEffect::Generate { device, doc });
                }
            }
            E::DocAdded(doc) => {
                if doc.point() == point && docs.insert(doc) {
                    effects.push(ServerEffect::Send(Frame::DocAdded { doc }));
                }
            }
            // Pulls are always of the device's own point: the point comes from the
            // proof, never from the frame.
            E::Frame(Frame::Pull { what, since }) => effects.push(ServerEffect::Pull {
                device,
                point,
                what,
                since,
            }),
            E::Frame(Frame::Withdraw { request, amount }) => effects.push(ServerEffect::Withdraw {
                device,
                point,
                request,
                amount,
            }),
            E::PullChanged(what) => effects.push(ServerEffect::Send(Frame::Changed { what })),
            E::Answer(Ok(frame)) => effects.push(ServerEffect::Send(frame)),
            E::Answer(Err(reason)) => {
                return report(ErrorCode::Internal, CloseCode::Internal, reason);
            }
            E::DocResult { doc, outcome } => match outcome {
                Ok(reply) => {
                    if let Some(message) = reply {
                        effects.push(ServerEffect::Send(Frame::Sync { doc, message }));
                    }
                    if self.jobs.finished(doc) {
                        effects.push(ServerEffect::Generate { device, doc });
                    }
                }
                Err(DocRefusal::Refused { code, reason }) => {
                    return refuse(Some(device), code, Some(doc), reason);
                }
                Err(DocRefusal::Failed { reason }) => {
                    return report(ErrorCode::Internal, CloseCode::Internal, reason);
                }
            },
            other => return self.out_of_turn(Some(device), "once ready", other),
        }
        let phase = ServerPhase::Ready {
            device,
            point,
            docs,
        };
        (phase, effects)
    }

    /// A frame the device may not send now is its protocol error; any other event
    /// out of turn comes from a driver that lost track, and the session stops rather
    /// than guess.
    fn out_of_turn(
        &mut self,
        device: Option<DeviceId>,
        when: &str,
        event: ServerEvent,
    ) -> (ServerPhase, Effects) {
        match event {
            ServerEvent::Frame(Frame::Sync { doc, .. }) => refuse(
                device,
                RefusalCode::TooEarly,
                Some(doc),
                "a Sync frame came before Welcome".into(),
            ),
            ServerEvent::Frame(f) => error(
                ErrorCode::Unexpected,
                format!("a {} frame is not expected {when}", f.name()),
            ),
            other => close(
                CloseCode::Internal,
                format!("the driver sent {} {when}", event_name(&other)),
            ),
        }
    }
}

fn device_of(phase: &ServerPhase) -> Option<DeviceId> {
    match phase {
        ServerPhase::AwaitDevice { device }
        | ServerPhase::AwaitProof { device, .. }
        | ServerPhase::AwaitDocs { device, .. }
        | ServerPhase::Ready { device, .. } => Some(*device),
        ServerPhase::AwaitHello | ServerPhase::Closed => None,
    }
}

fn phase_name(phase: &ServerPhase) -> &'static str {
    match phase {
        ServerPhase::AwaitHello => "before Hello",
        ServerPhase::AwaitDevice { .. } => "while the device is looked up",
        ServerPhase::AwaitProof { .. } => "while waiting for the Proof",
        ServerPhase::AwaitDocs { .. } => "before Welcome",
        ServerPhase::Ready { .. } => "once ready",
        ServerPhase::Closed => "after close",
    }
}

fn event_name(event: &ServerEvent) -> &'static str {
    match event {
        ServerEvent::Frame(_) => "a frame",
        ServerEvent::Malformed(_) => "malformed bytes",
        ServerEvent::Device(_) => "a device record",
        ServerEvent::Docs(_) => "a document list",
        ServerEvent::DocChanged(_) => "a document change",
        ServerEvent::DocAdded(_) => "a new document",
        ServerEvent::DocResult { .. } => "a job result",
        ServerEvent::Revoked => "a revocation",
        ServerEvent::PullChanged(_) => "a pull change",
        ServerEvent::Answer(_) => "a pull answer",
        ServerEvent::Tick(_) => "a tick",
        ServerEvent::Closed => "a close",
    }
}

fn close(code: CloseCode, reason: String) -> (ServerPhase, Effects) {
    (
        ServerPhase::Closed,
        vec![ServerEffect::Close { code, reason }],
    )
}

/// Tell the device what is wrong with what it sent, then close.
fn error(code: ErrorCode, reason: String) -> (ServerPhase, Effects) {
    report(code, CloseCode::Protocol, reason)
}

fn report(code: ErrorCode, close: CloseCode, reason: String) -> (ServerPhase, Effects) {
    (
        ServerPhase::Closed,
        vec![
            ServerEffect::Send(Frame::Error {
                code,
                reason: reason.clone(),
            }),
            ServerEffect::Close {
                code: close,
                reason,
            },
        ],
    )
}

/// Log the refusal, tell the device, close with 1008.
fn refuse(
    device: Option<DeviceId>,
    code: RefusalCode,
    doc: Option<DocKey>,
    reason: String,
) -> (ServerPhase, Effects) {
    (
        ServerPhase::Closed,
        vec![
            ServerEffect::Log(Refusal {
                device,
                code,
                doc,
                reason: reason.clone(),
            }),
            ServerEffect::Send(Frame::Refused {
                code,
                doc,
                reason: reason.clone(),
            }),
            ServerEffect::Close {
                code: CloseCode::Policy,
                reason: format!("{}: {reason}", code.as_str()),
            },
        ],
    )
}
