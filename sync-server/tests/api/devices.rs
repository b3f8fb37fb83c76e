//! Counter devices: enrollment codes, enrolling, revoking, and the server's side of
//! sync. The store is driven directly on a real SQLite file; a device is a real
//! `PointDayDoc` forked from the server's bytes, talking automerge's sync protocol.

use std::sync::Arc;

use automerge::sync::{State, SyncDoc};
use automerge::AutoCommit;
use chrono::{NaiveDate, TimeZone};
use ed25519_dalek::SigningKey;
use linli_core::business_day::RegionClock;
use linli_core::catalog::Product;
use linli_core::counter::{CodeMethod, CounterStamp};
use linli_core::doc::PointDayDoc;
use linli_core::handover::{Handover, HandoverLine};
use linli_core::ids::{ConsumerId, DeviceId, EventId, OrderId, PointId, SkuId, SupplierId};
use linli_core::money::{Fen, Rate};
use linli_core::ordering::RequestedLine;
use linli_core::sync::{decode_sync_message, generate_sync_message};
use linli_core::time::Millis;
use linli_sync_server::http::{Principal, Role};
use linli_sync_server::store::{
    ConsumerStore, DeviceStatus, DeviceStore, EnrollError, Enrollment, LedgerStore, NewPoint,
    NewSupplier, PayAtPickup, PaymentMethod, PlaceOrder, PointStatus, SqliteStore, Store,
    StoreError, SyncRefusal, SyncSession, CODE_VALID_FOR_MS, DUPLICATE_HANDOVER,
    HANDED_OVER_WHEN_VOID,
};
use rand::RngCore;
use rusqlite::Connection;
use serde_json::json;

use crate::common::TestServer;

const DAY: &str = "2026-11-02";
const HOUR: i64 = 60 * 60 * 1000;

fn local(day: &str, hh: u32) -> Millis {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    let zone = RegionClock::parse("Asia/Shanghai", "23:00").unwrap().zone;
    let t = zone
        .from_local_datetime(&d.and_hms_opt(hh, 0, 0).unwrap())
        .unwrap();
    Millis(t.timestamp_millis())
}

struct World {
    /// Approved: devices may enroll.
    point: PointId,
    /// Still an application.
    applied: PointId,
    eggs: SkuId,
    fish: SkuId,
    buyer: ConsumerId,
}

fn new_point(region: &str, route: &str, seq: u32, name: &str) -> NewPoint {
    NewPoint {
        region: region.into(),
        name: name.into(),
        leader_name: "李姐".into(),
        leader_phone: "13800138000".into(),
        province: "湖南省".into(),
        city: "长沙市".into(),
        district: "岳麓区".into(),
        address: "麓山南路 1 号".into(),
        lat: 28.18,
        lng: 112.94,
        route: Some(route.into()),
        stop_seq: Some(seq),
        opening_hours: "08:00-21:00".into(),
        commission_override: None,
    }
}

fn product(supplier: SupplierId, name: &str, price: i64, rate: Option<u32>) -> Product {
    Product {
        sku: SkuId::new(),
        name: name.into(),
        category: "生鲜".into(),
        spec: "1份".into(),
        image_urls: vec![],
        price: Fen(price),
        supplier,
        returnable: true,
        return_window_days: 2,
        points_eligible: true,
        purchase_limit: None,
        sale_window: None,
        commission_rate: rate.map(Rate),
    }
}

async fn world(store: &SqliteStore) -> World {
    let (region, route) = crate::common::changsha_route(store, "岳麓一线").await;
    let point = store
        .create_point(new_point(&region, &route, 1, "麓山便利店"))
        .await
        .unwrap();
    store
        .set_point_status(point, PointStatus::Approved)
        .await
        .unwrap();
    let applied = store
        .create_point(new_point(&region, &route, 2, "桃子湖生鲜"))
        .await
        .unwrap();
    let supplier: SupplierId = store
        .create_supplier(NewSupplier {
            name: "浏阳农产".into(),
            contact: "刘经理".into(),
            phone: "13700137000".into(),
        })
        .await
        .unwrap()
        .parse()
        .unwrap();
    let eggs = product(supplier, "本地土鸡蛋", 2_390, None);
    let fish = product(supplier, "洞庭湖鳙鱼", 9_900, Some(1_500));
    let (e, f) = (eggs.sku, fish.sku);
    store.upsert_product(eggs, 10_000).await.unwrap();
    store.upsert_product(fish, 10_000).await.unwrap();
    let buyer = store
        .create_consumer("王女士".into(), "13812345678".into())
        .await
        .unwrap();
    World {
        point,
        applied,
        eggs: e,
        fish: f,
        buyer,
    }
}

