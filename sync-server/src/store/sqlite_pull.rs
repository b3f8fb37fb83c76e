//! `PullStore` and `TeamStore` on the embedded SQLite file. Reads run on the writer
//! like every other store read; each write also marks the pull it changes, so a
//! point's online devices hear `Changed` after the commit.

use linli_core::ids::{ConsumerId, DeviceId, PointId};
use linli_core::money::Fen;
use linli_core::sync::pull::{
    CatalogProduct, CatalogSnapshot, PulledWithdrawal, TeamConsumer, TeamPromoter, TeamSnapshot,
    WithdrawalState, WithdrawalsSnapshot,
};
use linli_core::sync::{PullKind, WithdrawalVerdict};
use linli_core::time::Millis;
use rand::Rng;
use rusqlite::{params, Connection};

use super::ledger::WithdrawalStatus;
use super::pull::PullStore;
use super::sqlite_ledger::{insert_withdrawal, totals};
use super::team::{NewPromoter, Promoter, TeamStore, REFERRAL_ALPHABET, REFERRAL_CODE_LEN};
use super::writer::{optional, pull_changed};
use super::{SqliteStore, StoreError};
use linli_core::catalog::FieldError;

fn invalid(field: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![FieldError::new(field, reason)])
}

const PROMOTER_COLUMNS: &str = "p.id, p.point_id, p.name, p.phone, p.referral_code, p.recruited_by,
    (SELECT count(*) FROM consumer_referrals r WHERE r.promoter_id = p.id), p.created_at";

fn promoter(r: &rusqlite::Row<'_>) -> rusqlite::Result<Promoter> {
    Ok(Promoter {
        id: r.get(0)?,
        point: r.get(1)?,
        name: r.get(2)?,
        phone: r.get(3)?,
        referral_code: r.get(4)?,
        recruited_by: r.get(5)?,
        consumers: r.get(6)?,
        created_at: r.get(7)?,
    })
}

fn load_promoter(conn: &Connection, id: &str) -> Result<Promoter, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {PROMOTER_COLUMNS} FROM promoters p WHERE p.id = ?1"
        ))?
        .query_row([id], promoter)?)
}

/// A code no promoter has yet: 32^6 ≈ 10^9 codes, so a clash is rare and retried.
fn fresh_code(conn: &Connection) -> Result<String, StoreError> {
    let mut rng = rand::thread_rng();
    for _ in 0..16 {
        let code: String = (0..REFERRAL_CODE_LEN)
            .map(|_| char::from(REFERRAL_ALPHABET[rng.gen_range(0..REFERRAL_ALPHABET.len())]))
            .collect();
        let taken = optional::<i64>(
            conn,
            "SELECT 1 FROM promoters WHERE referral_code = ?1",
            [&code],
        )?;
        if taken.is_none() {
            return Ok(code);
        }
    }
    Err(StoreError::Internal(
        "no free referral code after 16 draws".into(),
    ))
}

fn point_exists(conn: &Connection, point: &str) -> Result<(), StoreError> {
    optional::<i64>(conn, "SELECT 1 FROM points WHERE id = ?1", [point])?
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(format!("pickup point {point}")))
}

