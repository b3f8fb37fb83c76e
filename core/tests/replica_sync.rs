//! The counter's replica syncing with a server copy of the day through automerge's
//! sync protocol, on a real SQLite file: first contact, reconnect after reopening,
//! local changes going up, refusals that store nothing, and the device and server
//! sessions driving the replica through their effects.

use automerge::sync::{State, SyncDoc};
use linli_core::counter::CodeMethod;
use linli_core::demo::{sample_day_doc, sample_orders, SampleCatalog, SampleOrder};
use linli_core::doc::PointDayDoc;
use linli_core::handover::HandoverRequest;
use linli_core::ids::{DeviceId, PointId};
use linli_core::pickup::PickupRefusal;
use linli_core::pickup_code::CodeKey;
use linli_core::replica::{sync_outcome, DeviceIdentity, OrderList, Replica, ReplicaError};
use linli_core::sync::{
    decode_sync_message, generate_sync_message, ClientEffect, ClientEvent, ClientSession,
    DeviceRecord, DocKey, DocRefusal, Frame, RefusalCode, ServerEffect, ServerEvent, ServerSession,
};
use linli_core::time::Millis;

const DAY: &str = "2026-11-22";
const CODE_KEY: [u8; 32] = [9; 32];

struct Setup {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    replica: Replica,
    point: PointId,
    device: DeviceId,
    key: DocKey,
    orders: Vec<SampleOrder>,
    /// The server's copy of the day and its sync state with this device.
    server: PointDayDoc,
    server_state: State,
}

/// An enrolled replica that holds nothing yet, and a server day of `n` orders.
fn setup(n: usize) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("replica.sqlite3");
    let point = PointId::new();
    let device = DeviceId::new();
    let orders = sample_orders(
        &SampleCatalog::new(1),
        &CodeKey::from_bytes(CODE_KEY),
        Millis(1_795_312_000_000),
        n,
        2,
    );
    let server = server_day(point, &orders);
    let mut replica = Replica::open(&path).unwrap();
    replica.enroll(identity(point, device)).unwrap();
    Setup {
        _dir: dir,
        path,
        replica,
        point,
        device,
        key: DocKey::for_day(point, DAY).unwrap(),
        orders,
        server,
        server_state: State::new(),
    }
}

/// The day as the server writes it: one change per order (each order is its own
/// writer job), then the expected lines at cutoff.
fn server_day(point: PointId, orders: &[SampleOrder]) -> PointDayDoc {
    let mut doc = PointDayDoc::genesis(point, DAY).unwrap();
    doc.automerge().commit();
    for o in orders {
        doc.put_order(&o.facts).unwrap();
        doc.automerge().commit();
    }
    let route_of =
        std::collections::BTreeMap::from([(point, linli_core::ids::RouteId(uuid::Uuid::nil()))]);
    let wave =
        linli_core::cutoff::aggregate(orders.iter().map(|o| (point, &o.facts)), &route_of).unwrap();
    for line in wave.expected_lines(point) {
        doc.put_expected(&line).unwrap();
    }
    doc.automerge().commit();
    doc
}

fn identity(point: PointId, device: DeviceId) -> DeviceIdentity {
    DeviceIdentity {
        point,
        device,
        leader: "李姐".into(),
        code_key: CodeKey::from_bytes(CODE_KEY),
    }
}

fn server_receive(s: &mut Setup, bytes: &[u8]) {
    s.server
        .automerge()
        .sync()
        .receive_sync_message(&mut s.server_state, decode_sync_message(bytes).unwrap())
        .unwrap();
}

fn server_generate(s: &mut Setup) -> Option<Vec<u8>> {
    generate_sync_message(s.server.automerge(), &mut s.server_state).unwrap()
}

/// Runs the protocol until neither side has anything to say; returns the bytes
/// of sync messages exchanged both ways.
fn sync(s: &mut Setup) -> usize {
    let mut bytes = 0;
    let mut from_device = s.replica.generate_sync(s.key).unwrap();
    for _ in 0..50 {
        if let Some(m) = from_device.take() {
            bytes += m.len();
            server_receive(s, &m);
        }
        match server_generate(s) {
            Some(m) => {
                bytes += m.len();
                from_device = s.replica.receive_sync(s.key, &m).unwrap();
            }
            None => {
                from_device = s.replica.generate_sync(s.key).unwrap();
                if from_device.is_none() {
                    return bytes;
                }
            }
        }
    }
    panic!("sync did not settle");
}

