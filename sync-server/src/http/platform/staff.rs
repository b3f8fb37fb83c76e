//! Signing in and staff accounts.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use linli_core::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiQuery;
use super::{created, Created};
use crate::http::auth::TOKEN_TTL_MS;
use crate::http::limits::ClientAddr;
use crate::http::{Action, ApiError, ApiJson, AppState, ErrorBody, Principal, Role, StaffAuth};
use crate::store::{
    AuditFilter, AuditPage, NewStaff, PageRequest, StaffChange, StaffLoginError, StaffMember,
    Store, MAX_PASSWORD_CHARS,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginAnswer {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub role: Role,
    /// RFC 3339, UTC; sign in again after it.
    pub expires_at: String,
    pub staff_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisabledRequest {
    pub disabled: bool,
}

const BAD_CREDENTIALS: &str = "wrong username or password";

/// Signs a member of staff in. A wrong password and an unknown username get the
/// same answer.
#[utoipa::path(post, path = "/api/platform/login", tag = "platform staff",
    request_body = LoginRequest,
    responses((status = 200, body = LoginAnswer),
        (status = 401, body = ErrorBody, description = "wrong username or password"),
        (status = 403, body = ErrorBody, description = "the account is disabled"),
        (status = 422, body = ErrorBody)))]
pub async fn login<S: Store>(
    State(st): State<AppState<S>>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginAnswer>, ApiError> {
    st.limits.sign_in(addr, &req.username)?;
    // No account has a longer password; refusing early keeps hashing cheap.
    if req.password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(ApiError::Unauthenticated(BAD_CREDENTIALS.into()));
    }
    let (id, role) = st
        .store
        .staff_login(req.username, req.password)
        .await
        .map_err(|e| match e {
            StaffLoginError::BadCredentials => ApiError::Unauthenticated(BAD_CREDENTIALS.into()),
            StaffLoginError::Disabled => ApiError::Forbidden(e.to_string()),
            StaffLoginError::Store(e) => e.into(),
        })?;
    tracing::info!(staff = %id, role = role.as_str(), "staff signed in");
    let now = Millis::now();
    let token = st.tokens.issue(
        &Principal::Staff {
            id: id.clone(),
            role,
        },
        now,
    );
    let expires_at = DateTime::<Utc>::from_timestamp_millis(now.0 + TOKEN_TTL_MS)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .ok_or_else(|| ApiError::Internal("token expiry out of range".into()))?;
    Ok(Json(LoginAnswer {
        token,
        role,
        expires_at,
        staff_id: id,
    }))
}

/// Creates a staff account (admins only).
#[utoipa::path(post, path = "/api/platform/staff", tag = "platform staff",
    request_body = NewStaff,
    responses((status = 201, body = Created), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_staff<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    ApiJson(req): ApiJson<NewStaff>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    auth.permit(Action::ManageStaff)?;
    let username = req.username.clone();
    let id = st.store.create_staff(req, auth.actor()).await?;
    tracing::info!(staff = %id, %username, by = %auth.id, "staff account created");
    Ok(created(id))
}

/// Every staff account, oldest first (admins only). Password hashes are never answered.
#[utoipa::path(get, path = "/api/platform/staff", tag = "platform staff",
    responses((status = 200, body = Vec<StaffMember>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_staff<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
) -> Result<Json<Vec<StaffMember>>, ApiError> {
    auth.permit(Action::ManageStaff)?;
    Ok(Json(st.store.list_staff().await?))
}

/// Disables an account (it can no longer sign in; its tokens stop working at
/// once) or enables it again (admins only). Nobody disables their own account,
/// and the last enabled admin stays.
#[utoipa::path(put, path = "/api/platform/staff/{id}/disabled", tag = "platform staff",
    params(("id" = String, Path, description = "staff id")),
    request_body = DisabledRequest,
    responses((status = 200, body = StaffMember), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_disabled<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DisabledRequest>,
) -> Result<Json<StaffMember>, ApiError> {
    auth.permit(Action::ManageStaff)?;
    let change = StaffChange {
        disabled: Some(req.disabled),
        ..Default::default()
    };
    let m = st.store.change_staff(id, change, auth.actor()).await?;
    tracing::info!(staff = %m.id, disabled = m.disabled, by = %auth.id, "staff account changed");
    Ok(Json(m))
}

/// Renames an account, changes its role, or disables/enables it (admins only).
/// A role change applies to the account's next request.
#[utoipa::path(patch, path = "/api/platform/staff/{id}", tag = "platform staff",
    params(("id" = String, Path, description = "staff id")),
    request_body = StaffChange,
    responses((status = 200, body = StaffMember), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn change_staff<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StaffChange>,
) -> Result<Json<StaffMember>, ApiError> {
    auth.permit(Action::ManageStaff)?;
    let m = st.store.change_staff(id, req, auth.actor()).await?;
    tracing::info!(staff = %m.id, role = m.role.as_str(), by = %auth.id, "staff account changed");
    Ok(Json(m))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// The new password, at least 8 characters; tell it to the person yourself.
    pub password: String,
}

/// Sets a new password for an account (admins only).
#[utoipa::path(post, path = "/api/platform/staff/{id}/password", tag = "platform staff",
    params(("id" = String, Path, description = "staff id")),
    request_body = PasswordReset,
    responses((status = 200, body = StaffMember), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reset_password<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PasswordReset>,
) -> Result<Json<StaffMember>, ApiError> {
    auth.permit(Action::ManageStaff)?;
    let m = st
        .store
        .reset_staff_password(id, req.password, auth.actor())
        .await?;
    tracing::info!(staff = %m.id, by = %auth.id, "staff password reset");
    Ok(Json(m))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Staff id of who acted.
    pub actor: Option<String>,
    /// An action (`order.refund`), or every action on a kind of record (`order.`).
    pub action: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    /// UTC ms, inclusive.
    pub from: Option<i64>,
    /// UTC ms, exclusive.
    pub to: Option<i64>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// The audit log, newest first (admins only): every staff action that changed
/// data, with the record before and after and the fields that differ.
#[utoipa::path(get, path = "/api/platform/audit", tag = "platform staff",
    params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn audit_log<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    auth.permit(Action::ViewAudit)?;
    let filter = AuditFilter {
        actor: q.actor,
        action: q.action,
        target_kind: q.target_kind,
        target_id: q.target_id,
        from: q.from.map(Millis),
        to: q.to.map(Millis),
    };
    Ok(Json(
        st.store
            .audit_log(filter, PageRequest::new(q.limit, q.offset))
            .await?,
    ))
}

/// The signed-in member of staff and what their role may do: the admin web shows
/// only the buttons whose action is listed here (the server checks each anyway).
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffProfile {
    pub id: String,
    pub username: String,
    pub name: String,
    pub role: Role,
    /// Every action this role may take (`staff_policy::permissions`).
    pub permissions: Vec<Action>,
}

/// Who is signed in, with their role's permissions.
#[utoipa::path(get, path = "/api/platform/me", tag = "platform staff", operation_id = "staff_me",
    responses((status = 200, body = StaffProfile), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn me<S: Store>(
    State(st): State<AppState<S>>,
    auth: StaffAuth,
) -> Result<Json<StaffProfile>, ApiError> {
    let m = st.store.staff_member(auth.id).await?;
    Ok(Json(StaffProfile {
        permissions: linli_core::staff_policy::permissions(m.role),
        id: m.id,
        username: m.username,
        name: m.name,
        role: m.role,
    }))
}
