//! Staff accounts in the embedded SQLite store. Password work runs on tokio's
//! blocking pool, never on the writer thread (it would stall every order).

use linli_core::catalog::FieldError;
use linli_core::time::Millis;
use rusqlite::{params, Connection, OptionalExtension};

use linli_core::staff_policy::{check_account_change, Account};

use super::audit::{append_audit, Actor, AuditRecord};
use super::staff::{
    check_password, hash_password, off_thread, verify_password, NewStaff, StaffChange,
    StaffLoginError, StaffMember, StaffStore, DECOY_HASH,
};
use super::writer::optional;
use super::{SqliteStore, StoreError};
use crate::http::Role;

const MEMBER_COLUMNS: &str = "id, username, name, role, disabled, created_at";

fn stored_role(id: &str, role: &str) -> Result<Role, StoreError> {
    Role::parse(role)
        .ok_or_else(|| StoreError::Internal(format!("staff {id} has an unknown role '{role}'")))
}

fn member(r: &rusqlite::Row<'_>) -> Result<StaffMember, StoreError> {
    let id: String = r.get(0)?;
    let role = stored_role(&id, &r.get::<_, String>(3)?)?;
    Ok(StaffMember {
        username: r.get(1)?,
        name: r.get(2)?,
        role,
        disabled: r.get(4)?,
        created_at: r.get(5)?,
        id,
    })
}

fn members(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<StaffMember>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(member(r)?);
    }
    Ok(out)
}

fn load_member(conn: &Connection, id: &str) -> Result<StaffMember, StoreError> {
    let sql = format!("SELECT {MEMBER_COLUMNS} FROM staff WHERE id = ?1");
    members(conn, &sql, [id])?
        .pop()
        .ok_or_else(|| StoreError::NotFound(format!("staff member {id}")))
}

impl StaffStore for SqliteStore {
    async fn create_staff(&self, s: NewStaff, by: Actor) -> Result<String, StoreError> {
        s.validate().map_err(StoreError::Invalid)?;
        let password = s.password.clone();
        let hash = off_thread(move || hash_password(&password)).await??;
        self.writer
            .run(move |conn, _| {
                let username = s.username.trim();
                let taken: Option<i64> =
                    optional(conn, "SELECT 1 FROM staff WHERE username = ?1", [username])?;
                if taken.is_some() {
                    return Err(StoreError::Invalid(vec![FieldError::new(
                        "username",
                        "is already taken",
                    )
                    .zh("已被使用")]));
                }
                let id = uuid::Uuid::now_v7().to_string();
                let now = Millis::now();
                conn.execute(
                    "INSERT INTO staff (id, username, name, role, password_hash, disabled, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
                    params![id, username, s.name.trim(), s.role.as_str(), hash, now.0],
                )?;
                let created = load_member(conn, &id)?;
                let summary = format!(
                    "新建员工账号 {}（{}，{}）",
                    created.username,
                    created.name,
                    created.role.label_zh()
                );
                append_audit(
                    conn,
                    &by,
                    now,
                    &AuditRecord::new("staff.create", "staff", &id, summary)
                        .states(None::<&StaffMember>, Some(&created)),
                )?;
                Ok(id)
            })
            .await
    }

