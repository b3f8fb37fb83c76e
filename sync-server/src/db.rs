//! The server's embedded SQLite database. Its schema lives in
//! `migrations/server/` and is applied by `rusqlite_migration`.

use std::path::Path;
use std::sync::LazyLock;

use include_dir::{include_dir, Dir};
use rusqlite::Connection;
use rusqlite_migration::Migrations;

static MIGRATIONS_DIR: Dir = include_dir!("$CARGO_MANIFEST_DIR/../migrations/server");

static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::from_directory(&MIGRATIONS_DIR).expect("migrations/server is well formed")
});

/// Opens (creating if needed) the database and brings its schema up to date.
pub fn open(path: &Path) -> anyhow::Result<Connection> {
    let mut conn = Connection::open(path)?;
    // WAL lets readers go on while a writer commits; NORMAL sync is durable in WAL mode
    // except for the last transactions on power loss, which the devices re-sync anyway.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    MIGRATIONS.to_latest(&mut conn)?;
    crate::store::recount_if_asked(&mut conn)?;
    Ok(conn)
}

/// The number of migrations applied to the database.
pub fn schema_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// A cheap query that proves the file is readable and the schema is in place.
pub fn check(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("SELECT count(*) FROM server_meta", [], |_| Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        MIGRATIONS.validate().unwrap();
    }

    #[test]
    fn open_applies_schema_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.sqlite3");
        let conn = open(&path).unwrap();
        check(&conn).unwrap();
        let version = schema_version(&conn).unwrap();
        assert!(version >= 1);
        drop(conn);
        let again = open(&path).unwrap();
        assert_eq!(schema_version(&again).unwrap(), version);
    }
}
