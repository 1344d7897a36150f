//! Discord interaction ids already taken: the idempotency key of a command,
//! and the answer owed to it until Discord took it.
//!
//! A public answer is recorded by the command's own commit ([`record`]);
//! once the platform took it, its token is forgotten by a later commit
//! ([`taken`], carried by [`super::Tx::commit`]), or by [`forget_taken`]
//! when no commit comes first.

use super::query::Args;
use super::{dialect, query, Db, Tx};
use chrono::{DateTime, Duration, Utc};
use std::collections::VecDeque;
use std::sync::Mutex;

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

/// Records `message`, the public answer of the command that claimed `id`
/// in `tx`, with the token to send it by after a crash, by the commit of
/// `tx` (in the same round trip as its `COMMIT` on SQLite): the answer is
/// kept exactly when the command's changes are.
pub fn record(
    tx: &mut Tx,
    id: &str,
    token: &str,
    guild: &str,
    channel: &str,
    message: &crate::chat::Outgoing,
) {
    let json = serde_json::json!({ "public": true, "message": message }).to_string();
    tx.answer = Some(Recorded {
        values: [token, guild, channel, &json, id].map(str::to_string),
    });
}

/// An answer a commit records: the values of [`dialect::answers_written`], in order.
#[derive(Debug)]
pub(super) struct Recorded {
    values: [String; 5],
}

/// The most taken answers one commit forgets: enough for the answers taken
/// while one command ran, few enough to keep its text short.
pub(super) const CARRIED: usize = 8;

/// Answers the platform took whose tokens are not forgotten yet, oldest
/// first, each with its number in the order taken.
#[derive(Debug, Default)]
pub struct Taken {
    ids: VecDeque<(u64, String)>,
    next: u64,
    /// A [`forget_taken`] is on its way for the ids queued.
    armed: bool,
}

/// Notes that the platform took the answer to `id`: the next commit forgets
/// its token. True when nothing was waiting: the caller then runs
/// [`forget_taken`], for when no commit comes.
pub fn taken(db: &Db, id: String) -> bool {
    let mut q = db.taken.lock().unwrap_or_else(|e| e.into_inner());
    q.next += 1;
    let n = q.next;
    q.ids.push_back((n, id));
    !std::mem::replace(&mut q.armed, true)
}

/// Takes the ids a commit forgets.
pub(super) fn carry(q: &Mutex<Taken>) -> Vec<(u64, String)> {
    let mut q = q.lock().unwrap_or_else(|e| e.into_inner());
    let n = q.ids.len().min(CARRIED);
    q.ids.drain(..n).collect()
}

/// Gives back the ids of a commit that failed, still first in line.
pub(super) fn put_back(q: &Mutex<Taken>, ids: Vec<(u64, String)>) {
    let mut q = q.lock().unwrap_or_else(|e| e.into_inner());
    for id in ids.into_iter().rev() {
        q.ids.push_front(id);
    }
}

/// The statement(s) that record `answer` and forget `taken`, their values
/// added to `args`: for the text a commit sends before its `COMMIT`
/// (SQLite: `?` placeholders, each statement ended), or as one statement
/// (PostgreSQL); None: nothing to write.
pub(super) fn written(
    backend: super::Backend,
    answer: Option<Recorded>,
    taken: &[&str],
    args: &mut Args<'static>,
) -> anyhow::Result<Option<String>> {
    if answer.is_none() && taken.is_empty() {
        return Ok(None);
    }
    let sql = dialect::answers_written(backend, answer.is_some(), taken.len());
    for v in answer.into_iter().flat_map(|a| a.values) {
        args.add(v)?;
    }
    for id in taken {
        args.add(id.to_string())?;
    }
    Ok(Some(sql))
}

/// Forgets the taken answers when no commit did: waits for this process's
/// turn to write, behind every transaction already waiting (each of which
/// forgets some at its commit). If an id queued when it started waiting is
/// still there, no commit came for it, and it forgets every id queued; if
/// only later ones are left, it waits another turn for them. Returns how
/// many it forgot.
pub async fn forget_taken(db: &Db) -> anyhow::Result<usize> {
    let mut mark = db.taken.lock().unwrap_or_else(|e| e.into_inner()).next;
    loop {
        let mut turn = db.write_turn().await;
        let ids: Vec<String> = {
            let mut q = db.taken.lock().unwrap_or_else(|e| e.into_inner());
            let Some(&(first, _)) = q.ids.front() else {
                q.armed = false;
                return Ok(0);
            };
            if first > mark {
                mark = q.next;
                continue;
            }
            q.armed = false;
            q.ids.drain(..).map(|(_, id)| id).collect()
        };
        for chunk in ids.chunks(100) {
            let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
            let mut args = Args::new(db.backend());
            if let Some(sql) = written(db.backend(), None, &chunk, &mut args)? {
                db.write_in(&mut turn, &sql, args).await?;
            }
        }
        return Ok(ids.len());
    }
}

/// Discord took the answer of `id` (or it went another way): the token is
/// forgotten.
pub async fn answered(db: &Db, id: &str) -> anyhow::Result<()> {
    let mut args = db.args();
    if let Some(sql) = written(db.backend(), None, &[id], &mut args)? {
        db.write_one(&sql, args).await?;
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
