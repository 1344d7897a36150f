//! `release-desk backup`: a consistent copy of a database, live or not.

use anyhow::Context;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::ConnectOptions;
use std::path::{Path, PathBuf};

/// Copies database `db` into the new file `to` with SQLite's `VACUUM
/// INTO`: one read transaction, so the copy is consistent even while a bot
/// writes, and the source is opened read-only (no migration, no change).
/// Refuses a target that exists.
pub async fn backup(db: &Path, to: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(db.exists(), "--db {}: no such database", db.display());
    anyhow::ensure!(
        !to.exists(),
        "--to {}: the file exists; backup never overwrites, give a new file name",
        to.display()
    );
    let target = to
        .to_str()
        .with_context(|| format!("--to {}: not a UTF-8 path", to.display()))?;
    let mut conn = SqliteConnectOptions::new()
        .filename(db)
        .read_only(true)
        .create_if_missing(false)
        .busy_timeout(std::time::Duration::from_secs(10))
        .connect()
        .await
        .with_context(|| format!("opening {}", db.display()))?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut conn)
        .await
        .with_context(|| format!("copying {} to {}", db.display(), to.display()))?;
    Ok(())
}

/// The file `backup` copies when given none: the configured database's. A
/// PostgreSQL server is no file: its answer points to pg_dump (and shows
/// the URL without its password).
pub fn configured_file(url: &str) -> anyhow::Result<PathBuf> {
    anyhow::ensure!(
        !super::is_postgres(url),
        "database.url names a PostgreSQL server ({}): backup copies an SQLite file; \
         back up PostgreSQL with pg_dump (for instance `pg_dump --format=custom --file=COPY.dump DBNAME`)",
        super::redacted(url)
    );
    super::lock::db_file(url).with_context(|| {
        format!(
            "database.url {:?} is not a database file: give --db",
            super::redacted(url)
        )
    })
}
