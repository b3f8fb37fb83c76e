//! Who is calling. Every non-public endpoint takes one of the extractors below;
//! each refuses the other kinds of credential, so a consumer token never reaches
//! a platform endpoint and a device credential never reaches either.
//!
//! Tokens are stateless: `v1.<kind>.<subject>.<role>.<expires ms>.<HMAC-SHA256>`
//! under a server key, so checking one costs a hash, not a database read (the
//! ordering path runs thousands of times a second). Staff requests are rare and
//! powerful, so they also read the account: a disabled one is refused at once. How a consumer proves who they
//! are is pluggable (`ConsumerIssuer`); the demo issuer trusts a phone number.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use hmac::{Hmac, Mac};
use linli_core::ids::ConsumerId;
use linli_core::staff_policy::{self, Action};
use linli_core::time::Millis;
use sha2::Sha256;

pub use linli_core::staff_policy::Role;

use super::{ApiError, AppState};
use crate::store::{Actor, Store, StoreError};

/// How long a token lives.
pub const TOKEN_TTL_MS: i64 = 12 * 60 * 60 * 1000;

/// The holder of a valid token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    Staff { id: String, role: Role },
    Consumer { id: ConsumerId },
}

#[derive(Clone)]
pub struct TokenKeys {
    key: [u8; 32],
}

type HmacSha256 = Hmac<Sha256>;

impl TokenKeys {
    pub fn new(key: [u8; 32]) -> Self {
        TokenKeys { key }
    }

    fn sign(&self, body: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(body.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn issue(&self, who: &Principal, now: Millis) -> String {
        let expires = now.0 + TOKEN_TTL_MS;
        let body = match who {
            Principal::Staff { id, role } => format!("v1.staff.{id}.{}.{expires}", role.as_str()),
            Principal::Consumer { id } => format!("v1.consumer.{id}.-.{expires}"),
        };
        let sig = self.sign(&body);
        format!("{body}.{sig}")
    }

    pub fn verify(&self, token: &str, now: Millis) -> Result<Principal, ApiError> {
        let bad = || ApiError::Unauthenticated("the token is not valid".into());
        let (body, sig) = token.rsplit_once('.').ok_or_else(bad)?;
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(body.as_bytes());
        let sig = hex::decode(sig).map_err(|_| bad())?;
        mac.verify_slice(&sig).map_err(|_| bad())?;
        let parts: Vec<&str> = body.split('.').collect();
        let [version, kind, subject, role, expires] = parts[..] else {
            return Err(bad());
        };
        if version != "v1" {
            return Err(bad());
        }
        let expires: i64 = expires.parse().map_err(|_| bad())?;
        if expires <= now.0 {
            return Err(ApiError::Unauthenticated(
                "the token has expired; sign in again".into(),
            ));
        }
        match kind {
            "staff" => Ok(Principal::Staff {
                id: subject.to_string(),
                role: Role::parse(role).ok_or_else(bad)?,
            }),
            "consumer" => Ok(Principal::Consumer {
                id: subject.parse().map_err(|_| bad())?,
            }),
            _ => Err(bad()),
        }
    }
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::Unauthenticated("missing `Authorization: Bearer <token>`".into())
        })?;
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::Unauthenticated("expected `Authorization: Bearer <token>`".into()))
}

fn principal<S: Store>(parts: &Parts, state: &AppState<S>) -> Result<Principal, ApiError> {
    state.tokens.verify(bearer(parts)?, Millis::now())
}

/// A signed-in member of platform staff.
#[derive(Clone, Debug)]
pub struct StaffAuth {
    pub id: String,
    pub name: String,
    pub role: Role,
}

impl StaffAuth {
    /// Who is acting, for the audit log.
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.id.clone(),
            name: self.name.clone(),
        }
    }

    /// Refuses (403) what `staff_policy::permits` does not allow this role.
    pub fn permit(&self, action: Action) -> Result<(), ApiError> {
        if staff_policy::permits(self.role, action) {
            Ok(())
        } else {
            let (zh, en) = action.describe();
            Err(ApiError::Forbidden(format!(
                "you are signed in as {} ({}), which may not {en} ({zh})",
                self.role.as_str(),
                self.role.label_zh(),
            ))
            .zh(format!("当前账号角色为{}，无权{zh}", self.role.label_zh())))
        }
    }
}

impl<S: Store> FromRequestParts<AppState<S>> for StaffAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let Principal::Staff { id, .. } = principal(parts, state)? else {
            return Err(ApiError::Forbidden(
                "this endpoint is for platform staff".into(),
            ));
        };
        // The token says who signed in; the account says what they may do now.
        let member = state.store.staff_member(id).await.map_err(|e| match e {
            StoreError::NotFound(_) => {
                ApiError::Unauthenticated("this account no longer exists".into())
            }
            e => e.into(),
        })?;
        if member.disabled {
            return Err(ApiError::Unauthenticated(
                "this account has been disabled; ask an admin".into(),
            ));
        }
        Ok(StaffAuth {
            id: member.id,
            name: member.name,
            role: member.role,
        })
    }
}

/// A signed-in consumer.
#[derive(Clone, Debug)]
pub struct ConsumerAuth {
    pub id: ConsumerId,
}

impl<S: Store> FromRequestParts<AppState<S>> for ConsumerAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        match principal(parts, state)? {
            Principal::Consumer { id } => Ok(ConsumerAuth { id }),
            _ => Err(ApiError::Forbidden("this endpoint is for consumers".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new([7; 32])
    }

    #[test]
    fn a_token_round_trips_and_carries_its_role() {
        let who = Principal::Staff {
            id: "s1".into(),
            role: Role::Finance,
        };
        let t = keys().issue(&who, Millis(1_000));
        assert_eq!(keys().verify(&t, Millis(2_000)).unwrap(), who);
    }

    #[test]
    fn tampered_expired_and_foreign_tokens_are_refused() {
        let who = Principal::Consumer {
            id: ConsumerId::new(),
        };
        let t = keys().issue(&who, Millis(0));
        let forged = t.replacen("consumer", "staff", 1);
        assert!(keys().verify(&forged, Millis(1)).is_err());
        assert!(keys().verify(&t, Millis(TOKEN_TTL_MS + 1)).is_err());
        assert!(TokenKeys::new([8; 32]).verify(&t, Millis(1)).is_err());
        for junk in ["", ".", "v1.staff", "a.b.c.d.e.zz", "v1.staff.x.admin.9.%%"] {
            assert!(keys().verify(junk, Millis(1)).is_err(), "{junk}");
        }
    }
}