impl TeamStore for SqliteStore {
    async fn add_promoter(&self, point: PointId, p: NewPromoter) -> Result<Promoter, StoreError> {
        p.validate().map_err(StoreError::Invalid)?;
        self.writer
            .run(move |conn, _| {
                let point = point.to_string();
                point_exists(conn, &point)?;
                let recruiter = p.recruited_by.as_deref().map(str::trim);
                if let Some(r) = recruiter {
                    let of = optional::<String>(
                        conn,
                        "SELECT point_id FROM promoters WHERE id = ?1",
                        [r],
                    )?;
                    if of.as_deref() != Some(point.as_str()) {
                        return Err(invalid(
                            "recruited_by",
                            "must be a promoter of the same pickup point",
                        ));
                    }
                }
                let phone = p.phone.trim();
                if optional::<i64>(
                    conn,
                    "SELECT 1 FROM promoters WHERE point_id = ?1 AND phone = ?2",
                    params![point, phone],
                )?
                .is_some()
                {
                    return Err(invalid(
                        "phone",
                        "this point already has a promoter with this phone",
                    ));
                }
                let id = uuid::Uuid::now_v7().to_string();
                conn.prepare_cached(
                    "INSERT INTO promoters (id, point_id, name, phone, referral_code, recruited_by,
                        created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    id,
                    point,
                    p.name.trim(),
                    phone,
                    fresh_code(conn)?,
                    recruiter,
                    Millis::now().0
                ])?;
                pull_changed(&point, PullKind::Team);
                load_promoter(conn, &id)
            })
            .await
    }

    async fn promoters(&self, point: PointId) -> Result<Vec<Promoter>, StoreError> {
        self.writer
            .run(move |conn, _| {
                let point = point.to_string();
                point_exists(conn, &point)?;
                Ok(conn
                    .prepare_cached(&format!(
                        "SELECT {PROMOTER_COLUMNS} FROM promoters p WHERE p.point_id = ?1
                         ORDER BY p.created_at, p.id"
                    ))?
                    .query_map([point], promoter)?
                    .collect::<Result<_, _>>()?)
            })
            .await
    }

    async fn refer_consumer(
        &self,
        consumer: ConsumerId,
        code: String,
    ) -> Result<Promoter, StoreError> {
        let code = super::team::normalize_referral_code(&code).ok_or_else(|| {
            invalid(
                "referral_code",
                format!("must be {REFERRAL_CODE_LEN} letters and digits"),
            )
        })?;
        self.writer
            .run(move |conn, _| {
                let id = optional::<String>(
                    conn,
                    "SELECT id FROM promoters WHERE referral_code = ?1",
                    [&code],
                )?
                .ok_or_else(|| invalid("referral_code", "no promoter has this referral code"))?;
                let added = conn
                    .prepare_cached(
                        "INSERT INTO consumer_referrals (consumer_id, promoter_id, at)
                         VALUES (?1, ?2, ?3) ON CONFLICT (consumer_id) DO NOTHING",
                    )?
                    .execute(params![consumer.to_string(), id, Millis::now().0])?;
                let p = load_promoter(conn, &id)?;
                if added > 0 {
                    pull_changed(&p.point, PullKind::Team);
                }
                Ok(p)
            })
            .await
    }
}

/// id, amount, status, requested_at, decided_at, reason.
type StoredWithdrawal = (String, i64, String, i64, Option<i64>, Option<String>);

fn phone_tail(phone: &str) -> String {
    let n = phone.chars().count();
    phone.chars().skip(n.saturating_sub(4)).collect()
}

impl PullStore for SqliteStore {
    async fn catalog_snapshot(&self) -> Result<CatalogSnapshot, StoreError> {
        self.writer
            .run(|conn, _| {
                let products = conn
                    .prepare_cached(
                        "SELECT sku, name, category, spec, price, commission_rate FROM products
                         ORDER BY sku",
                    )?
                    .query_map([], |r| {
                        Ok(CatalogProduct {
                            sku: r.get(0)?,
                            name: r.get(1)?,
                            category: r.get(2)?,
                            spec: r.get(3)?,
                            price: Fen(r.get(4)?),
                            commission_rate: r.get(5)?,
                        })
                    })?
                    .collect::<Result<_, _>>()?;
                Ok(CatalogSnapshot { products })
            })
            .await
    }

