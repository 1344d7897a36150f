//! Discord interaction ids already taken: the idempotency key of a command.

use chrono::{DateTime, Duration, Utc};
use sqlx::SqliteConnection;

/// Claims `id`: true the first time, false for a duplicate. Ids older than
/// a day are forgotten (Discord's interaction tokens last 15 minutes).
/// One write transaction, queued with the bot's other writes.
pub async fn claim(db: &super::Db, id: &str, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let mut tx = db.begin().await?;
    let claimed = claim_in(&mut tx, id, now).await?;
    tx.commit().await?;
    Ok(claimed)
}

async fn claim_in(conn: &mut SqliteConnection, id: &str, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let done = sqlx::query("INSERT OR IGNORE INTO discord_interactions (id, seen_at) VALUES (?1, ?2)")
        .bind(id)
        .bind(super::ts(now))
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM discord_interactions WHERE seen_at < ?1")
        .bind(super::ts(now - Duration::days(1)))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
