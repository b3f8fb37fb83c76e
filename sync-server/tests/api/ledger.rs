//! The commission ledger: accruals at the resolved rates, once per line; refunds;
//! settlement periods, statements and withdrawals; roles; the device pull. The
//! store is tested directly on a real SQLite file, the endpoints over real HTTP.

use std::sync::Arc;

use crate::common::TestServer;
use chrono::{NaiveDate, TimeZone};
use linli_core::business_day::RegionClock;
use linli_core::catalog::Product;
use linli_core::handover::{HandoverLine, HandoverRequest};
use linli_core::ids::{ConsumerId, OrderId, PointId, SkuId, SupplierId};
use linli_core::money::{Fen, Rate};
use linli_core::ordering::RequestedLine;
use linli_core::time::Millis;
use linli_sync_server::http::{Principal, Role};
use linli_sync_server::store::{
    Actor, Decision, EntryKind, LedgerError, LedgerStore, NewPeriod, NewPoint, NewRefund,
    NewSupplier, PageRequest, PayAtPickup, PaymentMethod, PlaceOrder, PointStatus, SqliteStore,
    Store, StoreError, WithdrawalFilter, WithdrawalStatus, HANDED_OVER_WHEN_VOID,
    SETTLED_NOT_REVERSED,
};
use proptest::prelude::*;
use serde_json::{json, Value};

/// The delivery day of the test orders and the first day of the test periods.
const DAY: &str = "2026-11-02";

/// `hh:00` Shanghai time on `day` (YYYY-MM-DD), as UTC ms.
fn local(day: &str, hh: u32) -> Millis {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    let zone = RegionClock::parse("Asia/Shanghai", "23:00").unwrap().zone;
    let t = zone
        .from_local_datetime(&d.and_hms_opt(hh, 0, 0).unwrap())
        .unwrap();
    Millis(t.timestamp_millis())
}

/// The evening before delivery: orders placed then are for `DAY`.
fn evening() -> Millis {
    local("2026-11-01", 20)
}

fn day_plus(n: u64) -> String {
    NaiveDate::parse_from_str(DAY, "%Y-%m-%d")
        .unwrap()
        .checked_add_days(chrono::Days::new(n))
        .unwrap()
        .to_string()
}

struct World {
    region: String,
    /// No commission override: products' own rates, else the platform default.
    plain: PointId,
    /// Overrides every rate with 20 %.
    favoured: PointId,
    /// No rate of its own: the platform default (10 %).
    eggs: SkuId,
    /// Its own rate: 15 %.
    fish: SkuId,
    buyer: ConsumerId,
}

