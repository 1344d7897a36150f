//! Discord interaction ids already taken: the idempotency key of a command.

use chrono::{DateTime, Duration, Utc};
use sqlx::SqliteConnection;

/// The key was claimed before: the command it names has been carried out.
#[derive(Debug, thiserror::Error)]
#[error("interaction {0} was handled already")]
pub struct Duplicate(pub String);

/// Forgetting old ids happens on every this-many-th claim, not on each:
/// the table stays small and most commands save a statement.
const PRUNE_EVERY: i64 = 256;

/// Claims `id` in the caller's write transaction, so the claim commits or
/// rolls back with the command; [`Duplicate`] when it was claimed before.
/// Ids older than a day are forgotten (Discord's interaction tokens last 15 minutes).
pub async fn claim(conn: &mut SqliteConnection, id: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    let done = sqlx::query("INSERT OR IGNORE INTO discord_interactions (id, seen_at) VALUES (?1, ?2)")
        .bind(id)
        .bind(super::ts(now))
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Duplicate(id.to_string()).into());
    }
    if done.last_insert_rowid() % PRUNE_EVERY == 0 {
        sqlx::query("DELETE FROM discord_interactions WHERE seen_at < ?1")
            .bind(super::ts(now - Duration::days(1)))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
