//! Believable sample data — a neighbourhood's grocery orders — for `make demo`, the
//! benchmarks and the tests. Deterministic for a given seed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::doc::{DocError, PointDayDoc};
use crate::ids::{OrderId, PointId, SkuId, SupplierId};
use crate::money::{Fen, Rate};
use crate::order::{OrderFacts, OrderLine};
use crate::pickup_code::{CodeKey, PickupCode};
use crate::time::Millis;

/// (name with spec, price in fen, category)
const PRODUCTS: [(&str, i64, &str); 24] = [
    ("本地土鸡蛋 30枚", 2_390, "蛋品"),
    ("精品西红柿 500g", 590, "蔬菜"),
    ("云南小土豆 1kg", 690, "蔬菜"),
    ("山东大葱 500g", 390, "蔬菜"),
    ("有机菠菜 300g", 490, "蔬菜"),
    ("海南香蕉 1kg", 790, "水果"),
    ("陕西红富士苹果 2.5kg", 2_990, "水果"),
    ("赣南脐橙 2.5kg", 2_690, "水果"),
    ("麒麟西瓜 1个", 1_990, "水果"),
    ("冷鲜猪五花 500g", 1_890, "肉禽"),
    ("冷鲜鸡胸肉 1kg", 2_190, "肉禽"),
    ("鲜活基围虾 500g", 4_990, "水产"),
    ("东北珍珠米 5kg", 3_290, "粮油"),
    ("鲁花花生油 1.8L", 4_590, "粮油"),
    ("金龙鱼挂面 1kg", 890, "粮油"),
    ("蒙牛纯牛奶 250ml×12", 4_290, "乳品"),
    ("光明酸奶 200g×6", 1_590, "乳品"),
    ("手工水饺 猪肉白菜 1kg", 2_590, "冻品"),
    ("三全汤圆 500g", 1_190, "冻品"),
    ("清风抽纸 3层×10包", 2_490, "日用"),
    ("蓝月亮洗衣液 3kg", 3_990, "日用"),
    ("农夫山泉 550ml×24", 2_990, "饮料"),
    ("老干妈风味豆豉 280g", 1_090, "调味"),
    ("海天生抽 1.9L", 1_590, "调味"),
];

const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];

/// The sample catalog: each product with a stable SKU and one of six suppliers.
pub struct SampleCatalog {
    pub items: Vec<(SkuId, &'static str, Fen, &'static str, SupplierId)>,
}

impl SampleCatalog {
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let suppliers: Vec<SupplierId> = (0..6)
            .map(|_| SupplierId(uuid::Uuid::from_u128(rng.gen())))
            .collect();
        let items = PRODUCTS
            .iter()
            .enumerate()
            .map(|(i, (name, price, cat))| {
                (
                    SkuId(uuid::Uuid::from_u128(rng.gen())),
                    *name,
                    Fen(*price),
                    *cat,
                    suppliers[i % suppliers.len()],
                )
            })
            .collect();
        SampleCatalog { items }
    }
}

/// One sample order with its plain code (which only the consumer would see).
pub struct SampleOrder {
    pub facts: OrderFacts,
    pub code: PickupCode,
}

/// `n` orders for one point-day, with codes unique within the day.
pub fn sample_orders(
    catalog: &SampleCatalog,
    key: &CodeKey,
    day_start: Millis,
    n: usize,
    seed: u64,
) -> Vec<SampleOrder> {
    let mut rng = StdRng::seed_from_u64(seed);
    // Order numbers read "MMDD-0042": the delivery day's date in China, then a sequence.
    let mmdd = chrono::DateTime::from_timestamp_millis(day_start.0 + 8 * 3_600_000)
        .map(|t| t.format("%m%d").to_string())
        .unwrap_or_default();
    let mut taken = std::collections::HashSet::new();
    (0..n)
        .map(|i| {
            let mut lines: Vec<OrderLine> = Vec::new();
            for _ in 0..rng.gen_range(1..=4) {
                let (sku, name, price, _, supplier) =
                    catalog.items[rng.gen_range(0..catalog.items.len())];
                if lines.iter().any(|l| l.sku == sku) {
                    continue;
                }
                lines.push(OrderLine {
                    sku,
                    name: name.to_string(),
                    supplier,
                    qty: rng.gen_range(1..=3),
                    unit_price: price,
                    commission_rate: Rate(1_000),
                });
            }
            // Seeded codes keep samples reproducible; real codes come from OsRng.
            let (code, digest) = loop {
                let c = PickupCode::parse(&format!("{:07}", rng.gen_range(0..10_000_000u32)))
                    .unwrap_or_else(|_| unreachable!("seven digits always parse"));
                let d = key.digest(&c);
                if taken.insert(d) {
                    break (c, d);
                }
            };
            let total = lines.iter().map(OrderLine::total).sum();
            let name = SURNAMES[rng.gen_range(0..SURNAMES.len())];
            let title = if rng.gen_bool(0.6) {
                "女士"
            } else {
                "先生"
            };
            SampleOrder {
                facts: OrderFacts {
                    id: OrderId(uuid::Uuid::from_u128(rng.gen())),
                    number: format!("{mmdd}-{:04}", i + 1),
                    consumer_name: format!("{name}{title}"),
                    phone_tail: format!("{:04}", rng.gen_range(0..10_000)),
                    placed_at: Millis(day_start.0 + i as i64 * 60_000),
                    lines,
                    paid: total,
                    code_digest: digest,
                    cancelled_at: None,
                    refunded_at: None,
                },
                code,
            }
        })
        .collect()
}

/// A point-day document holding `orders` and the expected lines they add up to,
/// written the way the server writes: one order at a time.
pub fn sample_day_doc(
    point: PointId,
    day: &str,
    orders: &[SampleOrder],
) -> Result<PointDayDoc, DocError> {
    let mut doc = PointDayDoc::genesis(point, day)?;
    for o in orders {
        doc.put_order(&o.facts)?;
    }
    let route = crate::ids::RouteId(uuid::Uuid::nil());
    let route_of = std::collections::BTreeMap::from([(point, route)]);
    let wave = crate::cutoff::aggregate(orders.iter().map(|o| (point, &o.facts)), &route_of)
        .unwrap_or_else(|_| unreachable!("the only point has a route"));
    for line in wave.expected_lines(point) {
        doc.put_expected(&line)?;
    }
    Ok(doc)
}
