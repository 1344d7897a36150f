//! The ledger of reactions on polls that are not votes (migration 0027).

use super::ts;
use super::{query, Conn};
use crate::domain::reactions::Reaction;
use chrono::{DateTime, Utc};

/// Appends one reaction to the ledger of poll `poll` of `guild`.
pub async fn record(
    conn: &mut Conn,
    guild: &str,
    poll: i64,
    r: &Reaction,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let done = query(
        "INSERT INTO poll_reactions (guild, poll_id, \"user\", user_name, emoji, action, at)
         SELECT guild, id, $1, $2, $3, $4, $5 FROM polls WHERE id = $6 AND guild = $7",
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
pub async fn for_poll(conn: &mut Conn, guild: &str, poll: i64) -> anyhow::Result<Vec<Reaction>> {
    let rows = query(
        "SELECT \"user\", user_name, emoji, action FROM poll_reactions
         WHERE guild = $1 AND poll_id = $2 ORDER BY id",
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