/// 2 eggs + 1 fish for `DAY`: 1,963 fen of commission at the default 10 % and 15 %.
async fn place(store: &SqliteStore, w: &World, key: &str) -> OrderId {
    store
        .place_order(PlaceOrder {
            consumer: w.buyer,
            point: w.point,
            lines: vec![
                RequestedLine {
                    sku: w.eggs,
                    qty: 2,
                },
                RequestedLine {
                    sku: w.fish,
                    qty: 1,
                },
            ],
            idempotency_key: key.into(),
            payment: PaymentMethod::PayAtPickup,
            at: local("2026-11-01", 20),
        })
        .await
        .unwrap()
        .id
}

fn public_key() -> Vec<u8> {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    SigningKey::from_bytes(&seed)
        .verifying_key()
        .to_bytes()
        .to_vec()
}

async fn enroll(store: &SqliteStore, point: PointId) -> DeviceId {
    let code = store
        .create_enrollment_code(point, "op".into(), Millis::now(), CODE_VALID_FOR_MS)
        .await
        .unwrap();
    store
        .enroll_device(
            Enrollment {
                code: code.code,
                public_key: public_key(),
                label: "收银台".into(),
            },
            Millis::now(),
        )
        .await
        .unwrap()
        .device
}

async fn open() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("server.sqlite3")).unwrap();
    (store, dir)
}

fn db(dir: &tempfile::TempDir) -> Connection {
    Connection::open(dir.path().join("server.sqlite3")).unwrap()
}

