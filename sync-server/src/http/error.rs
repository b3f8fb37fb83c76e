//! One error shape for every endpoint: a status, a machine-readable `error`, a
//! sentence for people, and for invalid input the fields that were wrong.

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use linli_core::catalog::FieldError;
use linli_core::lang::Lang;
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
    /// Someone else changed the record since the caller read it: 409, with the
    /// fields that changed and what each is now.
    #[error(
        "this record was changed by someone else since you opened it; reload and redo your change"
    )]
    Stale(Vec<FieldError>),
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
    /// Any of the above with its message in Chinese too (`ApiError::zh`).
    #[error("{inner}")]
    Localized { inner: Box<ApiError>, zh: String },
}

tokio::task_local! {
    /// The language the current request asked for (`Accept-Language`), set by
    /// `language` around every handler so an error can answer in it.
    static LANG: Lang;
}

/// The current request's language; English outside a request.
pub fn request_lang() -> Lang {
    LANG.try_with(|l| *l).unwrap_or(Lang::En)
}

/// Middleware: runs the rest of the request with its `Accept-Language` in scope.
pub async fn language(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let lang = Lang::from_accept_language(
        req.headers()
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    LANG.scope(lang, next.run(req)).await
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// `invalid`, `refused`, `conflict`, `stale`, `not_found`, `unauthenticated`, `forbidden`,
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

    /// One field wrong, said in both languages.
    pub fn field2(field: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError::new(field, en).zh(zh)])
    }

    /// The same error, with its message in Chinese for those who read it.
    pub fn zh(self, zh: impl Into<String>) -> Self {
        ApiError::Localized {
            inner: Box::new(self),
            zh: zh.into(),
        }
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Localized { inner, .. } => inner.parts(),
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ApiError::Refused(_) => (StatusCode::UNPROCESSABLE_ENTITY, "refused"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Stale(_) => (StatusCode::CONFLICT, "stale"),
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
            ApiError::Localized { inner, .. } => match **inner {
                ApiError::TooManyRequests {
                    retry_after_secs, ..
                } => Some(retry_after_secs),
                _ => None,
            },
            _ => None,
        };
        let (message, fields) = self.body_parts(request_lang());
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

impl ApiError {
    /// The message and field problems in `lang` (English where no Chinese was given).
    fn body_parts(self, lang: Lang) -> (String, Vec<FieldProblem>) {
        match self {
            ApiError::Invalid(errs) => {
                let message = errs
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.reason_in(lang)))
                    .collect::<Vec<_>>()
                    .join("; ");
                let fields = errs
                    .into_iter()
                    .map(|e| FieldProblem {
                        reason: e.reason_in(lang).to_string(),
                        field: e.field,
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
            ApiError::Stale(errs) => {
                let message = match lang {
                    Lang::ZhCn => "别人在你打开之后修改了这条记录；请重新载入后再改",
                    Lang::En => "this record was changed by someone else since you opened it; reload and redo your change",
                };
                let fields = errs
                    .into_iter()
                    .map(|e| FieldProblem {
                        reason: e.reason_in(lang).to_string(),
                        field: e.field,
                    })
                    .collect();
                (message.to_string(), fields)
            }
            ApiError::Localized { inner, zh } => match lang {
                Lang::ZhCn => (zh, inner.body_parts(lang).1),
                Lang::En => inner.body_parts(lang),
            },
            other => (other.to_string(), Vec::new()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(errs) => ApiError::Invalid(errs),
            StoreError::NotFound(_) => ApiError::NotFound(e.to_string()),
            StoreError::KeyReused => ApiError::Conflict(e.to_string())
                .zh("这个 Idempotency-Key 已用于另一个请求；新的请求请用新的 key"),
            StoreError::Internal(detail) => ApiError::Internal(detail),
            StoreError::NotAllowed { en, zh } => ApiError::Refused(en).zh(zh),
            StoreError::Stale(fields) => ApiError::Stale(fields),
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