fn product(
    supplier: SupplierId,
    name: &str,
    category: &str,
    price: i64,
    rate: Option<u32>,
) -> Product {
    Product {
        sku: SkuId::new(),
        name: name.into(),
        category: category.into(),
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

fn new_point(region: &str, route: &str, seq: u32, name: &str, rate: Option<u32>) -> NewPoint {
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
        commission_override: rate.map(Rate),
    }
}

async fn world(store: &SqliteStore) -> World {
    let (region, route) = crate::common::changsha_route(store, "岳麓一线").await;
    let plain = store
        .create_point(new_point(&region, &route, 1, "麓山便利店", None))
        .await
        .unwrap();
    let favoured = store
        .create_point(new_point(&region, &route, 2, "桃子湖生鲜", Some(2_000)))
        .await
        .unwrap();
    for p in [plain, favoured] {
        store
            .set_point_status(p, PointStatus::Approved)
            .await
            .unwrap();
    }
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
    let eggs = product(supplier, "本地土鸡蛋", "蛋品", 2_390, None);
    let fish = product(supplier, "洞庭湖鳙鱼", "水产", 9_900, Some(1_500));
    let (e, f) = (eggs.sku, fish.sku);
    store.upsert_product(eggs, 1_000).await.unwrap();
    store.upsert_product(fish, 1_000).await.unwrap();
    let buyer = store
        .create_consumer("王女士".into(), "13812345678".into())
        .await
        .unwrap();
    World {
        region,
        plain,
        favoured,
        eggs: e,
        fish: f,
        buyer,
    }
}

/// Places 2 eggs + 1 fish at `point` for `DAY`.
async fn place(store: &SqliteStore, w: &World, point: PointId, key: &str) -> OrderId {
    store
        .place_order(PlaceOrder {
            consumer: w.buyer,
            point,
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
            at: evening(),
        })
        .await
        .unwrap()
        .id
}

async fn cutoff(store: &SqliteStore, w: &World) {
    store
        .run_cutoff(w.region.clone(), DAY.into(), local("2026-11-01", 23))
        .await
        .unwrap();
}

fn handed_at() -> Millis {
    local(DAY, 10)
}

async fn hand_over(store: &SqliteStore, order: OrderId, request: HandoverRequest) -> (u64, usize) {
    let out = store
        .record_handover(order, request, handed_at(), "counter-1".into())
        .await
        .unwrap();
    (
        out.accrued.iter().map(|e| e.amount.0 as u64).sum(),
        out.already_accrued.len(),
    )
}

fn week(region: &str) -> NewPeriod {
    NewPeriod {
        region: region.into(),
        first_day: DAY.into(),
        last_day: day_plus(6),
    }
}

// ---------------------------------------------------------------- the store

#[tokio::test]
async fn accruals_use_the_rate_resolved_at_placement() {
    let s = TestServer::start().await;
    let w = world(&s.store).await;
    let plain = place(&s.store, &w, w.plain, "a").await;
    let favoured = place(&s.store, &w, w.favoured, "b").await;
    cutoff(&s.store, &w).await;

    let out = s
        .store
        .record_handover(
            plain,
            HandoverRequest::Whole,
            handed_at(),
            "counter-1".into(),
        )
        .await
        .unwrap();
    let by_sku = |sku: SkuId| {
        out.accrued
            .iter()
            .find(|e| e.sku.as_deref() == Some(sku.to_string().as_str()))
            .unwrap()
            .clone()
    };
    // Eggs have no rate of their own and the server configures no category rates,
    // so the platform default (10 %) applies: 2 × 23.90 × 10 % = 4.78.
    let eggs = by_sku(w.eggs);
    assert_eq!(
        (eggs.base, eggs.rate, eggs.amount),
        (Fen(4_780), Some(Rate(1_000)), Fen(478))
    );
    assert_eq!(eggs.qty, Some(2));
    // The fish's own 15 %: 99.00 × 15 % = 14.85.
    let fish = by_sku(w.fish);
    assert_eq!(
        (fish.base, fish.rate, fish.amount),
        (Fen(9_900), Some(Rate(1_500)), Fen(1_485))
    );
    assert_eq!(eggs.kind, EntryKind::Accrual);
    assert_eq!(eggs.device.as_deref(), Some("counter-1"));

    // The point's override (20 %) beats both.
    let out = s
        .store
        .record_handover(
            favoured,
            HandoverRequest::Whole,
            handed_at(),
            "counter-9".into(),
        )
        .await
        .unwrap();
    let mut amounts: Vec<(Option<Rate>, Fen)> =
        out.accrued.iter().map(|e| (e.rate, e.amount)).collect();
    amounts.sort();
    assert_eq!(
        amounts,
        vec![
            (Some(Rate(2_000)), Fen(956)),
            (Some(Rate(2_000)), Fen(1_980))
        ]
    );

    let t = s.store.ledger_totals(w.plain).await.unwrap();
    assert_eq!(
        (t.accrued, t.unsettled, t.settled),
        (Fen(1_963), Fen(1_963), Fen::ZERO)
    );
}

#[tokio::test]
async fn a_duplicate_report_accrues_once_and_a_later_line_still_accrues() {
    let s = TestServer::start().await;
    let w = world(&s.store).await;
    let order = place(&s.store, &w, w.plain, "a").await;
    cutoff(&s.store, &w).await;

    let eggs_only = HandoverRequest::Lines(vec![HandoverLine {
        sku: w.eggs,
        qty: 2,
    }]);
    assert_eq!(
        hand_over(&s.store, order, eggs_only.clone()).await,
        (478, 0)
    );
    // The same report again (a retry, a second device): nothing more.
    assert_eq!(hand_over(&s.store, order, eggs_only).await, (0, 1));
    // The rest of the order: only the fish is new.
    assert_eq!(
        hand_over(&s.store, order, HandoverRequest::Whole).await,
        (1_485, 1)
    );
    assert_eq!(
        hand_over(&s.store, order, HandoverRequest::Whole).await,
        (0, 2)
    );
    let t = s.store.ledger_totals(w.plain).await.unwrap();
    assert_eq!(t.accrued, Fen(1_963));
    assert_eq!(t.version, 2);
}

#[tokio::test]
async fn a_report_naming_lines_the_order_lacks_is_refused_by_field() {
    let s = TestServer::start().await;
    let w = world(&s.store).await;
    let order = place(&s.store, &w, w.plain, "a").await;
    let stranger = SkuId::new();
    let bad = HandoverRequest::Lines(vec![
        HandoverLine {
            sku: w.eggs,
            qty: 1,
        },
        HandoverLine {
            sku: stranger,
            qty: 1,
        },
    ]);
    let err = s
        .store
        .record_handover(order, bad, handed_at(), "counter-1".into())
        .await
        .unwrap_err();
    let LedgerError::Store(StoreError::Invalid(fields)) = err else {
        panic!("{err:?}")
    };
    assert_eq!(fields[0].field, "lines[1].sku");
    let too_many = HandoverRequest::Lines(vec![HandoverLine {
        sku: w.eggs,
        qty: 3,
    }]);
    let err = s
        .store
        .record_handover(order, too_many, handed_at(), "counter-1".into())
        .await
        .unwrap_err();
    let LedgerError::Store(StoreError::Invalid(fields)) = err else {
        panic!("{err:?}")
    };
    assert_eq!(fields[0].field, "lines[0].qty");
    let unknown = s
        .store
        .record_handover(
            OrderId::new(),
            HandoverRequest::Whole,
            handed_at(),
            "c".into(),
        )
        .await;
    assert!(matches!(
        unknown,
        Err(LedgerError::Store(StoreError::NotFound(_)))
    ));
    assert_eq!(s.store.ledger_totals(w.plain).await.unwrap().version, 0);
}

#[tokio::test]
async fn a_refund_reverses_what_accrued_once_and_a_later_handover_is_an_exception() {
    let s = TestServer::start().await;
    let w = world(&s.store).await;
    let order = place(&s.store, &w, w.plain, "a").await;
    cutoff(&s.store, &w).await;
    hand_over(&s.store, order, HandoverRequest::Whole).await;

    let out = s
        .store
        .record_refund(
            NewRefund::whole(order, local(DAY, 18), Actor::command_line()),
            Arc::new(PayAtPickup),
        )
        .await
        .unwrap();
    assert!(!out.already_refunded);
    assert_eq!(out.reversed.len(), 2);
    assert!(out.reversed.iter().all(|e| e.kind == EntryKind::Reversal));
    assert_eq!(
        out.reversed.iter().map(|e| e.amount).sum::<Fen>(),
        Fen(1_963)
    );
    assert_eq!(out.not_reversed, Fen::ZERO);
    // The document devices sync says refunded too.
    let bytes = s
        .store
        .point_day_document(w.plain, DAY.into())
        .await
        .unwrap()
        .unwrap();
    let facts = linli_core::doc::PointDayDoc::load(&bytes)
        .unwrap()
        .facts()
        .unwrap();
    assert_eq!(facts.orders[&order].refunded_at, Some(local(DAY, 18)));

    let again = s
        .store
        .record_refund(
            NewRefund::whole(order, local(DAY, 19), Actor::command_line()),
            Arc::new(PayAtPickup),
        )
        .await
        .unwrap();
    assert!(again.already_refunded);
    assert!(again.reversed.is_empty());

    let late = s
        .store
        .record_handover(
            order,
            HandoverRequest::Whole,
            local(DAY, 20),
            "counter-2".into(),
        )
        .await
        .unwrap();
    assert!(late.accrued.is_empty());
    let x = late.exception.unwrap();
    assert_eq!(x.kind, HANDED_OVER_WHEN_VOID);
    assert_eq!(x.device.as_deref(), Some("counter-2"));

    let t = s.store.ledger_totals(w.plain).await.unwrap();
    assert_eq!(
        (t.accrued, t.reversed, t.balance),
        (Fen(1_963), Fen(1_963), Fen::ZERO)
    );
    let listed = s.store.ledger_exceptions(w.plain).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, x.id);
}

