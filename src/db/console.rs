//! The console's own chat platform: its messages, reactions and users.

use super::{query, query_scalar, Conn, Tx};
use chrono::{DateTime, Utc};

/// The insert a commit's text ends with on SQLite ([`post_by_commit`]):
/// `?` for the channel, then the text.
pub(super) const POSTED_BY_COMMIT: &str = "INSERT INTO console_messages (channel, body) VALUES (?, ?);\n";

/// Posts `body` in `channel` by the commit of `tx` (in the same round trip
/// as its `COMMIT` on SQLite), so a command's answer costs no commit of its
/// own; [`Tx::commit_posting`] gives its id.
pub fn post_by_commit(tx: &mut Tx, channel: &str, body: &str) {
    tx.console_post = Some((channel.to_string(), body.to_string()));
}

/// Posts a message unless one with this nonce exists; returns (id, newly posted).
pub async fn post(
    conn: &mut Conn,
    channel: &str,
    body: &str,
    nonce: Option<&str>,
) -> anyhow::Result<(i64, bool)> {
    // One statement for a new message; the lookup only after a conflict
    // (a delivery repeated after a crash).
    let inserted = query_scalar(
        "INSERT INTO console_messages (channel, nonce, body) VALUES ($1, $2, $3) ON CONFLICT (nonce) DO NOTHING RETURNING id",
    )
    .bind(channel)
    .bind(nonce)
    .bind(body)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = inserted {
        return Ok((id, true));
    }
    let id = query_scalar("SELECT id FROM console_messages WHERE nonce = $1")
        .bind(nonce)
        .fetch_one(conn)
        .await?;
    Ok((id, false))
}

/// Replaces a message's text.
pub async fn edit(conn: &mut Conn, id: i64, body: &str) -> anyhow::Result<bool> {
    let done = query("UPDATE console_messages SET body = $1 WHERE id = $2")
        .bind(body)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The channel of a message.
pub async fn channel_of(conn: &mut Conn, id: i64) -> anyhow::Result<Option<String>> {
    Ok(query_scalar("SELECT channel FROM console_messages WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// The latest message in a channel.
pub async fn last_in(conn: &mut Conn, channel: &str) -> anyhow::Result<Option<i64>> {
    Ok(
        query_scalar("SELECT MAX(id) FROM console_messages WHERE channel = $1")
            .bind(channel)
            .fetch_one(conn)
            .await?,
    )
}

/// Adds a reaction; false if it was there.
pub async fn add_reaction(conn: &mut Conn, id: i64, user: &str, emoji: &str) -> anyhow::Result<bool> {
    let done = query(
        "INSERT INTO console_reactions (message_id, \"user\", emoji) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(user)
    .bind(emoji)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes a reaction; false if it was not there.
pub async fn remove_reaction(conn: &mut Conn, id: i64, user: &str, emoji: &str) -> anyhow::Result<bool> {
    let done = query("DELETE FROM console_reactions WHERE message_id = $1 AND \"user\" = $2 AND emoji = $3")
        .bind(id)
        .bind(user)
        .bind(emoji)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Who has `emoji` on a message, with their roles as last set by `:as`.
pub async fn reactors(conn: &mut Conn, id: i64, emoji: &str) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    // In the order they reacted: the reactions' own key (migration 0029).
    let rows = query(
        "SELECT r.\"user\", COALESCE(u.roles, '') AS roles FROM console_reactions r
         LEFT JOIN console_users u ON u.\"user\" = r.\"user\"
         WHERE r.message_id = $1 AND r.emoji = $2 ORDER BY r.id",
    )
    .bind(id)
    .bind(emoji)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let roles: String = r.try_get("roles")?;
            Ok((
                r.try_get("user")?,
                roles
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            ))
        })
        .collect()
}

/// Remembers the roles a console user acts with.
pub async fn set_user(conn: &mut Conn, user: &str, roles: &[String]) -> anyhow::Result<()> {
    query("INSERT INTO console_users (\"user\", roles) VALUES ($1, $2) ON CONFLICT (\"user\") DO UPDATE SET roles = excluded.roles")
        .bind(user)
        .bind(roles.join(","))
        .execute(conn)
        .await?;
    Ok(())
}

/// The latest time `guild` recorded anything (an audit entry, a message
/// queued, a job run): a console started without `--start` never sets its
/// clock before it.
pub async fn last_seen(conn: &mut Conn, guild: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
    // Every time is stored by `ts` (UTC, fixed width), so text order is time order.
    // PostgreSQL (before 16) requires the subquery's alias; SQLite accepts it.
    let latest: Option<String> = query_scalar(
        "SELECT MAX(t) FROM (
             SELECT MAX(at) AS t FROM audit WHERE guild = $1
             UNION ALL SELECT MAX(created_at) FROM outbox WHERE guild = $1
             UNION ALL SELECT MAX(done_at) FROM jobs WHERE guild = $1) AS latest",
    )
    .bind(guild)
    .fetch_one(conn)
    .await?;
    super::parse_ts_opt(latest)
}

/// The record ids of `guild` for completion (`REL-3`, `RFC-7`, `INC-2`), newest first.
pub async fn record_ids(conn: &mut Conn, guild: &str) -> anyhow::Result<Vec<String>> {
    Ok(query_scalar(
        "SELECT id FROM (
             SELECT 'REL-' || number AS id, created_at AS t FROM releases WHERE guild = $1
             UNION ALL SELECT 'RFC-' || number, created_at FROM rfcs WHERE guild = $1
             UNION ALL SELECT 'INC-' || number, opened_at FROM incidents WHERE guild = $1) AS ids
         ORDER BY t DESC LIMIT 500",
    )
    .bind(guild)
    .fetch_all(conn)
    .await?)
}