fn rows(path: &std::path::Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn first_contact_stores_the_day_and_projects_it() {
    let mut s = setup(40);
    sync(&mut s);
    assert_eq!(
        s.replica
            .export_document(DAY)
            .map(|b| PointDayDoc::load(&b).unwrap().heads())
            .unwrap(),
        s.server.heads()
    );
    let all = s.replica.list_orders(OrderList::All, None, 100).unwrap();
    assert_eq!(all.len(), 40);
    // The projection answers the counter: delivery not accepted yet.
    assert!(matches!(
        s.replica.verify_code(&s.orders[0].code, None),
        Err(ReplicaError::Pickup(PickupRefusal::NotArrived))
    ));
    assert_eq!(rows(&s.path, "sync_states"), 1);
    assert!(s.replica.pending_changes().unwrap().is_empty());
}

#[test]
fn a_reconnect_after_reopening_sends_only_what_the_other_side_lacks() {
    let mut s = setup(500);
    let first = sync(&mut s);

    // The app restarts; the server kept its own state for this device.
    let server_saved = s.server_state.encode();
    drop(std::mem::replace(
        &mut s.replica,
        Replica::open(&s.path).unwrap(),
    ));
    s.server_state = State::decode(&server_saved).unwrap();
    let second = sync(&mut s);
    eprintln!("500-order day: first sync {first} bytes, reconnect {second} bytes");
    // The first sync carries the whole day (about 80 bytes an order).
    assert!(first > 30_000, "{first}");
    assert!(second < 400, "{second}");

    // A handover at the counter: pending until the server has it, then sent alone.
    s.replica.accept_delivery(DAY).unwrap();
    s.replica
        .hand_over(
            &s.orders[7].code,
            None,
            &HandoverRequest::Whole,
            CodeMethod::Typed,
        )
        .unwrap();
    assert_eq!(s.replica.pending_changes().unwrap(), vec![s.key]);
    s.replica.begin_sync_session();
    s.server_state = State::decode(&s.server_state.encode()).unwrap();
    let third = sync(&mut s);
    eprintln!("an acceptance and a handover going up: {third} bytes");
    assert!(third < 5_000, "{third}");
    let facts = s.server.facts().unwrap();
    assert_eq!(facts.handovers.len(), 1);
    assert_eq!(facts.acceptances.len(), 1);
    assert!(s.replica.pending_changes().unwrap().is_empty());

    // A new order on the server reaches the counter's projection.
    let more = sample_orders(
        &SampleCatalog::new(1),
        &CodeKey::from_bytes(CODE_KEY),
        Millis(1_795_312_000_000),
        501,
        2,
    );
    s.server.put_order(&more[500].facts).unwrap();
    sync(&mut s);
    let all = s.replica.list_orders(OrderList::All, None, 1_000).unwrap();
    assert_eq!(all.len(), 501);
}

#[test]
fn garbage_is_refused_and_nothing_is_stored() {
    let mut s = setup(5);
    sync(&mut s);
    let (chunks, states) = (rows(&s.path, "doc_chunks"), rows(&s.path, "sync_states"));
    let err = s
        .replica
        .receive_sync(s.key, b"not a sync message")
        .unwrap_err();
    assert!(matches!(err, ReplicaError::SyncMessage { .. }), "{err}");
    assert!(err.to_string().contains(&s.key.to_string()), "{err}");
    assert!(matches!(
        sync_outcome(Err(err)),
        Err(DocRefusal::Refused {
            code: RefusalCode::BadSyncMessage,
            ..
        })
    ));
    // A real message cut short is garbage too.
    s.server.put_order(&s.orders[0].facts).unwrap();
    let mut more = s.orders[1].facts.clone();
    more.id = linli_core::ids::OrderId::new();
    s.server.put_order(&more).unwrap();
    let m = server_generate(&mut s).unwrap();
    assert!(s.replica.receive_sync(s.key, &m[..m.len() / 2]).is_err());
    assert_eq!(rows(&s.path, "doc_chunks"), chunks);
    assert_eq!(rows(&s.path, "sync_states"), states);
    assert_eq!(
        s.replica
            .list_orders(OrderList::All, None, 100)
            .unwrap()
            .len(),
        5
    );
}

#[test]
fn a_document_of_another_point_is_refused_and_nothing_is_stored() {
    let mut s = setup(3);
    // The server (wrongly) answers this point's key with another point's day.
    let other = PointId::new();
    let orders = sample_orders(
        &SampleCatalog::new(1),
        &CodeKey::from_bytes(CODE_KEY),
        Millis(0),
        3,
        4,
    );
    s.server = sample_day_doc(other, DAY, &orders).unwrap();
    let hello = s.replica.generate_sync(s.key).unwrap().unwrap();
    server_receive(&mut s, &hello);
    let doc = server_generate(&mut s).unwrap();
    let err = s.replica.receive_sync(s.key, &doc).unwrap_err();
    assert!(err.to_string().contains(&other.to_string()), "{err}");
    assert!(matches!(
        sync_outcome(Err(err)),
        Err(DocRefusal::Refused {
            code: RefusalCode::OtherPoint,
            ..
        })
    ));
    // A key of another point is refused before anything is read.
    let foreign = DocKey::for_day(other, DAY).unwrap();
    assert!(matches!(
        s.replica.receive_sync(foreign, &doc),
        Err(ReplicaError::WrongPoint(p)) if p == s.point
    ));
    assert!(matches!(
        s.replica.generate_sync(foreign),
        Err(ReplicaError::WrongPoint(_))
    ));
    for table in ["documents", "doc_chunks", "sync_states", "orders"] {
        assert_eq!(rows(&s.path, table), 0, "{table}");
    }
}

#[test]
fn the_device_key_is_drawn_once_and_kept_across_restarts() {
    let mut s = setup(1);
    let first = s.replica.device_key().unwrap().public();
    assert_eq!(s.replica.device_key().unwrap().public(), first);
    drop(std::mem::replace(
        &mut s.replica,
        Replica::open(&s.path).unwrap(),
    ));
    assert_eq!(s.replica.device_key().unwrap().public(), first);
    assert_eq!(rows(&s.path, "device_key"), 1);
}

/// The sessions' effects carried out as the two drivers will: frames through
/// encode/decode, device jobs on the replica, server jobs on the server's copy.
#[test]
fn the_sessions_drive_the_replica_to_the_servers_day() {
    let mut s = setup(60);
    let device_key = s.replica.device_key().unwrap();
    let record = DeviceRecord {
        point: s.point,
        public_key: device_key.public(),
        revoked: false,
    };
    let now = Millis(1_795_312_000_000);
    let mut client = ClientSession::new(s.device, s.point, device_key, now);
    let mut server = ServerSession::new(now);
    s.replica.begin_sync_session();

    enum To {
        Server(ServerEvent),
        Client(ClientEvent),
    }
    let mut queue = std::collections::VecDeque::from([To::Client(ClientEvent::Opened)]);
    let carry = |f: Frame| Frame::decode(&f.encode().unwrap()).unwrap();
    let mut ready = false;
    while let Some(next) = queue.pop_front() {
        match next {
            To::Client(e) => {
                for effect in client.handle(e) {
                    match effect {
                        ClientEffect::Send(f) => {
                            queue.push_back(To::Server(ServerEvent::Frame(carry(f))))
                        }
                        ClientEffect::Receive { doc, message } => {
                            let outcome = sync_outcome(s.replica.receive_sync(doc, &message));
                            queue.push_back(To::Client(ClientEvent::DocResult { doc, outcome }));
                        }
                        ClientEffect::Generate { doc } => {
                            let outcome = sync_outcome(s.replica.generate_sync(doc));
                            queue.push_back(To::Client(ClientEvent::DocResult { doc, outcome }));
                        }
                        ClientEffect::Ready { .. } => ready = true,
                        // Pulls are another test's subject (tests/pulls.rs).
                        ClientEffect::SendWithdrawals | ClientEffect::Pull { .. } => {}
                        other => panic!("{other:?}"),
                    }
                }
            }
            To::Server(e) => {
                for effect in server.handle(e) {
                    match effect {
                        ServerEffect::Send(f) => {
                            queue.push_back(To::Client(ClientEvent::Frame(carry(f))))
                        }
                        ServerEffect::LookUpDevice { device } => {
                            assert_eq!(device, s.device);
                            queue.push_back(To::Server(ServerEvent::Device(Some(record.clone()))));
                        }
                        ServerEffect::Authenticated { .. } => {
                            queue.push_back(To::Server(ServerEvent::Docs(vec![s.key])));
                        }
                        ServerEffect::Receive { doc, message, .. } => {
                            server_receive(&mut s, &message);
                            let outcome = Ok(server_generate(&mut s));
                            queue.push_back(To::Server(ServerEvent::DocResult { doc, outcome }));
                        }
                        ServerEffect::Generate { doc, .. } => {
                            let outcome = Ok(server_generate(&mut s));
                            queue.push_back(To::Server(ServerEvent::DocResult { doc, outcome }));
                        }
                        other => panic!("{other:?}"),
                    }
                }
            }
        }
    }
    assert!(ready);
    assert_eq!(
        s.replica
            .list_orders(OrderList::All, None, 100)
            .unwrap()
            .len(),
        60
    );
    assert!(s.replica.pending_changes().unwrap().is_empty());
}