    async fn team_snapshot(&self, point: PointId) -> Result<TeamSnapshot, StoreError> {
        self.writer
            .run(move |conn, _| {
                let point = point.to_string();
                let mut promoters: Vec<TeamPromoter> = conn
                    .prepare_cached(
                        "SELECT id, name, phone, referral_code, recruited_by, created_at
                         FROM promoters WHERE point_id = ?1 ORDER BY created_at, id",
                    )?
                    .query_map([&point], |r| {
                        Ok(TeamPromoter {
                            id: r.get(0)?,
                            name: r.get(1)?,
                            phone: r.get(2)?,
                            referral_code: r.get(3)?,
                            recruited_by: r.get(4)?,
                            joined_at: Millis(r.get(5)?),
                            consumers: vec![],
                        })
                    })?
                    .collect::<Result<_, _>>()?;
                let mut consumers = conn.prepare_cached(
                    "SELECT c.name, c.phone, count(o.id), coalesce(sum(o.paid), 0)
                     FROM consumer_referrals r
                     JOIN consumers c ON c.id = r.consumer_id
                     LEFT JOIN orders o ON o.consumer_id = c.id AND o.point_id = ?2
                          AND o.cancelled_at IS NULL AND o.refunded_at IS NULL
                     WHERE r.promoter_id = ?1
                     GROUP BY c.id ORDER BY r.at, c.id",
                )?;
                for p in &mut promoters {
                    p.consumers = consumers
                        .query_map(params![p.id, point], |r| {
                            Ok(TeamConsumer {
                                name: r.get(0)?,
                                phone_tail: phone_tail(&r.get::<_, String>(1)?),
                                orders: r.get(2)?,
                                amount: Fen(r.get(3)?),
                            })
                        })?
                        .collect::<Result<_, _>>()?;
                }
                Ok(TeamSnapshot { promoters })
            })
            .await
    }

    async fn withdrawals_snapshot(
        &self,
        point: PointId,
    ) -> Result<WithdrawalsSnapshot, StoreError> {
        self.writer
            .run(move |conn, _| {
                let rows: Vec<StoredWithdrawal> = conn
                    .prepare_cached(
                        "SELECT id, amount, status, requested_at, decided_at, reason
                         FROM withdrawals WHERE point_id = ?1 ORDER BY requested_at, id",
                    )?
                    .query_map([point.to_string()], |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                        ))
                    })?
                    .collect::<Result<_, _>>()?;
                let withdrawals = rows
                    .into_iter()
                    .map(|(id, amount, status, requested_at, decided_at, reason)| {
                        let status = match WithdrawalStatus::parse(&status) {
                            Some(WithdrawalStatus::Requested) => WithdrawalState::Requested,
                            // A paid payout is an approved one to the counter: the leader
                            // sees the money granted; the bank reference is finance's.
                            Some(WithdrawalStatus::Approved | WithdrawalStatus::Paid) => {
                                WithdrawalState::Approved
                            }
                            Some(WithdrawalStatus::Rejected) => WithdrawalState::Rejected,
                            None => {
                                return Err(StoreError::Internal(format!(
                                    "stored withdrawal status '{status}' is not valid"
                                )))
                            }
                        };
                        Ok(PulledWithdrawal {
                            id,
                            amount: Fen(amount),
                            status,
                            requested_at: Millis(requested_at),
                            decided_at: decided_at.map(Millis),
                            reason,
                        })
                    })
                    .collect::<Result<_, _>>()?;
                Ok(WithdrawalsSnapshot { withdrawals })
            })
            .await
    }

    async fn device_withdrawal(
        &self,
        point: PointId,
        request: uuid::Uuid,
        amount: Fen,
        device: DeviceId,
        at: Millis,
    ) -> Result<(WithdrawalVerdict, String), StoreError> {
        self.writer
            .run(move |conn, _| {
                let (point, id) = (point.to_string(), request.to_string());
                if let Some(of) = optional::<String>(
                    conn,
                    "SELECT point_id FROM withdrawals WHERE id = ?1",
                    [&id],
                )? {
                    return Ok(if of == point {
                        (WithdrawalVerdict::Accepted, "already requested".into())
                    } else {
                        (WithdrawalVerdict::Invalid, "the request id is taken".into())
                    });
                }
                if amount <= Fen::ZERO {
                    return Ok((
                        WithdrawalVerdict::Invalid,
                        "the amount must be a positive number of fen".into(),
                    ));
                }
                let available = totals(conn, &point)?.available.max(Fen::ZERO);
                if amount > available {
                    return Ok((
                        WithdrawalVerdict::OverBalance,
                        format!("{amount} asked, but only {available} is available to withdraw"),
                    ));
                }
                insert_withdrawal(conn, &id, &point, amount, &format!("device:{device}"), at)?;
                Ok((WithdrawalVerdict::Accepted, String::new()))
            })
            .await
    }
}