#[tokio::test]
async fn an_order_that_has_not_shipped_is_cancelled_not_refunded() {
    let s = TestServer::start().await;
    let w = world(&s.store).await;
    let order = place(&s.store, &w, w.plain, "a").await;
    let err = s
        .store
        .record_refund(
            NewRefund::whole(order, local(DAY, 9), Actor::command_line()),
            Arc::new(PayAtPickup),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, LedgerError::NotShipped(o) if o == order),
        "{err:?}"
    );
    cutoff(&s.store, &w).await;
    let out = s
        .store
        .record_refund(
            NewRefund::whole(order, local(DAY, 9), Actor::command_line()),
            Arc::new(PayAtPickup),
        )
        .await
        .unwrap();
    assert!(!out.already_refunded && out.reversed.is_empty());
    let again = s
        .store
        .record_refund(
            NewRefund::whole(order, local(DAY, 10), Actor::command_line()),
            Arc::new(PayAtPickup),
        )
        .await
        .unwrap();
    assert!(again.already_refunded);
}

#[tokio::test]
async fn ledger_since_returns_only_newer_entries() {
    let s = TestServer::start().await;
    let w = world(&s.store).await;
    let a = place(&s.store, &w, w.plain, "a").await;
    let b = place(&s.store, &w, w.favoured, "b").await;
    cutoff(&s.store, &w).await;
    hand_over(&s.store, a, HandoverRequest::Whole).await;
    hand_over(&s.store, b, HandoverRequest::Whole).await;

    let all = s.store.ledger_since(w.plain, 0).await.unwrap();
    assert_eq!(
        all.entries.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!((all.version, all.more), (2, false));
    let newer = s.store.ledger_since(w.plain, 1).await.unwrap();
    assert_eq!(newer.entries.len(), 1);
    assert_eq!(newer.entries[0].version, 2);
    let none = s.store.ledger_since(w.plain, 2).await.unwrap();
    assert!(none.entries.is_empty());
    assert_eq!(none.version, 2);
    // The other point's entries are its own, numbered from 1.
    let other = s.store.ledger_since(w.favoured, 0).await.unwrap();
    assert_eq!(other.version, 2);
    assert!(other
        .entries
        .iter()
        .all(|e| e.point == w.favoured.to_string()));
    s.store
        .record_refund(
            NewRefund::whole(a, local(DAY, 18), Actor::command_line()),
            Arc::new(PayAtPickup),
        )
        .await
        .unwrap();
    let after_refund = s.store.ledger_since(w.plain, 2).await.unwrap();
    assert_eq!(after_refund.entries.len(), 2);
    assert!(after_refund
        .entries
        .iter()
        .all(|e| e.kind == EntryKind::Reversal));
    assert!(matches!(
        s.store.ledger_since(PointId::new(), 0).await,
        Err(LedgerError::Store(StoreError::NotFound(_)))
    ));
}

#[tokio::test]
async fn closing_a_period_settles_and_settled_commission_is_not_taken_back() {
    let s = TestServer::start().await;
    let w = world(&s.store).await;
    let a = place(&s.store, &w, w.plain, "a").await;
    let b = place(&s.store, &w, w.plain, "b").await;
    cutoff(&s.store, &w).await;
    hand_over(&s.store, a, HandoverRequest::Whole).await;
    // Handed over after the week ends: it waits for the next period.
    s.store
        .record_handover(
            b,
            HandoverRequest::Whole,
            local(&day_plus(7), 9),
            "c".into(),
        )
        .await
        .unwrap();

    let closed_at = local(&day_plus(8), 9);
    let p = s
        .store
        .close_period(week(&w.region), "finance-1".into(), closed_at)
        .await
        .unwrap();
    assert_eq!(p.settlements.len(), 1);
    assert_eq!(
        (p.settlements[0].amount, p.settlements[0].entries),
        (Fen(1_963), 2)
    );
    assert_eq!(p.ends_at, local(&day_plus(7), 0));
    let t = s.store.ledger_totals(w.plain).await.unwrap();
    assert_eq!(
        (t.accrued, t.settled, t.unsettled),
        (Fen(3_926), Fen(1_963), Fen(1_963))
    );
    assert_eq!(t.available, Fen(1_963));

    // A refund of the settled order takes nothing back and tells staff.
    let r = s
        .store
        .record_refund(
            NewRefund::whole(a, closed_at, Actor::command_line()),
            Arc::new(PayAtPickup),
        )
        .await
        .unwrap();
    assert!(r.reversed.is_empty());
    assert_eq!(r.not_reversed, Fen(1_963));
    assert_eq!(r.exception.unwrap().kind, SETTLED_NOT_REVERSED);
    // The unsettled order's refund reverses in full.
    let r = s
        .store
        .record_refund(
            NewRefund::whole(b, closed_at, Actor::command_line()),
            Arc::new(PayAtPickup),
        )
        .await
        .unwrap();
    assert_eq!(r.reversed.iter().map(|e| e.amount).sum::<Fen>(), Fen(1_963));
    let t = s.store.ledger_totals(w.plain).await.unwrap();
    assert_eq!(
        (t.reversed, t.unsettled, t.balance),
        (Fen(1_963), Fen::ZERO, Fen(1_963))
    );

    // The statement lists the settled entries.
    let st = s
        .store
        .point_statement(p.id.clone(), w.plain)
        .await
        .unwrap();
    assert_eq!(st.rows.len(), 2);
    assert_eq!(st.rows[0].date, DAY);
    assert_eq!(st.settled, Fen(1_963));

    // Periods do not overlap, and one that has not ended cannot close.
    let overlap = s
        .store
        .close_period(week(&w.region), "finance-1".into(), closed_at)
        .await
        .unwrap_err();
    let LedgerError::Store(StoreError::Invalid(f)) = overlap else {
        panic!("{overlap:?}")
    };
    assert_eq!(f[0].field, "first_day");
    let early = NewPeriod {
        region: w.region.clone(),
        first_day: day_plus(7),
        last_day: day_plus(13),
    };
    let err = s
        .store
        .close_period(early.clone(), "finance-1".into(), closed_at)
        .await
        .unwrap_err();
    let LedgerError::Store(StoreError::Invalid(f)) = err else {
        panic!("{err:?}")
    };
    assert_eq!(f[0].field, "last_day");
    // Next week: the later handover and its reversal settle together, netting 0.
    let p2 = s
        .store
        .close_period(early, "finance-1".into(), local(&day_plus(14), 9))
        .await
        .unwrap();
    assert_eq!(
        (p2.settlements[0].amount, p2.settlements[0].entries),
        (Fen::ZERO, 4)
    );
    let listed = s
        .store
        .settlement_periods(Some(w.region.clone()))
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|p| &p.id).collect::<Vec<_>>(),
        vec![&p2.id, &p.id]
    );
}