    async fn staff_login(
        &self,
        username: String,
        password: String,
    ) -> Result<(String, Role), StaffLoginError> {
        let found: Option<(String, String, String, bool)> = self
            .writer
            .run(move |conn, _| {
                Ok(conn
                    .prepare_cached(
                        "SELECT id, role, password_hash, disabled FROM staff WHERE username = ?1",
                    )?
                    .query_row([username.trim()], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })
                    .optional()?)
            })
            .await?;
        let Some((id, role, hash, disabled)) = found else {
            // Spend the same time as a wrong password, then say the same thing.
            off_thread(move || verify_password(&password, &DECOY_HASH)).await?;
            return Err(StaffLoginError::BadCredentials);
        };
        if !off_thread(move || verify_password(&password, &hash)).await? {
            return Err(StaffLoginError::BadCredentials);
        }
        // Only someone who knows the password learns that the account is disabled.
        if disabled {
            return Err(StaffLoginError::Disabled);
        }
        let role = stored_role(&id, &role)?;
        Ok((id, role))
    }

    async fn staff_member(&self, id: String) -> Result<StaffMember, StoreError> {
        self.writer.run(move |conn, _| load_member(conn, &id)).await
    }

    async fn list_staff(&self) -> Result<Vec<StaffMember>, StoreError> {
        self.writer
            .run(|conn, _| {
                let sql = format!("SELECT {MEMBER_COLUMNS} FROM staff ORDER BY created_at, id");
                members(conn, &sql, [])
            })
            .await
    }

    async fn change_staff(
        &self,
        id: String,
        change: StaffChange,
        by: Actor,
    ) -> Result<StaffMember, StoreError> {
        change.validate().map_err(StoreError::Invalid)?;
        self.writer
            .run_refusable(move |conn, _| {
                let before = load_member(conn, &id)?;
                let after = StaffMember {
                    name: change
                        .name
                        .as_deref()
                        .map_or(before.name.clone(), |n| n.trim().to_string()),
                    role: change.role.unwrap_or(before.role),
                    disabled: change.disabled.unwrap_or(before.disabled),
                    ..before.clone()
                };
                let working_admins: u32 = conn.query_row(
                    "SELECT count(*) FROM staff WHERE role = 'admin' AND disabled = 0",
                    [],
                    |r| r.get(0),
                )?;
                let account = |m: &StaffMember| Account {
                    role: m.role,
                    disabled: m.disabled,
                };
                if let Err(refusal) = check_account_change(
                    by.id == id,
                    account(&before),
                    account(&after),
                    working_admins,
                ) {
                    return Ok(Err(refusal));
                }
                if after == before {
                    return Ok(Ok(before));
                }
                conn.execute(
                    "UPDATE staff SET name = ?2, role = ?3, disabled = ?4 WHERE id = ?1",
                    params![id, after.name, after.role.as_str(), after.disabled],
                )?;
                let verb = match (before.disabled, after.disabled) {
                    (false, true) => "停用",
                    (true, false) => "启用",
                    _ => "修改",
                };
                let summary = format!("{verb}员工账号 {}", after.username);
                append_audit(
                    conn,
                    &by,
                    Millis::now(),
                    &AuditRecord::new("staff.update", "staff", &id, summary)
                        .states(Some(&before), Some(&after)),
                )?;
                Ok(Ok(after))
            })
            .await?
            .map_err(StoreError::from)
    }

    async fn reset_staff_password(
        &self,
        id: String,
        password: String,
        by: Actor,
    ) -> Result<StaffMember, StoreError> {
        check_password(&password).map_err(|e| StoreError::Invalid(vec![e]))?;
        let hash = off_thread(move || hash_password(&password)).await??;
        self.writer
            .run(move |conn, _| {
                let n = conn.execute(
                    "UPDATE staff SET password_hash = ?2 WHERE id = ?1",
                    params![id, hash],
                )?;
                if n == 0 {
                    return Err(StoreError::NotFound(format!("staff member {id}")));
                }
                let m = load_member(conn, &id)?;
                append_audit(
                    conn,
                    &by,
                    Millis::now(),
                    &AuditRecord::new(
                        "staff.reset_password",
                        "staff",
                        &id,
                        format!("重置员工 {} 的密码", m.username),
                    ),
                )?;
                Ok(m)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disable(disabled: bool) -> StaffChange {
        StaffChange {
            disabled: Some(disabled),
            ..Default::default()
        }
    }

    fn new_staff(username: &str, password: &str) -> NewStaff {
        NewStaff {
            username: username.into(),
            name: "王丽".into(),
            role: Role::Operator,
            password: password.into(),
        }
    }

    #[tokio::test]
    async fn an_account_signs_in_and_its_hash_is_never_plain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite3");
        let store = SqliteStore::open(&path).unwrap();
        let id = store
            .create_staff(new_staff("wangli", "correct horse"), Actor::command_line())
            .await
            .unwrap();
        assert_eq!(
            store
                .staff_login("WangLi".into(), "correct horse".into())
                .await
                .unwrap(),
            (id.clone(), Role::Operator),
            "usernames match regardless of case"
        );
        assert!(matches!(
            store
                .staff_login("wangli".into(), "wrong horse".into())
                .await,
            Err(StaffLoginError::BadCredentials)
        ));
        assert!(matches!(
            store
                .staff_login("nobody".into(), "correct horse".into())
                .await,
            Err(StaffLoginError::BadCredentials)
        ));
        let stored: String = rusqlite::Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT password_hash FROM staff WHERE id = ?1",
                [&id],
                |r| r.get(0),
            )
            .unwrap();
        assert!(stored.starts_with("$argon2id$") && !stored.contains("correct horse"));
    }

    #[tokio::test]
    async fn a_taken_username_is_a_field_error_and_disabling_stops_sign_in() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("s.sqlite3")).unwrap();
        let id = store
            .create_staff(new_staff("wangli", "correct horse"), Actor::command_line())
            .await
            .unwrap();
        match store
            .create_staff(new_staff("WANGLI", "another one"), Actor::command_line())
            .await
        {
            Err(StoreError::Invalid(errs)) => assert_eq!(errs[0].field, "username"),
            other => panic!("{other:?}"),
        }
        let m = store
            .change_staff(id.clone(), disable(true), Actor::command_line())
            .await
            .unwrap();
        assert!(m.disabled);
        assert!(matches!(
            store
                .staff_login("wangli".into(), "correct horse".into())
                .await,
            Err(StaffLoginError::Disabled)
        ));
        store
            .change_staff(id, disable(false), Actor::command_line())
            .await
            .unwrap();
        assert_eq!(store.list_staff().await.unwrap().len(), 1);
        assert!(store
            .staff_login("wangli".into(), "correct horse".into())
            .await
            .is_ok());
    }
}
