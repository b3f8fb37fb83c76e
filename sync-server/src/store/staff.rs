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

use super::StoreError;
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
            errs.push(FieldError::new("username", "must be 3–32 characters"));
        } else if !u
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            errs.push(FieldError::new(
                "username",
                "only letters, digits, '.', '_' and '-'",
            ));
        }
        let n = self.name.trim().chars().count();
        if n == 0 || n > 20 {
            errs.push(FieldError::new("name", "must be 1–20 characters"));
        }
        let p = self.password.chars().count();
        if p < MIN_PASSWORD_CHARS {
            errs.push(FieldError::new(
                "password",
                format!("must be at least {MIN_PASSWORD_CHARS} characters"),
            ));
        } else if p > MAX_PASSWORD_CHARS {
            errs.push(FieldError::new(
                "password",
                format!("at most {MAX_PASSWORD_CHARS} characters"),
            ));
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

pub trait StaffStore {
    /// Validates, hashes the password (off the async threads) and stores the
    /// account; answers its id. A taken username is a field error.
    fn create_staff(&self, s: NewStaff) -> impl Future<Output = Result<String, StoreError>> + Send;
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
    /// Disables (or enables again) an account; answers it as it now is.
    fn set_staff_disabled(
        &self,
        id: String,
        disabled: bool,
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