#[tokio::test]
async fn a_refund_inside_an_open_period_settles_with_its_accrual() {
    let s = TestServer::start().await;
    let w = world(&s.store).await;
    let a = place(&s.store, &w, w.plain, "a").await;
    cutoff(&s.store, &w).await;
    hand_over(&s.store, a, HandoverRequest::Whole).await;
    // Refunded after the period's end but before it closed: the accrual must not
    // settle without the reversal, or settled would exceed what is earned.
    s.store
        .record_refund(
            NewRefund::whole(a, local(&day_plus(7), 9), Actor::command_line()),
            Arc::new(PayAtPickup),
        )
        .await
        .unwrap();
    let p = s
        .store
        .close_period(week(&w.region), "finance-1".into(), local(&day_plus(8), 9))
        .await
        .unwrap();
    assert!(p.settlements.is_empty());
    let t = s.store.ledger_totals(w.plain).await.unwrap();
    assert_eq!(
        (t.settled, t.unsettled, t.balance),
        (Fen::ZERO, Fen::ZERO, Fen::ZERO)
    );
}

#[tokio::test]
async fn withdrawals_stay_within_the_settled_balance() {
    let s = TestServer::start().await;
    let w = world(&s.store).await;
    let a = place(&s.store, &w, w.plain, "a").await;
    cutoff(&s.store, &w).await;
    hand_over(&s.store, a, HandoverRequest::Whole).await;
    let now = local(&day_plus(8), 9);
    // Nothing is settled yet: nothing to withdraw.
    let err = s
        .store
        .request_withdrawal(w.plain, Fen(100), "finance-1".into(), now)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::OverBalance {
                available: Fen::ZERO,
                ..
            }
        ),
        "{err:?}"
    );
    s.store
        .close_period(week(&w.region), "finance-1".into(), now)
        .await
        .unwrap();

    let err = s
        .store
        .request_withdrawal(w.plain, Fen(1_964), "finance-1".into(), now)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        LedgerError::OverBalance {
            asked: Fen(1_964),
            available: Fen(1_963)
        }
    ));
    let first = s
        .store
        .request_withdrawal(w.plain, Fen(1_000), "finance-1".into(), now)
        .await
        .unwrap();
    assert_eq!(first.status, WithdrawalStatus::Requested);
    // The pending request holds its amount.
    let err = s
        .store
        .request_withdrawal(w.plain, Fen(1_000), "finance-1".into(), now)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        LedgerError::OverBalance {
            available: Fen(963),
            ..
        }
    ));
    let second = s
        .store
        .request_withdrawal(w.plain, Fen(963), "finance-1".into(), now)
        .await
        .unwrap();

    let approved = s
        .store
        .decide_withdrawal(first.id.clone(), Decision::Approve, "finance-2".into(), now)
        .await
        .unwrap();
    assert_eq!(approved.status, WithdrawalStatus::Approved);
    assert_eq!(approved.decided_by.as_deref(), Some("finance-2"));
    let twice = s
        .store
        .decide_withdrawal(first.id.clone(), Decision::Approve, "finance-2".into(), now)
        .await;
    assert!(matches!(twice, Err(LedgerError::AlreadyDecided { .. })));
    let blank = s
        .store
        .decide_withdrawal(
            second.id.clone(),
            Decision::Reject {
                reason: "  ".into(),
            },
            "f".into(),
            now,
        )
        .await;
    assert!(matches!(
        blank,
        Err(LedgerError::Store(StoreError::Invalid(_)))
    ));
    let rejected = s
        .store
        .decide_withdrawal(
            second.id.clone(),
            Decision::Reject {
                reason: "银行卡信息不全".into(),
            },
            "finance-2".into(),
            now,
        )
        .await
        .unwrap();
    assert_eq!(rejected.reason.as_deref(), Some("银行卡信息不全"));

    let t = s.store.ledger_totals(w.plain).await.unwrap();
    assert_eq!(
        (t.withdrawn, t.pending_withdrawal, t.available),
        (Fen(1_000), Fen::ZERO, Fen(963))
    );
    assert_eq!(t.balance, Fen(963));
    let pull = s.store.ledger_since(w.plain, 0).await.unwrap();
    let kinds: Vec<EntryKind> = pull.entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            EntryKind::Accrual,
            EntryKind::Accrual,
            EntryKind::Settlement,
            EntryKind::Withdrawal
        ]
    );
    let queue = s
        .store
        .withdrawals(
            WithdrawalFilter {
                point: Some(w.plain),
                status: Some(WithdrawalStatus::Approved),
            },
            PageRequest::new(None, None),
        )
        .await
        .unwrap();
    assert_eq!((queue.total, queue.items.len()), (1, 1));
    assert_eq!(queue.items[0].id, first.id);
}

