//! Seeds the demo city into an empty database through the ordinary store methods,
//! so every rule applies: products are validated, orders go through
//! `Store::place_order` (stock, limits, codes, point-day documents) with
//! timestamps over the past three days, and the past waves are frozen by the same
//! scheduler pass that catches up missed cutoffs. The choices come from a seeded
//! RNG, so one seed always makes the same city and the same baskets.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Timelike};
use linli_core::business_day::RegionClock;
use linli_core::catalog::Product;
use linli_core::ids::{ConsumerId, PointId, SkuId, SupplierId};
use linli_core::money::{Fen, Rate};
use linli_core::ordering::RequestedLine;
use linli_core::time::Millis;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use tokio::task::JoinSet;

use super::data::{self, POINTS, PRODUCTS, ROUTES, SUPPLIERS};
use crate::http::Role;
use crate::store::{
    NewPoint, NewRegion, NewRoute, NewStaff, NewSupplier, PaymentMethod, PlaceOrder, PointStatus,
    Store, StoreError, WaveSummary,
};

pub const CONSUMERS: usize = 300;
/// Orders of a full day's wave; today's open wave gets its share of the day so far.
const ORDERS_PER_DAY: usize = 150;
/// Past waves seeded before today's open one.
const PAST_DAYS: u64 = 3;
pub const ADMIN_USERNAME: &str = "admin";

/// Who and what the demo orders with; also what `--simulate` draws from.
#[derive(Clone, Debug, Default)]
pub struct Cast {
    pub consumers: Vec<ConsumerId>,
    pub points: Vec<PointId>,
    pub products: Vec<SkuId>,
}

/// What seeding made.
#[derive(Debug)]
pub struct Seeded {
    pub region: String,
    pub cast: Cast,
    /// Orders placed per delivery day.
    pub orders: BTreeMap<String, usize>,
    /// The past waves frozen after seeding.
    pub waves: Vec<WaveSummary>,
    /// The demo admin's password: shown once, stored only as a hash.
    pub admin_password: String,
}

fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(e.to_string())
}

fn id_from(rng: &mut StdRng) -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

