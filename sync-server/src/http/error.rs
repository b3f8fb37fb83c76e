//! One error shape for every endpoint: a status, a machine-readable `error`, a
//! sentence for people, and for invalid input the fields that were wrong.

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use linli_core::catalog::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body or parameters are not acceptable; each field says why.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// Well-formed, but the business says no (stock, limits, windows, state).
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A door without a token was knocked on too often (see `limits`).
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    #[error("internal error")]
    Internal(String),
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// `invalid`, `refused`, `conflict`, `not_found`, `unauthenticated`, `forbidden`,
    /// `payload_too_large`, `too_many_requests` or `internal`.
    pub error: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub reason: String,
}

impl ApiError {
    pub fn field(field: &str, reason: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError::new(field, reason)])
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ApiError::Refused(_) => (StatusCode::UNPROCESSABLE_ENTITY, "refused"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::TooManyRequests { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
            }
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error) = self.parts();
        let retry_after = match &self {
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        };
        let (message, fields) = match self {
            ApiError::Invalid(errs) => {
                let message = errs
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.reason))
                    .collect::<Vec<_>>()
                    .join("; ");
                let fields = errs
                    .into_iter()
                    .map(|e| FieldProblem {
                        field: e.field,
                        reason: e.reason,
                    })
                    .collect();
                (message, fields)
            }
            ApiError::Internal(detail) => {
                // The detail goes to the log (with the request id), not to the caller.
                tracing::error!(%detail, "internal error");
                (
                    "internal error; the request id is in the logs".to_string(),
                    Vec::new(),
                )
            }
            other => (other.to_string(), Vec::new()),
        };
        let mut answer = (
            status,
            Json(ErrorBody {
                error,
                message,
                fields,
            }),
        )
            .into_response();
        if let Some(secs) = retry_after {
            answer
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        answer
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(errs) => ApiError::Invalid(errs),
            StoreError::NotFound(_) => ApiError::NotFound(e.to_string()),
            StoreError::KeyReused => ApiError::Conflict(e.to_string()),
            StoreError::Internal(detail) => ApiError::Internal(detail),
            StoreError::Refused(_)
            | StoreError::PointNotApproved(_)
            | StoreError::PointWithoutRoute(_)
            | StoreError::AlreadyShipped(_) => ApiError::Refused(e.to_string()),
        }
    }
}

/// A body that does not parse names the field serde stumbled on; the whole
/// message goes back so the caller can fix it without guessing.
impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => ApiError::field("body", e.body_text()),
            JsonRejection::JsonSyntaxError(e) => ApiError::field("body", e.body_text()),
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::field("content-type", "expected `Content-Type: application/json`")
            }
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge(format!(
                    "the body is larger than {} bytes",
                    super::MAX_BODY_BYTES
                ))
            }
            other => ApiError::field("body", other.body_text()),
        }
    }
}
