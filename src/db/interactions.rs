//! Discord interaction ids already taken: the idempotency key of a command.

use super::{bind, Db, Tx};
use chrono::{DateTime, Duration, Utc};
use sqlx::sqlite::SqliteArguments;
use sqlx::Row;

/// The key was claimed before: the command it names has been carried out.
#[derive(Debug, thiserror::Error)]
#[error("interaction {0} was handled already")]
pub struct Duplicate(pub String);

/// Forgetting old ids happens on every this-many-th claim, not on each:
/// the table stays small and most commands save a statement.
const PRUNE_EVERY: i64 = 256;

/// Starts a write transaction that claims `id` in the same round trip to
/// the connection as its `BEGIN`, so the claim commits or rolls back with
/// the command; [`Duplicate`] when it was claimed before. Ids older than a
/// day are forgotten (Discord's interaction tokens last 15 minutes).
pub async fn begin_claiming(db: &Db, id: &str, now: DateTime<Utc>) -> anyhow::Result<Tx> {
    let mut args = SqliteArguments::default();
    bind(&mut args, id.to_string())?;
    bind(&mut args, super::ts(now))?;
    let (mut tx, inserted) = db
        .begin_with(
            "INSERT OR IGNORE INTO discord_interactions (id, seen_at) VALUES (?1, ?2) RETURNING rowid",
            args,
        )
        .await?;
    let Some(row) = inserted else {
        // Dropping the transaction rolls it back.
        return Err(Duplicate(id.to_string()).into());
    };
    if row.try_get::<i64, _>(0)? % PRUNE_EVERY == 0 {
        sqlx::query("DELETE FROM discord_interactions WHERE seen_at < ?1")
            .bind(super::ts(now - Duration::days(1)))
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx)
}
