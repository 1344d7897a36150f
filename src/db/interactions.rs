//! Discord interaction ids already taken: the idempotency key of a command,
//! and the answer owed to it until Discord took it.

use super::{dialect, query, Db, Tx};
use chrono::{DateTime, Duration, Utc};

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
    let mut args = db.args();
    args.add(id.to_string())?;
    args.add(super::ts(now))?;
    let (mut tx, inserted) = db
        .begin_with(dialect::claim_interaction(db.backend()), args)
        .await?;
    let Some(row) = inserted else {
        // Dropping the transaction rolls it back.
        return Err(Duplicate(id.to_string()).into());
    };
    if row.try_get::<i64, _>(0)? % PRUNE_EVERY == 0 {
        query("DELETE FROM interactions WHERE seen_at < $1")
            .bind(super::ts(now - Duration::days(1)))
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx)
}

/// An answer recorded with its claim that Discord was not seen to take.
#[derive(Debug, Clone)]
pub struct Unanswered {
    /// The interaction id.
    pub id: String,
    /// Its token: what a follow-up is sent with.
    pub token: String,
    /// The guild and channel it came from (for the channel fallback).
    pub guild: String,
    /// The channel.
    pub channel: String,
    /// Shown in the channel (a record changed) or only to the person.
    pub public: bool,
    /// The answer.
    pub message: crate::chat::Outgoing,
}

/// Records the answer of the command that claimed `id`, with the token to
/// send it by after a crash. Nothing when `id` claimed nothing (a refusal,
/// an error or a read: nothing changed, so nothing is owed after a restart).
pub async fn record_answer(db: &Db, answer: &Unanswered) -> anyhow::Result<bool> {
    let json = serde_json::json!({ "public": answer.public, "message": answer.message }).to_string();
    let mut args = db.args();
    args.add(answer.id.clone())?;
    args.add(answer.token.clone())?;
    args.add(answer.guild.clone())?;
    args.add(answer.channel.clone())?;
    args.add(json)?;
    let done = db
        .write_one(
            "UPDATE interactions SET token = $2, guild = $3, channel = $4, answer = $5 WHERE id = $1",
            args,
        )
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Discord took the answer of `id` (or it went another way): the token is
/// forgotten.
pub async fn answered(db: &Db, id: &str) -> anyhow::Result<()> {
    let mut args = db.args();
    args.add(id.to_string())?;
    db.write_one(
        "UPDATE interactions SET token = NULL, answer = NULL WHERE id = $1 AND token IS NOT NULL",
        args,
    )
    .await?;
    Ok(())
}

/// Discord took the answers of `ids` (see [`answered`]), recorded in one
/// write per hundred: the service gathers those that come in while one
/// waits its turn, so that under load they do not take a turn each.
pub async fn answered_all(db: &Db, ids: &[String]) -> anyhow::Result<()> {
    for chunk in ids.chunks(100) {
        let mut args = db.args();
        for id in chunk {
            args.add(id.clone())?;
        }
        let marks: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let marks = marks.join(", ");
        db.write_one(
            &format!("UPDATE interactions SET token = NULL, answer = NULL WHERE token IS NOT NULL AND id IN ({marks})"),
            args,
        )
        .await?;
    }
    Ok(())
}

/// The answers in `guild` claimed between `since` and `before` that were
/// not seen to reach Discord, oldest first.
pub async fn unanswered(
    db: &Db,
    guild: &str,
    since: DateTime<Utc>,
    before: DateTime<Utc>,
) -> anyhow::Result<Vec<Unanswered>> {
    let rows = query(dialect::unanswered(db.backend()))
        .bind(super::ts(since))
        .bind(super::ts(before))
        .bind(guild)
        .fetch_all(&db.pool)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let answer: serde_json::Value = serde_json::from_str(&r.try_get::<String, _>("answer")?)?;
        out.push(Unanswered {
            id: r.try_get("id")?,
            token: r.try_get("token")?,
            guild: r.try_get("guild")?,
            channel: r.try_get("channel")?,
            public: answer["public"].as_bool().unwrap_or(false),
            message: serde_json::from_value(answer["message"].clone())?,
        });
    }
    Ok(out)
}