// ------------------------------------------------------- the property test

#[derive(Clone, Debug)]
enum Op {
    HandOver {
        order: usize,
        day: u64,
        eggs_only: bool,
    },
    Refund {
        order: usize,
        day: u64,
    },
    Close {
        upto: u64,
    },
    Withdraw {
        amount: i64,
    },
    Decide {
        approve: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..4usize, 0..14u64, any::<bool>())
            .prop_map(|(order, day, eggs_only)| Op::HandOver { order, day, eggs_only }),
        1 => (0..4usize, 0..14u64).prop_map(|(order, day)| Op::Refund { order, day }),
        1 => (0..14u64).prop_map(|upto| Op::Close { upto }),
        2 => (1..3_000i64).prop_map(|amount| Op::Withdraw { amount }),
        1 => any::<bool>().prop_map(|approve| Op::Decide { approve }),
    ]
}

async fn run_ops(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("server.sqlite3")).unwrap();
    let w = world(&store).await;
    let mut orders = Vec::new();
    for i in 0..4 {
        orders.push(place(&store, &w, w.plain, &format!("k{i}")).await);
    }
    cutoff(&store, &w).await;
    // Everything happens within three weeks; periods are closed after the fact.
    let now = local(&day_plus(30), 9);
    let mut closed_upto: Option<u64> = None;
    // A model of what must have accrued: each line once, never on a refunded order.
    // (Eggs: 1 × 23.90 or 2 × 23.90 at 10 %; fish: 99.00 at 15 %.)
    let mut refunded = [false; 4];
    let mut booked = [[false; 2]; 4];
    let mut model_accrued = 0i64;
    for op in ops {
        match op {
            Op::HandOver {
                order,
                day,
                eggs_only,
            } => {
                if !refunded[order] {
                    if !booked[order][0] {
                        booked[order][0] = true;
                        model_accrued += if eggs_only { 239 } else { 478 };
                    }
                    if !eggs_only && !booked[order][1] {
                        booked[order][1] = true;
                        model_accrued += 1_485;
                    }
                }
                let request = if eggs_only {
                    HandoverRequest::Lines(vec![HandoverLine {
                        sku: w.eggs,
                        qty: 1,
                    }])
                } else {
                    HandoverRequest::Whole
                };
                store
                    .record_handover(
                        orders[order],
                        request,
                        local(&day_plus(day), 10),
                        "c".into(),
                    )
                    .await
                    .unwrap();
            }
            Op::Refund { order, day } => {
                refunded[order] = true;
                store
                    .record_refund(
                        NewRefund::whole(
                            orders[order],
                            local(&day_plus(day), 12),
                            Actor::command_line(),
                        ),
                        Arc::new(PayAtPickup),
                    )
                    .await
                    .unwrap();
            }
            Op::Close { upto } => {
                let first = closed_upto.map_or(0, |c| c + 1);
                let period = NewPeriod {
                    region: w.region.clone(),
                    first_day: day_plus(first),
                    last_day: day_plus(upto),
                };
                let closed = store.close_period(period, "f".into(), now).await;
                prop_assert_eq!(closed.is_ok(), upto >= first, "{:?}", closed);
                if closed.is_ok() {
                    closed_upto = Some(upto);
                }
            }
            Op::Withdraw { amount } => {
                let before = store.ledger_totals(w.plain).await.unwrap();
                let asked = store
                    .request_withdrawal(w.plain, Fen(amount), "f".into(), now)
                    .await;
                match asked {
                    Ok(_) => prop_assert!(Fen(amount) <= before.available),
                    Err(LedgerError::OverBalance { available, .. }) => {
                        prop_assert!(Fen(amount) > before.available);
                        prop_assert_eq!(available, before.available);
                    }
                    Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
                }
            }
            Op::Decide { approve } => {
                let queue = store
                    .withdrawals(
                        WithdrawalFilter {
                            point: Some(w.plain),
                            status: Some(WithdrawalStatus::Requested),
                        },
                        PageRequest::new(None, None),
                    )
                    .await
                    .unwrap()
                    .items;
                if let Some(first) = queue.first() {
                    let decision = if approve {
                        Decision::Approve
                    } else {
                        Decision::Reject {
                            reason: "核对中".into(),
                        }
                    };
                    store
                        .decide_withdrawal(first.id.clone(), decision, "f".into(), now)
                        .await
                        .unwrap();
                }
            }
        }
        let t = store.ledger_totals(w.plain).await.unwrap();
        prop_assert_eq!(t.accrued, Fen(model_accrued));
        let earned = t.accrued - t.reversed;
        prop_assert!(t.balance >= Fen::ZERO, "{:?}", t);
        prop_assert_eq!(t.balance, earned - t.withdrawn);
        prop_assert!(t.settled <= earned, "{:?}", t);
        prop_assert!(t.withdrawn <= t.settled, "{:?}", t);
        prop_assert!(t.available >= Fen::ZERO, "{:?}", t);
        prop_assert!(t.reversed <= t.accrued, "{:?}", t);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn totals_are_never_negative(ops in proptest::collection::vec(op(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run_ops(ops))?;
    }
}

// ------------------------------------------------------------- over HTTP

async fn http_world(s: &TestServer) -> (World, OrderId) {
    let w = world(&s.store).await;
    let order = place(&s.store, &w, w.plain, "a").await;
    cutoff(&s.store, &w).await;
    (w, order)
}

#[tokio::test]
async fn handover_to_withdrawal_end_to_end() {
    let s = TestServer::start().await;
    let (w, order) = http_world(&s).await;
    let operator = s.staff_token(Role::Operator);
    let finance = s.staff_token(Role::Finance);
    let point = w.plain.to_string();

    let report = json!({"at": handed_at().0, "device": "counter-1"});
    let (status, out) = s
        .post(
            &format!("/api/platform/orders/{order}/handover"),
            Some(&operator),
            &report,
        )
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["accrued"].as_array().unwrap().len(), 2);
    let (_, again) = s
        .post(
            &format!("/api/platform/orders/{order}/handover"),
            Some(&operator),
            &report,
        )
        .await;
    assert_eq!(again["accrued"], json!([]));
    assert_eq!(again["already_accrued"].as_array().unwrap().len(), 2);

    // The pull answers an ETag; asking with it again answers 304.
    let resp = s
        .client
        .get(s.url(&format!("/api/platform/points/{point}/ledger?since=0")))
        .bearer_auth(&finance)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, "\"2\"");
    let page: Value = resp.json().await.unwrap();
    assert_eq!(page["version"], 2);
    let unchanged = s
        .client
        .get(s.url(&format!("/api/platform/points/{point}/ledger?since=2")))
        .bearer_auth(&finance)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 304);
    let (status, newer) = s
        .get(
            &format!("/api/platform/points/{point}/ledger?since=1"),
            Some(&finance),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(newer["entries"].as_array().unwrap().len(), 1);

    let (status, period) = s
        .post(
            "/api/platform/settlement-periods",
            Some(&finance),
            &json!({"region": w.region, "first_day": DAY, "last_day": day_plus(6)}),
        )
        .await;
    assert_eq!(status, 201, "{period}");
    assert_eq!(period["settlements"][0]["amount"], 1_963);
    assert_eq!(period["closed_by"], "test-finance");
    let (status, periods) = s
        .get(
            &format!("/api/platform/settlement-periods?region={}", w.region),
            Some(&finance),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(periods.as_array().unwrap().len(), 1);

    let pdf = s
        .client
        .get(s.url(&format!(
            "/api/platform/settlement-periods/{}/statements/{point}.pdf",
            period["id"].as_str().unwrap()
        )))
        .bearer_auth(&finance)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    let statements = format!(
        "/api/platform/settlement-periods/{}/statements",
        period["id"].as_str().unwrap()
    );
    let (status, _) = s
        .get(&format!("{statements}/{}.pdf", w.favoured), Some(&finance))
        .await;
    assert_eq!(status, 404, "nothing settled for that point");
    let (status, _) = s
        .get(&format!("{statements}/{point}"), Some(&finance))
        .await;
    assert_eq!(status, 404, "statements are .pdf files");
    let (status, _) = s
        .get(
            &format!("{statements}/{point}.pdf"),
            Some(&s.staff_token(Role::Operator)),
        )
        .await;
    assert_eq!(status, 403);

    // The period as Excel: the settlement in whole fen beside the yuan text.
    let xlsx = s
        .client
        .get(s.url(&format!(
            "/api/platform/settlement-periods/{}/export.xlsx",
            period["id"].as_str().unwrap()
        )))
        .bearer_auth(&finance)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap().to_vec();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut book, "结算 Settlements").unwrap();
    let row = sheet.rows().nth(3).expect("one settlement row");
    assert_eq!(row[0].to_string(), point.to_string());
    assert_eq!(
        (row[6].to_string(), row[7].to_string()),
        ("1963".to_string(), "¥19.63".to_string())
    );

    let (status, err) = s
        .post(
            &format!("/api/platform/points/{point}/withdrawals"),
            Some(&finance),
            &json!({"amount": 5_000}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["fields"][0]["field"], "amount");
    assert!(
        err["message"].as_str().unwrap().contains("1963 fen"),
        "{err}"
    );
    let (status, wd) = s
        .post(
            &format!("/api/platform/points/{point}/withdrawals"),
            Some(&finance),
            &json!({"amount": 1_500}),
        )
        .await;
    assert_eq!(status, 201, "{wd}");
    let (_, queue) = s
        .get("/api/platform/withdrawals?status=requested", Some(&finance))
        .await;
    assert_eq!(queue["total"], 1, "{queue}");
    assert_eq!(queue["items"][0]["id"], wd["id"]);
    // Paged on the server: a page past the end is empty, and says how many there are.
    let (_, past) = s
        .get(
            "/api/platform/withdrawals?status=requested&limit=1&offset=1",
            Some(&finance),
        )
        .await;
    assert_eq!(
        (past["total"].as_u64(), past["limit"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(past["items"].as_array().map(Vec::len), Some(0), "{past}");
    let approve = format!(
        "/api/platform/withdrawals/{}/approve",
        wd["id"].as_str().unwrap()
    );
    let (status, _) = s.post(&approve, Some(&operator), &json!({})).await;
    assert_eq!(status, 403, "an operator cannot approve a withdrawal");
    let (status, done) = s.post(&approve, Some(&finance), &json!({})).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "approved");
    let (status, _) = s.post(&approve, Some(&finance), &json!({})).await;
    assert_eq!(status, 409);

    let (_, totals) = s
        .get(
            &format!("/api/platform/points/{point}/ledger/totals"),
            Some(&finance),
        )
        .await;
    assert_eq!(totals["withdrawn"], 1_500);
    assert_eq!(totals["available"], 463);
    assert_eq!(totals["balance"], 463);

    // A refund now: settled commission is not taken back; staff see why.
    let (status, refund) = s
        .call(
            reqwest::Method::POST,
            &format!("/api/platform/orders/{order}/refund"),
            Some(&operator),
            Some(&json!({"reason": "顾客退货"})),
            &[("idempotency-key", "refund-1")],
        )
        .await;
    assert_eq!(status, 200, "{refund}");
    assert_eq!(refund["not_reversed"], 1_963);
    let (_, exceptions) = s
        .get(
            &format!("/api/platform/points/{point}/ledger/exceptions"),
            Some(&finance),
        )
        .await;
    assert_eq!(exceptions[0]["kind"], SETTLED_NOT_REVERSED);
}

#[tokio::test]
async fn rejecting_needs_a_reason_and_frees_the_amount() {
    let s = TestServer::start().await;
    let (w, order) = http_world(&s).await;
    s.store
        .record_handover(order, HandoverRequest::Whole, handed_at(), "c".into())
        .await
        .unwrap();
    s.store
        .close_period(week(&w.region), "f".into(), Millis::now())
        .await
        .unwrap();
    let admin = s.staff_token(Role::Admin);
    let point = w.plain.to_string();
    let (status, wd) = s
        .post(
            &format!("/api/platform/points/{point}/withdrawals"),
            Some(&admin),
            &json!({"amount": 1_963}),
        )
        .await;
    assert_eq!(status, 201, "admin passes too: {wd}");
    let reject = format!(
        "/api/platform/withdrawals/{}/reject",
        wd["id"].as_str().unwrap()
    );
    let (status, err) = s.post(&reject, Some(&admin), &json!({"reason": ""})).await;
    assert_eq!(status, 422);
    assert_eq!(err["fields"][0]["field"], "reason");
    let (status, err) = s.post(&reject, Some(&admin), &json!({"why": "x"})).await;
    assert_eq!(status, 422, "{err}");
    let (status, done) = s
        .post(&reject, Some(&admin), &json!({"reason": "账户冻结"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(done["status"], "rejected");
    assert_eq!(done["reason"], "账户冻结");
    let (_, totals) = s
        .get(
            &format!("/api/platform/points/{point}/ledger/totals"),
            Some(&admin),
        )
        .await;
    assert_eq!(totals["available"], 1_963);
}

#[tokio::test]
async fn roles_and_credentials_are_enforced() {
    let s = TestServer::start().await;
    let (w, order) = http_world(&s).await;
    let point = w.plain.to_string();
    let consumer = s.token(&Principal::Consumer { id: w.buyer });
    let operator = s.staff_token(Role::Operator);
    let finance = s.staff_token(Role::Finance);
    let ledger = format!("/api/platform/points/{point}/ledger");

    assert_eq!(s.get(&ledger, None).await.0, 401);
    assert_eq!(s.get(&ledger, Some(&consumer)).await.0, 403);
    assert_eq!(s.get(&ledger, Some(&operator)).await.0, 403);
    assert_eq!(s.get(&ledger, Some(&finance)).await.0, 200);
    assert_eq!(
        s.get("/api/platform/withdrawals", Some(&consumer)).await.0,
        403
    );
    let handover = format!("/api/platform/orders/{order}/handover");
    assert_eq!(s.post(&handover, Some(&consumer), &json!({})).await.0, 403);
    assert_eq!(s.post(&handover, Some(&finance), &json!({})).await.0, 403);
    let period = json!({"region": w.region, "first_day": DAY, "last_day": day_plus(6)});
    assert_eq!(
        s.post("/api/platform/settlement-periods", Some(&operator), &period)
            .await
            .0,
        403
    );
    // Nothing was booked by the refused calls.
    let (_, totals) = s
        .get(
            &format!("/api/platform/points/{point}/ledger/totals"),
            Some(&finance),
        )
        .await;
    assert_eq!(totals["version"], 0);
}

#[tokio::test]
async fn bad_input_names_its_field() {
    let s = TestServer::start().await;
    let (w, order) = http_world(&s).await;
    let operator = s.staff_token(Role::Operator);
    let finance = s.staff_token(Role::Finance);
    let handover = format!("/api/platform/orders/{order}/handover");

    let (status, err) = s
        .post(
            &handover,
            Some(&operator),
            &json!({"lines": [{"sku": w.eggs, "qty": 1}, {"sku": "nope", "qty": 1}]}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["fields"][0]["field"], "lines[1].sku");
    let (status, err) = s
        .post(
            &handover,
            Some(&operator),
            &json!({"lines": [{"sku": w.fish, "qty": 0}]}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["fields"][0]["field"], "lines[0].qty");
    let (status, err) = s.post(&handover, Some(&operator), &json!({"at": -5})).await;
    assert_eq!(status, 422);
    assert_eq!(err["fields"][0]["field"], "at");
    let (status, _) = s
        .post(
            &format!("/api/platform/orders/{}/handover", OrderId::new()),
            Some(&operator),
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, err) = s
        .post(
            "/api/platform/orders/xyz/handover",
            Some(&operator),
            &json!({}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["fields"][0]["field"], "id");
    let (status, err) = s
        .get("/api/platform/points/xyz/ledger", Some(&finance))
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["fields"][0]["field"], "point");
    let (status, err) = s
        .get(
            &format!("/api/platform/points/{}/ledger?since=-1", w.plain),
            Some(&finance),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["fields"][0]["field"], "since");
    let (status, err) = s
        .post(
            "/api/platform/settlement-periods",
            Some(&finance),
            &json!({"region": w.region, "first_day": "2026-13-01", "last_day": "soon"}),
        )
        .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = err["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["first_day", "last_day"]);
    let (status, err) = s
        .post(
            &format!("/api/platform/points/{}/withdrawals", w.plain),
            Some(&finance),
            &json!({"amount": 0}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["fields"][0]["field"], "amount");
    let (status, _) = s
        .get("/api/platform/withdrawals?status=lost", Some(&finance))
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn the_ledger_endpoints_are_described_in_openapi() {
    let s = TestServer::start().await;
    let (_, doc) = s.get("/openapi.json", None).await;
    for path in [
        "/api/platform/points/{point}/ledger",
        "/api/platform/settlement-periods",
        "/api/platform/withdrawals/{id}/approve",
        "/api/platform/orders/{id}/handover",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
}
