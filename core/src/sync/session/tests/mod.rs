//! A device session and a server session talking through encoded frames in memory,
//! with two real automerge documents behind the `Receive`/`Generate` effects.

mod exchange;
mod pulls;
mod refusals;

use std::collections::{BTreeMap, HashMap, VecDeque};

use automerge::sync::{State, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};

use super::*;
use crate::ids::PointId;
use crate::sync::auth::{DeviceKey, Nonce};
use crate::sync::message::{decode_sync_message, generate_sync_message};
use crate::sync::wire::{ErrorCode, Frame};
use crate::time::Millis;

const T0: Millis = Millis(1_795_312_000_000);

/// One side's documents and sync states, as its storage would hold them.
#[derive(Default)]
struct Store {
    docs: BTreeMap<DocKey, AutoCommit>,
    states: HashMap<DocKey, State>,
}

impl Store {
    fn receive(&mut self, doc: DocKey, message: &[u8]) -> DocOutcome {
        let message = decode_sync_message(message).map_err(|e| DocRefusal::Refused {
            code: RefusalCode::BadSyncMessage,
            reason: e.to_string(),
        })?;
        let state = self.states.entry(doc).or_default();
        let d = self.docs.entry(doc).or_default();
        d.sync()
            .receive_sync_message(state, message)
            .map_err(|e| DocRefusal::Refused {
                code: RefusalCode::BadSyncMessage,
                reason: e.to_string(),
            })?;
        generate(d, state)
    }

    fn generate(&mut self, doc: DocKey) -> DocOutcome {
        let state = self.states.entry(doc).or_default();
        let d = self.docs.entry(doc).or_default();
        generate(d, state)
    }

    fn heads(&mut self, doc: DocKey) -> Vec<automerge::ChangeHash> {
        self.docs.entry(doc).or_default().get_heads()
    }
}

fn generate(d: &mut AutoCommit, state: &mut State) -> DocOutcome {
    generate_sync_message(d, state).map_err(|e| DocRefusal::Failed {
        reason: e.to_string(),
    })
}

/// A point-day-like document: identity and the event maps, plus `n` orders.
fn server_doc(key: DocKey, n: usize) -> AutoCommit {
    let mut d = AutoCommit::new();
    d.put(ROOT, "point", key.point().to_string()).unwrap();
    d.put(ROOT, "day", key.day_string()).unwrap();
    let orders = d.put_object(ROOT, "orders", ObjType::Map).unwrap();
    d.put_object(ROOT, "handovers", ObjType::Map).unwrap();
    for i in 0..n {
        d.put(&orders, format!("order-{i}"), "facts").unwrap();
    }
    d
}

fn put_in(d: &mut AutoCommit, map: &str, key: &str) {
    let (_, obj) = d.get(ROOT, map).unwrap().unwrap();
    d.put(&obj, key, "x").unwrap();
}

enum To {
    Server(ServerEvent),
    Client(ClientEvent),
}

struct World {
    point: PointId,
    device: DeviceId,
    client: ClientSession,
    server: ServerSession,
    enrolled: HashMap<DeviceId, DeviceRecord>,
    listed: Vec<DocKey>,
    server_store: Store,
    client_store: Store,
    queue: VecDeque<To>,
    logged: Vec<Refusal>,
    alerts: Vec<Refusal>,
    client_closed: Option<(CloseCode, String)>,
    server_closed: Option<(CloseCode, String)>,
    ready: Option<Vec<DocKey>>,
    /// Bytes of all Sync frames sent, both ways.
    sync_bytes: usize,
    /// The pulls' side of both ends (`pulls.rs`).
    pulls: pulls::PullWorld,
}

impl World {
    /// An enrolled device of a point with the given days, and a server holding
    /// a document for each (with `orders` orders).
    fn new(days: &[&str], orders: usize) -> World {
        let point = PointId::new();
        let device = DeviceId::new();
        let key = DeviceKey::generate();
        let record = DeviceRecord {
            point,
            public_key: key.public(),
            revoked: false,
        };
        let listed: Vec<DocKey> = days
            .iter()
            .map(|d| DocKey::for_day(point, d).unwrap())
            .collect();
        let mut server_store = Store::default();
        for k in &listed {
            server_store.docs.insert(*k, server_doc(*k, orders));
        }
        World {
            point,
            device,
            client: ClientSession::new(device, point, key, T0),
            server: ServerSession::new(T0),
            enrolled: HashMap::from([(device, record)]),
            listed,
            server_store,
            client_store: Store::default(),
            queue: VecDeque::new(),
            logged: vec![],
            alerts: vec![],
            client_closed: None,
            server_closed: None,
            ready: None,
            sync_bytes: 0,
            pulls: pulls::PullWorld::default(),
        }
    }

