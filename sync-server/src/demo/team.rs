//! The demo's promoters: three per point (the first recruited the other two), and
//! about two in five of each point's consumers brought by one of them, through the
//! same store calls the staff and consumer APIs make.

use linli_core::ids::{ConsumerId, PointId};
use rand::rngs::StdRng;
use rand::Rng;

use super::data;
use crate::store::{NewPromoter, Store, StoreError};

const PROMOTERS_PER_POINT: usize = 3;

pub(super) async fn seed_team<S: Store>(
    store: &S,
    rng: &mut StdRng,
    points: &[PointId],
    consumers: &[ConsumerId],
    home: &[PointId],
) -> Result<usize, StoreError> {
    let mut referred = 0;
    for (i, point) in points.iter().enumerate() {
        let mut codes = Vec::new();
        let mut first: Option<String> = None;
        for j in 0..PROMOTERS_PER_POINT {
            let name = format!(
                "{}{}",
                data::SURNAMES[rng.gen_range(0..data::SURNAMES.len())],
                data::GIVEN[rng.gen_range(0..data::GIVEN.len())]
            );
            let p = store
                .add_promoter(
                    *point,
                    NewPromoter {
                        name,
                        phone: format!("177{:04}{:04}", i, j),
                        recruited_by: first.clone(),
                    },
                )
                .await?;
            first.get_or_insert(p.id);
            codes.push(p.referral_code);
        }
        for (c, _) in consumers.iter().zip(home).filter(|(_, h)| *h == point) {
            if rng.gen_bool(0.4) {
                let code = codes[rng.gen_range(0..codes.len())].clone();
                store.refer_consumer(*c, code).await?;
                referred += 1;
            }
        }
    }
    Ok(referred)
}