/// Seeds the city unless the database already has a region (then `None`: a demo
/// restarted on its own database keeps what it had, nothing is duplicated).
pub async fn seed<S: Store>(
    store: &S,
    seed: u64,
    now: Millis,
) -> Result<Option<Seeded>, StoreError> {
    // Any region at all means the database is in use; the far-off day keeps the
    // question from reading any orders.
    if !store.region_cutoffs("9999-12-31".into()).await?.is_empty() {
        return Ok(None);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let region = store
        .create_region(NewRegion {
            name: data::REGION.into(),
            zone: data::ZONE.into(),
            cutoff: data::CUTOFF.into(),
        })
        .await?;
    let clock = RegionClock::parse(data::ZONE, data::CUTOFF).map_err(internal)?;

    let mut routes = Vec::new();
    for (name, driver, phone) in ROUTES {
        let route = NewRoute {
            region: region.clone(),
            name: name.into(),
            driver_name: driver.into(),
            driver_phone: phone.into(),
        };
        routes.push(store.create_route(route).await?);
    }
    let mut points = Vec::new();
    let mut stops = [0u32; ROUTES.len()];
    for p in &POINTS {
        stops[p.route] += 1;
        let id = store
            .create_point(NewPoint {
                region: region.clone(),
                name: p.name.into(),
                leader_name: p.leader.into(),
                leader_phone: p.phone.into(),
                province: data::PROVINCE.into(),
                city: data::CITY.into(),
                district: p.district.into(),
                address: p.address.into(),
                lat: p.lat,
                lng: p.lng,
                route: Some(routes[p.route].clone()),
                stop_seq: Some(stops[p.route]),
                opening_hours: p.hours.into(),
                commission_override: None,
            })
            .await?;
        store.set_point_status(id, PointStatus::Approved).await?;
        points.push(id);
    }
    let mut suppliers = Vec::new();
    for (name, contact, phone) in SUPPLIERS {
        let s = NewSupplier {
            name: name.into(),
            contact: contact.into(),
            phone: phone.into(),
        };
        let id: SupplierId = store.create_supplier(s).await?.parse().map_err(internal)?;
        suppliers.push(id);
    }
    let mut products = Vec::new();
    let mut stock = BTreeMap::new();
    for g in &PRODUCTS {
        let sku = SkuId(id_from(&mut rng));
        let units = rng.gen_range(150..600u32);
        let product = Product {
            sku,
            name: g.name.into(),
            category: g.category.into(),
            spec: g.spec.into(),
            image_urls: vec![],
            price: Fen(g.price_fen),
            supplier: suppliers[g.supplier],
            returnable: g.return_days > 0,
            return_window_days: g.return_days,
            points_eligible: g.points,
            purchase_limit: (g.limit > 0).then_some(g.limit),
            sale_window: None,
            commission_rate: Some(Rate::from_bp(g.commission_bp).map_err(internal)?),
        };
        store.upsert_product(product, units).await?;
        stock.insert(sku, units);
        products.push(sku);
    }
    let consumers = seed_consumers(store, &mut rng).await?;
    // Each consumer collects at one point near home.
    let home: Vec<PointId> = (0..consumers.len())
        .map(|_| points[rng.gen_range(0..points.len())])
        .collect();
    // Promoters bring some of them, before they order, so the team has sales.
    super::team::seed_team(store, &mut rng, &points, &consumers, &home).await?;

    let open = clock.delivery_day(now).map_err(internal)?;
    let mut orders = BTreeMap::new();
    let mut basket = Basket {
        rng: &mut rng,
        stock,
        bought: BTreeMap::new(),
    };
    for back in (0..=PAST_DAYS).rev() {
        let day = open
            .checked_sub_days(chrono::Days::new(back))
            .ok_or_else(|| internal("date out of range"))?;
        let placed = seed_day(
            store,
            &clock,
            &mut basket,
            day,
            now,
            seed,
            &consumers,
            &home,
            &products,
        )
        .await?;
        orders.insert(day.to_string(), placed);
    }
    // The past waves' cutoffs have passed: the scheduler's catch-up freezes them.
    let tick = crate::scheduler::tick(store, now).await?;
    if let Some((region, reason)) = tick.failed.first() {
        return Err(internal(format!("cutoff of {region}: {reason}")));
    }
    let admin_password = create_admin(store).await?;
    Ok(Some(Seeded {
        region,
        cast: Cast {
            consumers,
            points,
            products,
        },
        orders,
        waves: tick.frozen,
        admin_password,
    }))
}

async fn seed_consumers<S: Store>(
    store: &S,
    rng: &mut StdRng,
) -> Result<Vec<ConsumerId>, StoreError> {
    let mut phones = std::collections::BTreeSet::new();
    let mut tasks = JoinSet::new();
    while phones.len() < CONSUMERS {
        let prefix = [
            "138", "139", "137", "135", "150", "151", "187", "189", "199",
        ]
        .choose(rng)
        .copied()
        .unwrap_or("138");
        let phone = format!("{prefix}{:08}", rng.gen_range(0..100_000_000u32));
        if !phones.insert(phone.clone()) {
            continue;
        }
        let name = format!(
            "{}{}",
            data::SURNAMES[rng.gen_range(0..data::SURNAMES.len())],
            data::GIVEN[rng.gen_range(0..data::GIVEN.len())]
        );
        let store = store.clone();
        let n = phones.len();
        // Concurrent, so the writer commits them in groups; the index keeps the order.
        tasks.spawn(async move { (n, store.create_consumer(name, phone).await) });
    }
    let mut made = Vec::with_capacity(CONSUMERS);
    while let Some(done) = tasks.join_next().await {
        let (n, id) = done.map_err(internal)?;
        made.push((n, id?));
    }
    made.sort_by_key(|(n, _)| *n);
    Ok(made.into_iter().map(|(_, id)| id).collect())
}

/// Chooses baskets that keep to stock and to per-person limits, so every order
/// the demo places is one the rules accept.
struct Basket<'a> {
    rng: &'a mut StdRng,
    stock: BTreeMap<SkuId, u32>,
    /// Units per (consumer, day, sku) of limited products.
    bought: BTreeMap<(usize, NaiveDate, SkuId), u32>,
}

