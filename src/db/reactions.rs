//! The ledger of reactions on polls that are not votes (migration 0027).

use super::ts;
use crate::domain::reactions::Reaction;
use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

/// Appends one reaction to the ledger of poll `poll` of `guild`.
pub async fn record(
    conn: &mut SqliteConnection,
    guild: &str,
    poll: i64,
    r: &Reaction,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let done = sqlx::query(
        "INSERT INTO poll_reactions (guild, poll_id, user, user_name, emoji, action, at)
         SELECT guild, id, ?, ?, ?, ?, ? FROM polls WHERE id = ? AND guild = ?",
    )
    .bind(&r.user)
    .bind(&r.name)
    .bind(&r.emoji)
    .bind(if r.added { "add" } else { "remove" })
    .bind(ts(at))
    .bind(poll)
    .bind(guild)
    .execute(conn)
    .await?;
    super::scope::changed_one(done.rows_affected(), "poll", poll, guild)
}

/// The ledger of poll `poll` of `guild`, oldest first.
pub async fn for_poll(conn: &mut SqliteConnection, guild: &str, poll: i64) -> anyhow::Result<Vec<Reaction>> {
    let rows = sqlx::query(
        "SELECT user, user_name, emoji, action FROM poll_reactions
         WHERE guild = ? AND poll_id = ? ORDER BY id",
    )
    .bind(guild)
    .bind(poll)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Reaction {
                user: r.try_get("user")?,
                name: r.try_get("user_name")?,
                emoji: r.try_get("emoji")?,
                added: r.try_get::<String, _>("action")? == "add",
            })
        })
        .collect()
}
