//! Counter devices over HTTP: staff issue enrollment codes, list a point's devices
//! and revoke them; a new device enrolls itself with a code and its public key.
//!
//! Enrolling answers no token: a device's credential is its key pair, proved on
//! every sync connection by signing the server's challenge. So nothing here lets a
//! device reach a staff or consumer endpoint.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use linli_core::ids::{DeviceId, PointId};
use linli_core::time::Millis;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::limits::ClientAddr;
use super::platform::ApiQuery;
use super::{Action, ApiError, ApiJson, AppState, ErrorBody, StaffAuth};
use crate::store::{
    AuditRecord, Device, DeviceStatus, EnrollError, EnrolledDevice, Enrollment, EnrollmentCode,
    Store, CODE_VALID_FOR_MS,
};

#[derive(OpenApi)]
#[openapi(
    paths(create_code, list_devices, revoke, enroll),
    components(schemas(EnrollmentCode, Device, DeviceStatus, EnrollRequest, EnrolledDevice))
)]
pub struct DevicesApi;

pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route(
            "/api/platform/points/{point}/enrollment-codes",
            post(create_code::<S>),
        )
        .route(
            "/api/platform/points/{point}/devices",
            get(list_devices::<S>),
        )
        .route("/api/platform/devices/{device}/revoke", post(revoke::<S>))
        .route("/api/device/enroll", post(enroll::<S>))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CodeQuery {
    /// How long the code stays usable: 1–168 hours, 24 when left out.
    pub valid_hours: Option<u32>,
}

/// What a new device sends to enroll.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// The code staff gave the leader; case, spaces and dashes do not matter.
    pub code: String,
    /// The device's ed25519 public key, 32 bytes as base64 (standard or URL-safe,
    /// padded or not) or as 64 hex digits.
    pub public_key: String,
    /// What staff will see in the device list, e.g. "收银台电脑" (1–40 characters).
    pub label: String,
}

fn point_id(s: &str) -> Result<PointId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::NotFound(format!("pickup point {s} not found")))
}

/// The key's bytes from its text: 64 hex digits, else base64 in any common spelling.
fn key_bytes(text: &str) -> Result<Vec<u8>, ApiError> {
    let text = text.trim();
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return hex::decode(text).map_err(|e| ApiError::field("public_key", e.to_string()));
    }
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .ok_or_else(|| {
            ApiError::field(
                "public_key",
                "must be the 32-byte ed25519 public key as base64 or 64 hex digits",
            )
        })
}

impl From<EnrollError> for ApiError {
    fn from(e: EnrollError) -> Self {
        match (e.field(), e) {
            (_, EnrollError::Invalid(fields)) => ApiError::Invalid(fields),
            (_, EnrollError::Store(e)) => e.into(),
            (Some(field), e) => ApiError::field(field, e.to_string()),
            (None, e) => ApiError::Refused(e.to_string()),
        }
    }
}

/// Issues a one-time enrollment code for an approved point (operators). The code
/// is in this answer only; the server keeps a keyed digest of it.
#[utoipa::path(post, path = "/api/platform/points/{point}/enrollment-codes", tag = "devices",
    params(("point" = String, Path, description = "pickup point id"), CodeQuery),
    responses((status = 201, body = EnrollmentCode), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_code<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    Path(point): Path<String>,
    ApiQuery(q): ApiQuery<CodeQuery>,
) -> Result<(StatusCode, Json<EnrollmentCode>), ApiError> {
    auth.permit(Action::ManageDevices)?;
    let point = point_id(&point)?;
    let valid_for = match q.valid_hours {
        None => CODE_VALID_FOR_MS,
        Some(h @ 1..=168) => i64::from(h) * 60 * 60 * 1000,
        Some(_) => return Err(ApiError::field("valid_hours", "must be 1–168 hours")),
    };
    let code = st
        .store
        .create_enrollment_code(point, auth.id.clone(), Millis::now(), valid_for)
        .await?;
    tracing::info!(%point, by = %auth.id, expires_at = code.expires_at.0, "enrollment code issued");
    // The code itself stays out of the log: it is a credential until used.
    let entry = AuditRecord::new(
        "device.enrollment_code",
        "point",
        point.to_string(),
        "签发设备注册码",
    )
    .states(
        None::<&()>,
        Some(&serde_json::json!({"expires_at": code.expires_at.0})),
    );
    st.store.append_audit(auth.actor(), entry).await?;
    Ok((StatusCode::CREATED, Json(code)))
}

/// A point's devices, earliest enrolled first, revoked ones included (any staff).
#[utoipa::path(get, path = "/api/platform/points/{point}/devices", tag = "devices",
    params(("point" = String, Path, description = "pickup point id")),
    responses((status = 200, body = [Device]), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_devices<S: Store>(
    State(st): State<AppState<S>>,
    _auth: StaffAuth,
    Path(point): Path<String>,
) -> Result<Json<Vec<Device>>, ApiError> {
    Ok(Json(st.store.point_devices(point_id(&point)?).await?))
}

/// Revokes a device (operators): its sync connection is refused from its next
/// message on. Revoking again answers the first revocation.
#[utoipa::path(post, path = "/api/platform/devices/{device}/revoke", tag = "devices",
    params(("device" = String, Path, description = "device id")),
    responses((status = 200, body = Device), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    Path(device): Path<String>,
) -> Result<Json<Device>, ApiError> {
    auth.permit(Action::ManageDevices)?;
    let id: DeviceId = device
        .parse()
        .map_err(|_| ApiError::NotFound(format!("device {device} not found")))?;
    let device = st
        .store
        .revoke_device(id, auth.id.clone(), Millis::now())
        .await?;
    let entry = AuditRecord::new("device.revoke", "device", id.to_string(), "吊销设备")
        .states(None::<&()>, Some(&device));
    st.store.append_audit(auth.actor(), entry).await?;
    Ok(Json(device))
}

/// A new counter device enrolls with the code staff issued and the public half of
/// a key pair it made (no account). The answer carries its device id, its point and
/// the point's pickup-code key. A refused code or key answers 422 naming the field.
#[utoipa::path(post, path = "/api/device/enroll", tag = "devices",
    request_body = EnrollRequest,
    responses((status = 201, body = EnrolledDevice), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn enroll<S: Store>(
    State(st): State<AppState<S>>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> Result<(StatusCode, Json<EnrolledDevice>), ApiError> {
    st.limits.enrollment(addr)?;
    let public_key = key_bytes(&req.public_key)?;
    let enrolled = st
        .store
        .enroll_device(
            Enrollment {
                code: req.code,
                public_key,
                label: req.label,
            },
            Millis::now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(enrolled)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_as_hex_or_any_base64() {
        let key: Vec<u8> = (0u8..32).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&key);
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&key);
        for text in [
            hex::encode(&key),
            b64.clone(),
            b64.trim_end_matches('=').into(),
            url,
        ] {
            assert_eq!(key_bytes(&text).unwrap(), key, "{text}");
        }
        assert!(key_bytes("not a key!").is_err());
    }
}