    fn open(&mut self) {
        self.queue.push_back(To::Client(ClientEvent::Opened));
        self.run();
    }

    fn run(&mut self) {
        let mut steps = 0;
        while let Some(next) = self.queue.pop_front() {
            steps += 1;
            assert!(steps < 10_000, "the sessions did not settle");
            match next {
                To::Server(e) => {
                    for effect in self.server.handle(e) {
                        self.server_effect(effect);
                    }
                }
                To::Client(e) => {
                    for effect in self.client.handle(e) {
                        self.client_effect(effect);
                    }
                }
            }
        }
    }

    /// Encodes and decodes every frame, as the socket would carry it.
    fn carry(&mut self, frame: &Frame) -> Frame {
        let bytes = frame.encode().unwrap();
        if matches!(frame, Frame::Sync { .. }) {
            self.sync_bytes += bytes.len();
        }
        Frame::decode(&bytes).unwrap()
    }

    fn client_effect(&mut self, effect: ClientEffect) {
        match effect {
            ClientEffect::Send(f) => {
                let f = self.carry(&f);
                self.queue.push_back(To::Server(ServerEvent::Frame(f)));
            }
            ClientEffect::Close { code, reason } => {
                self.client_closed = Some((code, reason));
                self.queue.push_back(To::Server(ServerEvent::Closed));
            }
            ClientEffect::Receive { doc, message } => {
                let outcome = self.client_store.receive(doc, &message);
                self.queue
                    .push_back(To::Client(ClientEvent::DocResult { doc, outcome }));
            }
            ClientEffect::Generate { doc } => {
                let outcome = self.client_store.generate(doc);
                self.queue
                    .push_back(To::Client(ClientEvent::DocResult { doc, outcome }));
            }
            ClientEffect::Ready { point, docs } => {
                assert_eq!(point, self.point);
                self.ready = Some(docs);
            }
            ClientEffect::Alert(r) => self.alerts.push(r),
            other => {
                let events = self.pulls.client_effect(other);
                self.queue.extend(events);
            }
        }
    }

    fn server_effect(&mut self, effect: ServerEffect) {
        match effect {
            ServerEffect::Send(f) => {
                let f = self.carry(&f);
                self.queue.push_back(To::Client(ClientEvent::Frame(f)));
            }
            ServerEffect::Close { code, reason } => {
                self.server_closed = Some((code, reason));
                self.queue.push_back(To::Client(ClientEvent::Closed));
            }
            ServerEffect::Log(r) => self.logged.push(r),
            ServerEffect::LookUpDevice { device } => {
                let found = self.enrolled.get(&device).cloned();
                self.queue.push_back(To::Server(ServerEvent::Device(found)));
            }
            ServerEffect::Authenticated { device, point } => {
                assert_eq!((device, point), (self.device, self.point));
                self.queue
                    .push_back(To::Server(ServerEvent::Docs(self.listed.clone())));
            }
            ServerEffect::Receive {
                device,
                doc,
                message,
            } => {
                assert_eq!(device, self.device);
                let outcome = self.server_store.receive(doc, &message);
                self.queue
                    .push_back(To::Server(ServerEvent::DocResult { doc, outcome }));
            }
            ServerEffect::Generate { device, doc } => {
                assert_eq!(device, self.device);
                let outcome = self.server_store.generate(doc);
                self.queue
                    .push_back(To::Server(ServerEvent::DocResult { doc, outcome }));
            }
            other => {
                let events = self.pulls.server_effect(other);
                self.queue.extend(events);
            }
        }
    }

    fn server_event(&mut self, e: ServerEvent) {
        self.queue.push_back(To::Server(e));
        self.run();
    }

    fn client_event(&mut self, e: ClientEvent) {
        self.queue.push_back(To::Client(e));
        self.run();
    }

    fn in_sync(&mut self, doc: DocKey) -> bool {
        let s = self.server_store.heads(doc);
        !s.is_empty() && s == self.client_store.heads(doc)
    }
}

fn only_refusal(w: &World) -> &Refusal {
    assert_eq!(w.logged.len(), 1, "{:?}", w.logged);
    assert_eq!(
        w.alerts, w.logged,
        "the device is told what the server logged"
    );
    assert_eq!(
        w.server_closed.as_ref().map(|c| c.0),
        Some(CloseCode::Policy)
    );
    assert!(w.client.is_closed() && w.server.is_closed());
    &w.logged[0]
}
