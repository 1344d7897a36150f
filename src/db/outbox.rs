//! The outbox: messages written with the change that caused them, delivered later.

use super::{parse_ts, ts};
use super::{query, query_scalar, Backend, Conn};
use crate::chat::{Outgoing, Posted};
use chrono::{DateTime, Utc};

/// What an outbox entry does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Post a new message to a channel.
    Post {
        /// The channel.
        channel: String,
        /// The message.
        body: Outgoing,
    },
    /// Send a direct message.
    Dm {
        /// The user.
        user: String,
        /// The message.
        body: Outgoing,
    },
    /// Edit a message the bot posted.
    Edit {
        /// Where it lives (None until posted).
        at: Option<Posted>,
        /// The new content.
        body: Outgoing,
    },
    /// Add the bot's reaction.
    React {
        /// Where the message lives (None until posted).
        at: Option<Posted>,
        /// The emoji.
        emoji: String,
    },
}

/// One entry to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Entry id (delivery order).
    pub id: i64,
    /// The bot message it concerns.
    pub message_id: i64,
    /// What to do.
    pub action: Action,
    /// Attempts so far.
    pub attempts: i64,
}

async fn new_message(
    conn: &mut Conn,
    guild: &str,
    channel: Option<&str>,
    dm_user: Option<&str>,
    purpose: &str,
) -> anyhow::Result<i64> {
    Ok(query_scalar(
        "INSERT INTO bot_messages (guild, channel, dm_user, purpose) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(guild)
    .bind(channel)
    .bind(dm_user)
    .bind(purpose)
    .fetch_one(conn)
    .await?)
}

async fn enqueue(
    conn: &mut Conn,
    guild: &str,
    kind: &str,
    message_id: i64,
    body: Option<&Outgoing>,
    emoji: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let body = body.map(serde_json::to_string).transpose()?;
    query("INSERT INTO outbox (guild, kind, message_id, body, emoji, created_at, not_before) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(guild)
        .bind(kind)
        .bind(message_id)
        .bind(body)
        .bind(emoji)
        .bind(ts(now))
        .bind(ts(now))
        .execute(&mut *conn)
        .await?;
    conn.queued();
    Ok(())
}

/// Queues a post; returns the bot message id later edits and reactions refer to.
pub async fn post(
    conn: &mut Conn,
    guild: &str,
    channel: &str,
    purpose: &str,
    body: &Outgoing,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let id = new_message(conn, guild, Some(channel), None, purpose).await?;
    enqueue(conn, guild, "post", id, Some(body), None, now).await?;
    Ok(id)
}

/// Queues a direct message.
pub async fn dm(
    conn: &mut Conn,
    guild: &str,
    user: &str,
    purpose: &str,
    body: &Outgoing,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let id = new_message(conn, guild, None, Some(user), purpose).await?;
    enqueue(conn, guild, "dm", id, Some(body), None, now).await?;
    Ok(id)
}

/// Queues an edit. Earlier edits of the same message still waiting are
/// superseded: only the latest content matters, so a burst costs one edit.
pub async fn edit(
    conn: &mut Conn,
    guild: &str,
    message_id: i64,
    body: &Outgoing,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    query(
        "UPDATE outbox SET superseded = 1 WHERE message_id = $1 AND kind = 'edit' AND delivered_at IS NULL",
    )
    .bind(message_id)
    .execute(&mut *conn)
    .await?;
    enqueue(conn, guild, "edit", message_id, Some(body), None, now).await
}

/// Replaces the content of a post or DM still waiting in the outbox.
pub async fn set_body(conn: &mut Conn, message_id: i64, body: &Outgoing) -> anyhow::Result<()> {
    query(
        "UPDATE outbox SET body = $1 WHERE message_id = $2 AND kind IN ('post', 'dm') AND delivered_at IS NULL",
    )
    .bind(serde_json::to_string(body)?)
    .bind(message_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Queues one of the bot's own reactions.
pub async fn react(
    conn: &mut Conn,
    guild: &str,
    message_id: i64,
    emoji: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    enqueue(conn, guild, "react", message_id, None, Some(emoji), now).await
}

/// Entries of workspace `guild` due for delivery, in order; a post or DM
/// waits while an earlier one to the same place waits for its retry. Only
/// the process serving that workspace delivers them: another platform's
/// message ids mean nothing to it.
pub async fn pending(
    conn: &mut Conn,
    guild: &str,
    now: DateTime<Utc>,
    limit: i64,
) -> anyhow::Result<Vec<Entry>> {
    let rows = query(
        "SELECT o.id, o.kind, o.message_id, o.body, o.emoji, o.attempts, m.channel, m.dm_user, m.platform_id
         FROM outbox o JOIN bot_messages m ON m.id = o.message_id
         WHERE o.guild = $3 AND o.delivered_at IS NULL AND o.superseded = 0 AND o.not_before <= $1
           AND NOT (o.kind IN ('post', 'dm') AND EXISTS (
               SELECT 1 FROM outbox p JOIN bot_messages pm ON pm.id = p.message_id
               WHERE p.id < o.id AND p.guild = o.guild AND p.kind = o.kind AND p.delivered_at IS NULL AND p.superseded = 0
                 AND p.attempts > 0 AND p.retryable = 1 AND p.not_before > $1
                 AND pm.channel IS NOT DISTINCT FROM m.channel AND pm.dm_user IS NOT DISTINCT FROM m.dm_user))
         ORDER BY o.id LIMIT $2",
    )
    .bind(ts(now))
    .bind(limit)
    .bind(guild)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let body = || -> anyhow::Result<Outgoing> {
                let b: Option<String> = r.try_get("body")?;
                Ok(serde_json::from_str(
                    &b.ok_or_else(|| anyhow::anyhow!("outbox entry without body"))?,
                )?)
            };
            let channel: Option<String> = r.try_get("channel")?;
            let at = match (&channel, r.try_get::<Option<String>, _>("platform_id")?) {
                (Some(c), Some(id)) => Some(Posted {
                    channel: c.clone(),
                    id,
                }),
                _ => None,
            };
            let action = match kind.as_str() {
                "post" => Action::Post {
                    channel: channel.unwrap_or_default(),
                    body: body()?,
                },
                "dm" => Action::Dm {
                    user: r.try_get::<Option<String>, _>("dm_user")?.unwrap_or_default(),
                    body: body()?,
                },
                "edit" => Action::Edit { at, body: body()? },
                "react" => Action::React {
                    at,
                    emoji: r.try_get::<Option<String>, _>("emoji")?.unwrap_or_default(),
                },
                other => anyhow::bail!("unknown outbox kind {other:?}"),
            };
            Ok(Entry {
                id: r.try_get("id")?,
                message_id: r.try_get("message_id")?,
                action,
                attempts: r.try_get("attempts")?,
            })
        })
        .collect()
}

/// Marks entries delivered at `now` — each an entry id, its bot message,
/// and for a post or DM where the message now lives — in one write
/// transaction of one round trip on SQLite: the bookkeeping of a delivery pass.
pub async fn delivered(
    db: &super::Db,
    done: &[(i64, i64, Option<Posted>)],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    if done.is_empty() {
        return Ok(());
    }
    if db.backend() == Backend::Postgres {
        // One statement per prepared text there.
        let mut tx = db.begin().await?;
        for (id, message_id, posted) in done {
            if let Some(p) = posted {
                query(
                    "UPDATE bot_messages SET platform_id = $1, channel = COALESCE(channel, $2) WHERE id = $3",
                )
                .bind(&p.id)
                .bind(&p.channel)
                .bind(*message_id)
                .execute(&mut *tx)
                .await?;
            }
            query("UPDATE outbox SET delivered_at = $1, attempts = attempts + 1 WHERE id = $2")
                .bind(ts(now))
                .bind(*id)
                .execute(&mut *tx)
                .await?;
        }
        return tx.commit().await;
    }
    let mut sql = String::new();
    let mut args = db.args();
    // `$N` numbers across the statements of one text.
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    for (id, message_id, posted) in done {
        if let Some(p) = posted {
            sql.push_str(&format!(
                "UPDATE bot_messages SET platform_id = ${}, channel = COALESCE(channel, ${}) WHERE id = ${};\n",
                next(),
                next(),
                next()
            ));
            args.add(p.id.clone())?;
            args.add(p.channel.clone())?;
            args.add(*message_id)?;
        }
        sql.push_str(&format!(
            "UPDATE outbox SET delivered_at = ${}, attempts = attempts + 1 WHERE id = ${};\n",
            next(),
            next()
        ));
        args.add(ts(now))?;
        args.add(*id)?;
    }
    db.write_batch(&sql, args).await
}

/// Records a failed attempt; the entry waits until `retry_at`, holding
/// back later posts to the same place if the failure may pass.
pub async fn failed(
    conn: &mut Conn,
    id: i64,
    error: &str,
    retry_at: DateTime<Utc>,
    retryable: bool,
) -> anyhow::Result<()> {
    query(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $1, not_before = $2, retryable = $3 WHERE id = $4",
    )
    .bind(error)
    .bind(ts(retry_at))
    .bind(i64::from(retryable))
    .bind(id)
    .execute(conn)
        .await?;
    Ok(())
}

/// When the last edit of a message was delivered.
pub async fn last_edit(conn: &mut Conn, message_id: i64) -> anyhow::Result<Option<DateTime<Utc>>> {
    let t: Option<String> =
        query_scalar("SELECT MAX(delivered_at) FROM outbox WHERE message_id = $1 AND kind = 'edit'")
            .bind(message_id)
            .fetch_one(conn)
            .await?;
    t.as_deref().map(parse_ts).transpose()
}

/// Holds an entry back until `at` (without counting an attempt).
pub async fn postpone(conn: &mut Conn, id: i64, at: DateTime<Utc>) -> anyhow::Result<()> {
    query("UPDATE outbox SET not_before = $1 WHERE id = $2")
        .bind(ts(at))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The earliest time an undelivered entry of workspace `guild` may be tried.
pub async fn next_attempt(conn: &mut Conn, guild: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
    let t: Option<String> = query_scalar(
        "SELECT MIN(not_before) FROM outbox WHERE guild = $1 AND delivered_at IS NULL AND superseded = 0",
    )
    .bind(guild)
    .fetch_one(conn)
    .await?;
    t.as_deref().map(parse_ts).transpose()
}

/// The bot message of workspace `guild` posted at `at` (channel and the
/// platform's message id: a Slack ts is unique only within its channel),
/// with its purpose (console message 5 is not Discord message 5).
pub async fn by_platform_id(
    conn: &mut Conn,
    guild: &str,
    at: &Posted,
) -> anyhow::Result<Option<(i64, String)>> {
    let row =
        query("SELECT id, purpose FROM bot_messages WHERE guild = $1 AND channel = $2 AND platform_id = $3")
            .bind(guild)
            .bind(&at.channel)
            .bind(&at.id)
            .fetch_optional(conn)
            .await?;
    row.map(|r| Ok((r.try_get("id")?, r.try_get("purpose")?)))
        .transpose()
}

/// Where a bot message lives, once posted.
pub async fn location(conn: &mut Conn, message_id: i64) -> anyhow::Result<Option<Posted>> {
    let row = query("SELECT channel, platform_id FROM bot_messages WHERE id = $1")
        .bind(message_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.and_then(|r| {
        match (
            r.try_get::<Option<String>, _>("channel").ok()?,
            r.try_get::<Option<String>, _>("platform_id").ok()?,
        ) {
            (Some(channel), Some(id)) => Some(Posted { channel, id }),
            _ => None,
        }
    }))
}