fn chunks(dir: &tempfile::TempDir, key: &str) -> Vec<Vec<u8>> {
    db(dir)
        .prepare("SELECT bytes FROM doc_chunks WHERE doc_key = ?1 ORDER BY seq")
        .unwrap()
        .query_map([key], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn refusals(dir: &tempfile::TempDir) -> Vec<String> {
    db(dir)
        .prepare("SELECT reason FROM sync_refusals ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

// --- enrollment ---

#[tokio::test]
async fn a_code_enrolls_one_device_once() {
    let (store, dir) = open().await;
    let w = world(&store).await;
    let now = local(DAY, 8);
    let code = store
        .create_enrollment_code(w.point, "op-1".into(), now, CODE_VALID_FOR_MS)
        .await
        .unwrap();
    assert_eq!(code.expires_at, Millis(now.0 + 24 * HOUR));
    assert_eq!(code.code.len(), 11);
    let key = public_key();
    // Typed carelessly: lower case, no dash, spaces.
    let typed = format!(" {} ", code.code.replace('-', "").to_lowercase());
    let enrolled = store
        .enroll_device(
            Enrollment {
                code: typed.clone(),
                public_key: key.clone(),
                label: " 收银台电脑 ".into(),
            },
            Millis(now.0 + HOUR),
        )
        .await
        .unwrap();
    assert_eq!(enrolled.point, w.point);
    assert_eq!(enrolled.point_name, "麓山便利店");
    assert_eq!(enrolled.code_key.len(), 64);
    assert_eq!(enrolled.server_time, Millis(now.0 + HOUR));

    let again = store
        .enroll_device(
            Enrollment {
                code: typed,
                public_key: public_key(),
                label: "平板".into(),
            },
            Millis(now.0 + 2 * HOUR),
        )
        .await
        .unwrap_err();
    assert!(matches!(again, EnrollError::CodeUsed), "{again:?}");

    let listed = store.point_devices(w.point).await.unwrap();
    assert_eq!(listed.len(), 1);
    let d = &listed[0];
    assert_eq!(
        (d.id, d.status, d.label.as_str(), d.enrolled_by.as_str()),
        (enrolled.device, DeviceStatus::Active, "收银台电脑", "op-1")
    );
    assert_eq!(d.public_key, hex::encode(&key));

    let sync = store.device_for_sync(enrolled.device).await.unwrap();
    assert_eq!(sync.point, w.point);
    assert_eq!(sync.public_key.to_vec(), key);

    // Only a digest of the code is on disk.
    let conn = db(&dir);
    let stored: Vec<u8> = conn
        .query_row("SELECT digest FROM enrollment_codes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored.len(), 32);
    let plain = code.code.replace('-', "");
    assert!(!stored.windows(plain.len()).any(|w| w == plain.as_bytes()));
}

#[tokio::test]
async fn expired_unknown_and_foreign_codes_are_refused_with_their_reason() {
    let (store, _dir) = open().await;
    let w = world(&store).await;
    let t0 = local(DAY, 8);
    let code = store
        .create_enrollment_code(w.point, "op".into(), t0, HOUR)
        .await
        .unwrap();
    let try_at = |code: &str, at: Millis| {
        store.enroll_device(
            Enrollment {
                code: code.into(),
                public_key: public_key(),
                label: "收银台".into(),
            },
            at,
        )
    };
    let late = try_at(&code.code, Millis(t0.0 + HOUR)).await.unwrap_err();
    assert!(
        matches!(late, EnrollError::CodeExpired(at) if at == code.expires_at),
        "{late:?}"
    );
    assert_eq!(late.field(), Some("code"));
    let unknown = try_at("ABCDE-FGHJK", t0).await.unwrap_err();
    assert!(matches!(unknown, EnrollError::UnknownCode), "{unknown:?}");
    let impossible = try_at("0000", t0).await.unwrap_err();
    assert!(matches!(impossible, EnrollError::UnknownCode));
    // The expired code stays unspent: nothing was enrolled.
    assert!(store.point_devices(w.point).await.unwrap().is_empty());

    let not_approved = store
        .create_enrollment_code(w.applied, "op".into(), t0, HOUR)
        .await
        .unwrap_err();
    assert!(
        matches!(not_approved, StoreError::PointNotApproved(p) if p == w.applied),
        "{not_approved:?}"
    );
    let nowhere = store
        .create_enrollment_code(PointId::new(), "op".into(), t0, HOUR)
        .await
        .unwrap_err();
    assert!(matches!(nowhere, StoreError::NotFound(_)));
    // A point suspended after its code was issued enrolls nothing either.
    let code = store
        .create_enrollment_code(w.point, "op".into(), t0, HOUR)
        .await
        .unwrap();
    store
        .set_point_status(w.point, PointStatus::Suspended)
        .await
        .unwrap();
    let suspended = try_at(&code.code, t0).await.unwrap_err();
    assert!(matches!(suspended, EnrollError::PointNotApproved(_)));
}

#[tokio::test]
async fn bad_keys_are_refused_and_leave_the_code_unspent() {
    let (store, _dir) = open().await;
    let w = world(&store).await;
    let now = Millis::now();
    let code = store
        .create_enrollment_code(w.point, "op".into(), now, CODE_VALID_FOR_MS)
        .await
        .unwrap();
    let with_key = |key: Vec<u8>| Enrollment {
        code: code.code.clone(),
        public_key: key,
        label: "收银台".into(),
    };
    let short = store.enroll_device(with_key(vec![7; 31]), now).await;
    assert!(matches!(short, Err(EnrollError::BadKey(ref m)) if m.contains("31")));
    let mut off_curve = [0u8; 32];
    off_curve[0] = 2;
    let off = store.enroll_device(with_key(off_curve.to_vec()), now).await;
    assert!(matches!(off, Err(EnrollError::BadKey(_))), "{off:?}");
    let key = public_key();
    store
        .enroll_device(with_key(key.clone()), now)
        .await
        .unwrap();
    // The same key cannot be a second device.
    let other = store
        .create_enrollment_code(w.point, "op".into(), now, CODE_VALID_FOR_MS)
        .await
        .unwrap();
    let twice = store
        .enroll_device(
            Enrollment {
                code: other.code,
                public_key: key,
                label: "平板".into(),
            },
            now,
        )
        .await;
    assert!(matches!(twice, Err(EnrollError::KeyTaken)), "{twice:?}");
}

#[tokio::test]
async fn a_revoked_device_cannot_sync() {
    let (store, _dir) = open().await;
    let w = world(&store).await;
    let device = enroll(&store, w.point).await;
    let revoked = store
        .revoke_device(device, "op-2".into(), Millis(5))
        .await
        .unwrap();
    assert_eq!(revoked.status, DeviceStatus::Revoked);
    assert_eq!(revoked.revoked_at, Some(Millis(5)));
    let again = store
        .revoke_device(device, "op-3".into(), Millis(9))
        .await
        .unwrap();
    assert_eq!(again.revoked_by.as_deref(), Some("op-2"));
    let refused = store.device_for_sync(device).await.unwrap_err();
    assert!(matches!(refused, SyncRefusal::Revoked(d) if d == device));
    let unknown = store.device_for_sync(DeviceId::new()).await.unwrap_err();
    assert!(matches!(unknown, SyncRefusal::UnknownDevice(_)));
    assert!(matches!(
        store
            .revoke_device(DeviceId::new(), "op".into(), Millis(1))
            .await,
        Err(StoreError::NotFound(_))
    ));
}

// --- sync ---

/// A counter device as the tests play it: its copy of the document and its side
/// of automerge's sync state.
struct Counter {
    doc: PointDayDoc,
    state: State,
}

impl Counter {
    async fn fork(store: &SqliteStore, point: PointId) -> Counter {
        let bytes = store
            .point_day_document(point, DAY.into())
            .await
            .unwrap()
            .unwrap();
        Counter {
            doc: PointDayDoc::load(&bytes).unwrap().fork(),
            state: State::new(),
        }
    }

    fn hand_over(&mut self, order: OrderId, lines: Vec<HandoverLine>, device: DeviceId) {
        self.doc
            .record_handover(
                EventId::new(),
                &Handover {
                    order,
                    lines,
                    method: CodeMethod::Typed,
                    stamp: CounterStamp {
                        device,
                        leader: "李姐".into(),
                        at: local(DAY, 10),
                    },
                },
            )
            .unwrap();
    }

    async fn sync(
        &mut self,
        store: &SqliteStore,
        session: &mut SyncSession,
    ) -> Result<usize, SyncRefusal> {
        let replies = exchange(self.doc.automerge(), &mut self.state, store, session).await?;
        Ok(replies.iter().map(Vec::len).sum())
    }
}

/// Runs automerge's sync between a device's document and the store until the device
/// has nothing more to say; answers the server's replies, or the refusal that
/// stopped it. The server only ever answers, so a quiet device means a quiet line.
async fn exchange(
    doc: &mut AutoCommit,
    state: &mut State,
    store: &SqliteStore,
    session: &mut SyncSession,
) -> Result<Vec<Vec<u8>>, SyncRefusal> {
    let key = format!("{}/{DAY}", session.device().point);
    let mut replies = Vec::new();
    for _ in 0..20 {
        let Some(out) = generate_sync_message(doc, state).unwrap() else {
            return Ok(replies);
        };
        let reply = store.receive_device_sync(session, key.clone(), out).await?;
        if let Some(reply) = reply {
            let message = decode_sync_message(&reply).unwrap();
            doc.sync().receive_sync_message(state, message).unwrap();
            replies.push(reply);
        }
    }
    panic!("the sync did not settle in 20 rounds");
}

async fn session(store: &SqliteStore, device: DeviceId) -> SyncSession {
    SyncSession::new(store.device_for_sync(device).await.unwrap())
}

fn server_facts(bytes: &[u8]) -> linli_core::point_day::PointDay {
    PointDayDoc::load(bytes).unwrap().facts().unwrap()
}

#[tokio::test]
async fn a_device_handover_is_accepted_stored_and_books_commission() {
    let (store, dir) = open().await;
    let w = world(&store).await;
    let order = place(&store, &w, "a").await;
    let device = enroll(&store, w.point).await;
    let mut counter = Counter::fork(&store, w.point).await;
    let whole = vec![
        HandoverLine {
            sku: w.eggs,
            qty: 2,
        },
        HandoverLine {
            sku: w.fish,
            qty: 1,
        },
    ];
    counter.hand_over(order, whole, device);
    let key = format!("{}/{DAY}", w.point);
    let before = chunks(&dir, &key).len();

    let mut s = session(&store, device).await;
    counter.sync(&store, &mut s).await.unwrap();

    assert_eq!(chunks(&dir, &key).len(), before + 1);
    let bytes = store
        .point_day_document(w.point, DAY.into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        server_facts(&bytes).handovers,
        counter.doc.facts().unwrap().handovers
    );
    let mut server = PointDayDoc::load(&bytes).unwrap();
    assert_eq!(server.heads(), counter.doc.heads());
    let t = store.ledger_totals(w.point).await.unwrap();
    assert_eq!(t.accrued, Fen(1_963));
    let page = store.ledger_since(w.point, 0).await.unwrap();
    assert!(page
        .entries
        .iter()
        .all(|e| e.device.as_deref() == Some(device.to_string().as_str())));
    assert!(refusals(&dir).is_empty());
    // The shared heads are kept for the next connection, and the device was seen.
    let (states, seen): (i64, Option<i64>) = db(&dir)
        .query_row(
            "SELECT (SELECT count(*) FROM sync_states), last_seen_at FROM devices",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(states, 1);
    assert!(seen.is_some());
}

#[tokio::test]
async fn a_device_change_to_an_order_is_refused_and_nothing_is_stored() {
    let (store, dir) = open().await;
    let w = world(&store).await;
    let order = place(&store, &w, "a").await;
    let device = enroll(&store, w.point).await;
    let mut counter = Counter::fork(&store, w.point).await;
    let mut facts = counter.doc.order(order).unwrap().unwrap();
    facts.paid = Fen(1);
    counter.doc.put_order(&facts).unwrap();
    let key = format!("{}/{DAY}", w.point);
    let before = chunks(&dir, &key);

    let mut s = session(&store, device).await;
    let refused = counter.sync(&store, &mut s).await.unwrap_err();
    assert!(matches!(refused, SyncRefusal::Ownership(_)), "{refused:?}");
    assert!(refused.is_device_fault());

    assert_eq!(chunks(&dir, &key), before);
    // Neither the file nor the writer's cached copy took the change.
    let bytes = store
        .point_day_document(w.point, DAY.into())
        .await
        .unwrap()
        .unwrap();
    assert_ne!(server_facts(&bytes).orders[&order].paid, Fen(1));
    assert_eq!(refusals(&dir), vec!["ownership"]);
    // A new order still goes into the document as usual.
    place(&store, &w, "b").await;
    assert_eq!(chunks(&dir, &key).len(), before.len() + 1);
}

#[tokio::test]
async fn a_stray_key_next_to_the_counter_maps_is_refused() {
    use automerge::transaction::Transactable;
    let (store, dir) = open().await;
    let w = world(&store).await;
    place(&store, &w, "a").await;
    let device = enroll(&store, w.point).await;
    let mut counter = Counter::fork(&store, w.point).await;
    // Hydration would ignore it, so only the path check can see it.
    counter
        .doc
        .automerge()
        .put(automerge::ROOT, "discount", 50)
        .unwrap();
    let mut s = session(&store, device).await;
    let refused = counter.sync(&store, &mut s).await.unwrap_err();
    assert!(
        matches!(refused, SyncRefusal::NotCounterFact(_)),
        "{refused:?}"
    );
    assert_eq!(refusals(&dir), vec!["not_counter_fact"]);
}

#[tokio::test]
async fn garbage_and_foreign_keys_are_refused_with_nothing_stored() {
    let (store, dir) = open().await;
    let w = world(&store).await;
    place(&store, &w, "a").await;
    let device = enroll(&store, w.point).await;
    let key = format!("{}/{DAY}", w.point);
    let before = chunks(&dir, &key);
    let mut s = session(&store, device).await;

    let garbage = store
        .receive_device_sync(&mut s, key.clone(), b"\x42garbage".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(garbage, SyncRefusal::BadMessage(_)), "{garbage:?}");
    // A real message cut short.
    let mut counter = Counter::fork(&store, w.point).await;
    let whole = generate_sync_message(counter.doc.automerge(), &mut counter.state)
        .unwrap()
        .unwrap();
    let cut = store
        .receive_device_sync(&mut s, key.clone(), whole[..whole.len() / 2].to_vec())
        .await
        .unwrap_err();
    assert!(matches!(cut, SyncRefusal::BadMessage(_)), "{cut:?}");
    let other = format!("{}/{DAY}", w.applied);
    let foreign = store
        .receive_device_sync(&mut s, other, whole.clone())
        .await
        .unwrap_err();
    assert!(matches!(foreign, SyncRefusal::OtherPoint(_)), "{foreign:?}");
    let odd = store
        .receive_device_sync(&mut s, format!("{}/2026-11-2", w.point), whole.clone())
        .await
        .unwrap_err();
    assert!(matches!(odd, SyncRefusal::BadDocKey(_)), "{odd:?}");
    let missing = store
        .generate_device_sync(&mut s, format!("{}/2026-11-03", w.point))
        .await
        .unwrap_err();
    assert!(matches!(missing, SyncRefusal::UnknownDocument(_)));

    assert_eq!(chunks(&dir, &key), before);
    assert_eq!(
        refusals(&dir),
        vec![
            "bad_message",
            "bad_message",
            "other_point",
            "bad_doc_key",
            "unknown_document"
        ]
    );
    // The session still works after refusals of single messages.
    assert!(store
        .receive_device_sync(&mut s, key, whole)
        .await
        .unwrap()
        .is_some());

    // A revoked device is refused at its next message.
    store
        .revoke_device(device, "op".into(), Millis::now())
        .await
        .unwrap();
    let revoked = store
        .generate_device_sync(&mut s, format!("{}/{DAY}", w.point))
        .await
        .unwrap_err();
    assert!(matches!(revoked, SyncRefusal::Revoked(_)));
}

#[tokio::test]
async fn a_handover_of_a_cancelled_order_is_kept_and_raises_an_exception() {
    let (store, _dir) = open().await;
    let w = world(&store).await;
    let order = place(&store, &w, "a").await;
    let device = enroll(&store, w.point).await;
    // The device hands over offline while the consumer cancels.
    let mut counter = Counter::fork(&store, w.point).await;
    counter.hand_over(
        order,
        vec![HandoverLine {
            sku: w.eggs,
            qty: 2,
        }],
        device,
    );
    store
        .cancel_consumer_order(
            w.buyer,
            order,
            local("2026-11-01", 21),
            Arc::new(PayAtPickup),
        )
        .await
        .unwrap();

    let mut s = session(&store, device).await;
    counter.sync(&store, &mut s).await.unwrap();

    let bytes = store
        .point_day_document(w.point, DAY.into())
        .await
        .unwrap()
        .unwrap();
    let facts = server_facts(&bytes);
    assert_eq!(facts.handovers.len(), 1, "the handover is kept");
    assert!(facts.orders[&order].cancelled_at.is_some());
    let t = store.ledger_totals(w.point).await.unwrap();
    assert_eq!(t.accrued, Fen::ZERO);
    let x = store.ledger_exceptions(w.point).await.unwrap();
    assert_eq!(x.len(), 1);
    assert_eq!(x[0].kind, HANDED_OVER_WHEN_VOID);
    assert_eq!(x[0].device.as_deref(), Some(device.to_string().as_str()));
    // The device has the cancellation too.
    assert!(counter.doc.facts().unwrap().orders[&order]
        .cancelled_at
        .is_some());
}

#[tokio::test]
async fn two_devices_handing_over_one_order_book_once_and_raise_duplicate_handover() {
    let (store, _dir) = open().await;
    let w = world(&store).await;
    let order = place(&store, &w, "a").await;
    let (d1, d2) = (enroll(&store, w.point).await, enroll(&store, w.point).await);
    let mut c1 = Counter::fork(&store, w.point).await;
    let mut c2 = Counter::fork(&store, w.point).await;
    let whole = vec![
        HandoverLine {
            sku: w.eggs,
            qty: 2,
        },
        HandoverLine {
            sku: w.fish,
            qty: 1,
        },
    ];
    c1.hand_over(order, whole.clone(), d1);
    c2.hand_over(order, whole, d2);
    c1.sync(&store, &mut session(&store, d1).await)
        .await
        .unwrap();
    c2.sync(&store, &mut session(&store, d2).await)
        .await
        .unwrap();

    let t = store.ledger_totals(w.point).await.unwrap();
    assert_eq!(t.accrued, Fen(1_963), "each line accrues once");
    let x = store.ledger_exceptions(w.point).await.unwrap();
    assert_eq!(x.len(), 1);
    assert_eq!(x[0].kind, DUPLICATE_HANDOVER);
    assert_eq!(x[0].device.as_deref(), Some(d2.to_string().as_str()));
    assert_eq!(c2.doc.facts().unwrap().handovers.len(), 2);
}

#[tokio::test]
async fn a_reconnect_after_a_restart_sends_only_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.sqlite3");
    let store = SqliteStore::open(&path).unwrap();
    let w = world(&store).await;
    for i in 0..30 {
        place(&store, &w, &format!("k{i}")).await;
    }
    let device = enroll(&store, w.point).await;
    // A new device starts from an empty document and gets the day by sync.
    let mut doc = AutoCommit::new();
    let mut state = State::new();
    let first = exchange(
        &mut doc,
        &mut state,
        &store,
        &mut session(&store, device).await,
    )
    .await
    .unwrap();
    let first: usize = first.iter().map(Vec::len).sum();
    let day = PointDayDoc::load(&doc.save()).unwrap().facts().unwrap();
    assert_eq!(day.orders.len(), 30);
    let mut shared = doc.get_heads();
    shared.sort();
    drop(store);

    let store = SqliteStore::open(&path).unwrap();
    place(&store, &w, "late").await;
    // The device reconnects as well: its own state keeps only the shared heads.
    state = State::decode(&state.encode()).unwrap();
    let replies = exchange(
        &mut doc,
        &mut state,
        &store,
        &mut session(&store, device).await,
    )
    .await
    .unwrap();
    // The server summarised only what came after the heads it had persisted...
    let opening = decode_sync_message(&replies[0]).unwrap();
    let mut since = opening.have[0].last_sync.clone();
    since.sort();
    assert_eq!(since, shared);
    // ...and sent the one change the device lacked, not the day again.
    // (A message's changes arrive as one run of chunks; one change is one chunk.)
    let changes: Vec<Vec<u8>> = replies
        .iter()
        .flat_map(|r| {
            let m = decode_sync_message(r).unwrap();
            m.changes.iter().map(<[u8]>::to_vec).collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(changes.len(), 1);
    automerge::Change::from_bytes(changes[0].clone()).expect("exactly one change");
    let again: usize = replies.iter().map(Vec::len).sum();
    assert!(
        again < first,
        "{again} bytes for one order; {first} for the day"
    );
    let day = PointDayDoc::load(&doc.save()).unwrap().facts().unwrap();
    assert_eq!(day.orders.len(), 31);
    let mut server = PointDayDoc::load(
        &store
            .point_day_document(w.point, DAY.into())
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        server.heads(),
        PointDayDoc::load(&doc.save()).unwrap().heads()
    );
}

// --- HTTP ---

#[tokio::test]
async fn staff_issue_codes_and_a_device_enrolls_over_http() {
    let s = TestServer::start().await;
    let w = world(&s.store).await;
    let operator = s.staff_token(Role::Operator);
    let path = format!("/api/platform/points/{}/enrollment-codes", w.point);
    let (status, code) = s.post(&path, Some(&operator), &json!({})).await;
    assert_eq!(status, 201, "{code}");
    let plain = code["code"].as_str().unwrap().to_string();
    assert_eq!(plain.len(), 11);
    let expires = code["expires_at"].as_i64().unwrap();
    assert!((expires - Millis::now().0 - 24 * HOUR).abs() < 60_000);
    let (status, short) = s
        .post(
            &format!("{path}?valid_hours=2"),
            Some(&operator),
            &json!({}),
        )
        .await;
    assert_eq!(status, 201);
    assert!((short["expires_at"].as_i64().unwrap() - Millis::now().0 - 2 * HOUR).abs() < 60_000);

    let key = public_key();
    let body = json!({
        "code": plain,
        "public_key": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &key),
        "label": "收银台电脑",
    });
    let (status, enrolled) = s.post("/api/device/enroll", None, &body).await;
    assert_eq!(status, 201, "{enrolled}");
    assert_eq!(enrolled["point"], w.point.to_string());
    assert_eq!(enrolled["point_name"], "麓山便利店");
    assert_eq!(enrolled["code_key"].as_str().unwrap().len(), 64);
    assert!(enrolled["server_time"].is_i64());
    assert!(enrolled.get("token").is_none(), "a device gets no token");
    let device = enrolled["device"].as_str().unwrap().to_string();

    let (status, again) = s.post("/api/device/enroll", None, &body).await;
    assert_eq!(status, 422);
    assert_eq!(again["fields"][0]["field"], "code");
    assert!(again["message"].as_str().unwrap().contains("already used"));

    let finance = s.staff_token(Role::Finance);
    let list = format!("/api/platform/points/{}/devices", w.point);
    let (status, devices) = s.get(&list, Some(&finance)).await;
    assert_eq!(status, 200);
    assert_eq!(devices[0]["id"], device);
    assert_eq!(devices[0]["status"], "active");
    assert_eq!(devices[0]["public_key"], hex::encode(&key));

    let revoke = format!("/api/platform/devices/{device}/revoke");
    let (status, _) = s.post(&revoke, Some(&finance), &json!({})).await;
    assert_eq!(status, 403);
    let (status, revoked) = s.post(&revoke, Some(&operator), &json!({})).await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    let (status, _) = s
        .post(
            &format!("/api/platform/devices/{}/revoke", DeviceId::new()),
            Some(&operator),
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn device_endpoints_check_who_calls_and_name_bad_fields() {
    let s = TestServer::start().await;
    let w = world(&s.store).await;
    let codes = format!("/api/platform/points/{}/enrollment-codes", w.point);
    let consumer = s.token(&Principal::Consumer { id: w.buyer });
    let (status, _) = s.post(&codes, Some(&consumer), &json!({})).await;
    assert_eq!(status, 403);
    let (status, _) = s.post(&codes, None, &json!({})).await;
    assert_eq!(status, 401);
    let (status, _) = s
        .get(
            &format!("/api/platform/points/{}/devices", w.point),
            Some(&consumer),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = s
        .post(&codes, Some(&s.staff_token(Role::Finance)), &json!({}))
        .await;
    assert_eq!(status, 403);

    let operator = s.staff_token(Role::Operator);
    let applied = format!("/api/platform/points/{}/enrollment-codes", w.applied);
    let (status, err) = s.post(&applied, Some(&operator), &json!({})).await;
    assert_eq!(status, 422);
    assert_eq!(err["error"], "refused");
    let (status, err) = s
        .post(
            &format!("{codes}?valid_hours=500"),
            Some(&operator),
            &json!({}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["fields"][0]["field"], "valid_hours");
    let (status, _) = s
        .post(
            "/api/platform/points/nope/enrollment-codes",
            Some(&operator),
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);

    let (_, code) = s.post(&codes, Some(&operator), &json!({})).await;
    let enroll = |key: String, extra: Option<(&str, &str)>| {
        let mut body = json!({"code": code["code"], "public_key": key, "label": "收银台"});
        if let Some((k, v)) = extra {
            body[k] = json!(v);
        }
        body
    };
    for (body, field) in [
        (enroll("abc".into(), None), "public_key"),
        (enroll(hex::encode([7u8; 31]), None), "public_key"),
        (
            enroll(hex::encode(public_key()), Some(("label", ""))),
            "label",
        ),
        (
            enroll(hex::encode(public_key()), Some(("token", "x"))),
            "body",
        ),
        (
            json!({"code": "ABCDE-FGHJK", "public_key": hex::encode(public_key()), "label": "a"}),
            "code",
        ),
    ] {
        let (status, err) = s.post("/api/device/enroll", None, &body).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(err["fields"][0]["field"], field, "{err}");
    }
    // None of that spent the code.
    let (status, _) = s
        .post(
            "/api/device/enroll",
            None,
            &enroll(hex::encode(public_key()), None),
        )
        .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn the_device_endpoints_are_described_in_openapi() {
    let s = TestServer::start().await;
    let (_, doc) = s.get("/openapi.json", None).await;
    for path in [
        "/api/platform/points/{point}/enrollment-codes",
        "/api/platform/points/{point}/devices",
        "/api/platform/devices/{device}/revoke",
        "/api/device/enroll",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
}
