//! The `Idempotency-Key` header of staff actions (see `store::staff_request`).
//! Actions that move money or stock require it; the admin web sends a fresh key
//! per submission and the same key when it retries one.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Serialize;

use super::{ApiError, StaffAuth};
use crate::store::{valid_key, StaffRequest, MAX_KEY_CHARS};

pub const HEADER: &str = "idempotency-key";

/// The header's value, if the request has one.
#[derive(Clone, Debug)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(v) = parts.headers.get(HEADER) else {
            return Ok(IdempotencyKey(None));
        };
        let key = v.to_str().ok().filter(|k| valid_key(k)).ok_or_else(|| {
            ApiError::field2(
                "Idempotency-Key",
                format!("须为 1–{MAX_KEY_CHARS} 个可打印的 ASCII 字符"),
                format!("must be 1–{MAX_KEY_CHARS} printable ASCII characters"),
            )
        })?;
        Ok(IdempotencyKey(Some(key.to_string())))
    }
}

impl IdempotencyKey {
    /// The keyed request for an action that must not happen twice; refused
    /// without a key.
    pub fn require(
        self,
        staff: &StaffAuth,
        action: &'static str,
        what: &impl Serialize,
    ) -> Result<StaffRequest, ApiError> {
        let key = self.0.ok_or_else(|| {
            ApiError::field2(
                "Idempotency-Key",
                "这个操作涉及钱或库存，请求须带 Idempotency-Key 头（每次提交一个新的）",
                "this action moves money or stock: send an Idempotency-Key header (a new one per submission)",
            )
        })?;
        Ok(StaffRequest::new(&staff.id, &key, action, what))
    }
}
