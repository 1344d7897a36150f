//! `release-desk backup`: a consistent copy of a database, live or not.

use anyhow::Context;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::ConnectOptions;
use std::path::Path;

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
