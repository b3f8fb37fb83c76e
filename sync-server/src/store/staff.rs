//! Platform staff accounts: who may sign in to the admin web, and as what role.
//! Passwords are kept only as argon2id hashes (PHC strings); hashing and checking
//! are slow on purpose, so callers run them off the async threads.

use std::future::Future;
use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use linli_core::catalog::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Actor, StoreError};
use crate::http::Role;

pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longer passwords only cost hashing time; 128 is far beyond any passphrase.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A staff account as an admin creates it.
#[derive(Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    /// 3–32 characters: letters, digits, `.`, `_`, `-`; unique regardless of case.
    pub username: String,
    /// The person's display name.
    pub name: String,
    pub role: Role,
    /// At least 8 characters.
    pub password: String,
}

// By hand, so a password never reaches a log through `{:?}`.
impl std::fmt::Debug for NewStaff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewStaff")
            .field("username", &self.username)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("password", &"<hidden>")
            .finish()
    }
}

impl NewStaff {
    /// Every problem at once, so a form can mark all fields.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();
        let u = self.username.trim();
        if u.chars().count() < 3 || u.chars().count() > 32 {
            errs.push(
                FieldError::new("username", "must be 3–32 characters").zh("须为 3–32 个字符"),
            );
        } else if !u
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            errs.push(
                FieldError::new("username", "only letters, digits, '.', '_' and '-'")
                    .zh("只能用字母、数字、'.'、'_' 和 '-'"),
            );
        }
        let n = self.name.trim().chars().count();
        if n == 0 || n > 20 {
            errs.push(FieldError::new("name", "must be 1–20 characters").zh("须为 1–20 个字"));
        }
        if let Err(e) = check_password(&self.password) {
            errs.push(e);
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }
}

/// A staff account as lists show it: never with its password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct StaffMember {
    pub id: String,
    pub username: String,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    /// UTC milliseconds.
    pub created_at: i64,
}

/// Why a sign-in failed. An unknown user and a wrong password are one case, so
/// the answer does not tell which usernames exist.
#[derive(Debug, thiserror::Error)]
pub enum StaffLoginError {
    #[error("wrong username or password")]
    BadCredentials,
    #[error("this account is disabled; ask an admin")]
    Disabled,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an admin changes of an account; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffChange {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub disabled: Option<bool>,
}

impl StaffChange {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        match &self.name {
            Some(n) if n.trim().is_empty() || n.trim().chars().count() > 20 => Err(vec![
                FieldError::new("name", "must be 1–20 characters").zh("须为 1–20 个字"),
            ]),
            _ => Ok(()),
        }
    }
}

/// Checks a new password's length (both languages).
pub fn check_password(password: &str) -> Result<(), FieldError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        Err(FieldError::new(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        )
        .zh(format!("至少 {MIN_PASSWORD_CHARS} 个字符")))
    } else if n > MAX_PASSWORD_CHARS {
        Err(FieldError::new(
            "password",
            format!("at most {MAX_PASSWORD_CHARS} characters"),
        )
        .zh(format!("最多 {MAX_PASSWORD_CHARS} 个字符")))
    } else {
        Ok(())
    }
}

pub trait StaffStore {
    /// Validates, hashes the password (off the async threads) and stores the
    /// account; answers its id. A taken username is a field error. Audited.
    fn create_staff(
        &self,
        s: NewStaff,
        by: Actor,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;
    /// Checks a password; answers the account's id and role.
    fn staff_login(
        &self,
        username: String,
        password: String,
    ) -> impl Future<Output = Result<(String, Role), StaffLoginError>> + Send;
    /// One account as it is now: every staff request checks it, so disabling an
    /// account or changing its role takes effect at once, not when tokens expire.
    fn staff_member(
        &self,
        id: String,
    ) -> impl Future<Output = Result<StaffMember, StoreError>> + Send;
    /// Every account, oldest first.
    fn list_staff(&self) -> impl Future<Output = Result<Vec<StaffMember>, StoreError>> + Send;
    /// Renames, changes the role of, disables or enables an account, unless
    /// `staff_policy::check_account_change` refuses; answers it as it now is. Audited.
    fn change_staff(
        &self,
        id: String,
        change: StaffChange,
        by: Actor,
    ) -> impl Future<Output = Result<StaffMember, StoreError>> + Send;
    /// Sets a new password (an admin's reset). Audited, without the password.
    fn reset_staff_password(
        &self,
        id: String,
        password: String,
        by: Actor,
    ) -> impl Future<Output = Result<StaffMember, StoreError>> + Send;
}

/// An argon2id PHC string for `password` (argon2's recommended defaults).
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches `phc`. A stored hash that does not parse never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash no password is known for: checked when the username is unknown, so
/// that case takes as long as a wrong password and timing does not reveal it.
pub static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    let secret = salt.as_str().to_string();
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Runs a hash or a check on tokio's blocking pool.
pub async fn off_thread<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Internal(format!("password task failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(username: &str, name: &str, password: &str) -> NewStaff {
        NewStaff {
            username: username.into(),
            name: name.into(),
            role: Role::Operator,
            password: password.into(),
        }
    }

    fn fields(s: &NewStaff) -> Vec<String> {
        s.validate()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_good_account_is_valid() {
        assert_eq!(staff("wang.li", "王丽", "correct horse").validate(), Ok(()));
    }

    #[test]
    fn every_bad_field_is_named() {
        assert_eq!(
            fields(&staff("ab", "", "short")),
            ["username", "name", "password"]
        );
        assert_eq!(fields(&staff("王丽", "王丽", "12345678")), ["username"]);
        assert_eq!(
            fields(&staff("wangli", "王丽", &"x".repeat(129))),
            ["password"]
        );
    }

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let s = staff("wangli", "王丽", "hunter22-secret");
        assert!(!format!("{s:?}").contains("hunter22"));
    }

    #[test]
    fn a_hash_is_argon2id_and_checks_only_its_own_password() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct hors", &h));
        assert!(!verify_password("correct horse", "not a phc string"));
        assert!(!verify_password("", &DECOY_HASH));
        // Two hashes of one password differ (fresh salt each time).
        assert_ne!(h, hash_password("correct horse").unwrap());
    }
}