impl Basket<'_> {
    fn choose(
        &mut self,
        consumer: usize,
        day: NaiveDate,
        products: &[SkuId],
    ) -> Vec<RequestedLine> {
        let lines = self.rng.gen_range(1..=4usize);
        let mut chosen: Vec<usize> = Vec::new();
        let mut out = Vec::new();
        for _ in 0..lines * 3 {
            if out.len() == lines {
                break;
            }
            let i = self.rng.gen_range(0..products.len());
            if chosen.contains(&i) {
                continue;
            }
            chosen.push(i);
            let sku = products[i];
            let limit = PRODUCTS[i].limit;
            let mut qty = *[1u32, 1, 1, 2, 2, 3].choose(self.rng).unwrap_or(&1);
            if limit > 0 {
                let had = self.bought.get(&(consumer, day, sku)).copied().unwrap_or(0);
                qty = qty.min(limit.saturating_sub(had));
            }
            let left = self.stock.get(&sku).copied().unwrap_or(0);
            qty = qty.min(left);
            if qty == 0 {
                continue;
            }
            self.stock.insert(sku, left - qty);
            if limit > 0 {
                *self.bought.entry((consumer, day, sku)).or_default() += qty;
            }
            out.push(RequestedLine {
                sku,
                qty: i64::from(qty),
            });
        }
        out
    }

    /// A moment in the wave's ordering window, mostly in waking hours.
    fn moment(&mut self, clock: &RegionClock, from: Millis, to: Millis) -> Millis {
        for _ in 0..20 {
            let at = Millis(self.rng.gen_range(from.0..to.0));
            let hour = clock
                .zone
                .timestamp_millis_opt(at.0)
                .single()
                .map_or(12, |t| t.hour());
            if (7..23).contains(&hour) {
                return at;
            }
        }
        Millis(self.rng.gen_range(from.0..to.0))
    }
}

#[allow(clippy::too_many_arguments)]
async fn seed_day<S: Store>(
    store: &S,
    clock: &RegionClock,
    basket: &mut Basket<'_>,
    day: NaiveDate,
    now: Millis,
    seed: u64,
    consumers: &[ConsumerId],
    home: &[PointId],
    products: &[SkuId],
) -> Result<usize, StoreError> {
    let prev = day
        .pred_opt()
        .ok_or_else(|| internal("date out of range"))?;
    // The wave's ordering window: from the cutoff before it to its own (or now).
    let from = Millis(clock.cutoff_for(prev).map_err(internal)?.0 + 1);
    let to = clock.cutoff_for(day).map_err(internal)?.min(now);
    if to.0 <= from.0 {
        return Ok(0);
    }
    let share = (to.0 - from.0) as f64 / (24.0 * 3_600_000.0);
    let count = ((ORDERS_PER_DAY as f64) * share.min(1.0)).round() as usize;
    let mut plan = Vec::with_capacity(count);
    for n in 0..count {
        let who = basket.rng.gen_range(0..consumers.len());
        let lines = basket.choose(who, day, products);
        if lines.is_empty() {
            continue;
        }
        let at = basket.moment(clock, from, to);
        plan.push(PlaceOrder {
            consumer: consumers[who],
            point: home[who],
            lines,
            idempotency_key: format!("demo-{seed}-{day}-{n}"),
            payment: PaymentMethod::PayAtPickup,
            at,
        });
    }
    // In time order, so order numbers at a point follow the clock.
    plan.sort_by_key(|o| o.at);
    let placed = plan.len();
    let mut tasks = JoinSet::new();
    for order in plan {
        let store = store.clone();
        tasks.spawn(async move { store.place_order(order).await });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(internal)??;
    }
    Ok(placed)
}

async fn create_admin<S: Store>(store: &S) -> Result<String, StoreError> {
    // Random, not from the seed: the seed is public, a password must not be.
    let password: String = {
        let mut os = rand::rngs::OsRng;
        (0..16)
            .map(|_| {
                const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
                CHARS[os.gen_range(0..CHARS.len())] as char
            })
            .collect()
    };
    store
        .create_staff(
            NewStaff {
                username: ADMIN_USERNAME.into(),
                name: "演示管理员".into(),
                role: Role::Admin,
                password: password.clone(),
            },
            crate::store::Actor::demo_seed(),
        )
        .await?;
    Ok(password)
}
