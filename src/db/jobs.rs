//! Due jobs: persisted, unique by key, each done once.

use super::{parse_ts, ts};
use super::{query, query_scalar, Conn, Row};
use chrono::{DateTime, Utc};

/// A stored job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Row id.
    pub id: i64,
    /// The guild it belongs to.
    pub guild: String,
    /// Its kind (see `scheduler::JobKind`).
    pub kind: String,
    /// Its unique key.
    pub key: String,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// Its data (JSON).
    pub payload: String,
    /// Failed runs so far.
    pub attempts: i64,
}

impl Job {
    /// A job from a row of `SELECT id, guild, kind, key, due_at, payload, attempts`.
    pub(super) fn from_row(r: &Row) -> anyhow::Result<Job> {
        Ok(Job {
            id: r.try_get("id")?,
            guild: r.try_get("guild")?,
            kind: r.try_get("kind")?,
            key: r.try_get("key")?,
            due_at: parse_ts(r.try_get("due_at")?)?,
            payload: r.try_get("payload")?,
            attempts: r.try_get("attempts")?,
        })
    }
}

/// Stores a job unless one with the same key exists; true when stored.
pub async fn schedule(
    conn: &mut Conn,
    guild: &str,
    kind: &str,
    key: &str,
    due: DateTime<Utc>,
    payload: &str,
) -> anyhow::Result<bool> {
    let done = query("INSERT INTO jobs (guild, kind, key, due_at, payload) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING")
        .bind(guild)
        .bind(kind)
        .bind(key)
        .bind(ts(due))
        .bind(payload)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() > 0 {
        conn.queued();
    }
    Ok(done.rows_affected() > 0)
}

/// The earliest job of workspace `guild` due at or before `now` that has
/// not run and is not waiting to be retried. Only the process serving that
/// workspace runs its jobs: they read and post on its platform.
pub async fn next_due(conn: &mut Conn, guild: &str, now: DateTime<Utc>) -> anyhow::Result<Option<Job>> {
    let row = query(
        "SELECT id, guild, kind, key, due_at, payload, attempts FROM jobs
         WHERE guild = $2 AND done_at IS NULL AND due_at <= $1 AND (not_before IS NULL OR not_before <= $1)
         ORDER BY due_at, id LIMIT 1",
    )
    .bind(ts(now))
    .bind(guild)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(Job::from_row).transpose()
}

/// When the next job of workspace `guild` not yet run falls due (or may be retried).
pub async fn next_time(conn: &mut Conn, guild: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
    let t: Option<String> = query_scalar(
        "SELECT MIN(CASE WHEN not_before > due_at THEN not_before ELSE due_at END) FROM jobs WHERE guild = $1 AND done_at IS NULL",
    )
    .bind(guild)
    .fetch_one(conn)
    .await?;
    t.as_deref().map(parse_ts).transpose()
}

/// Marks a job done, in the transaction of its effects; false if it already was.
pub async fn finish(conn: &mut Conn, id: i64, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let done = query("UPDATE jobs SET done_at = $1 WHERE id = $2 AND done_at IS NULL")
        .bind(ts(now))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Records a failed run; the job waits until `retry_at` while the jobs
/// due after it run.
pub async fn failed(conn: &mut Conn, id: i64, error: &str, retry_at: DateTime<Utc>) -> anyhow::Result<()> {
    query("UPDATE jobs SET attempts = attempts + 1, last_error = $1, not_before = $2 WHERE id = $3 AND done_at IS NULL")
        .bind(error)
        .bind(ts(retry_at))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every distinct kind stored (the registry test checks each has a handler).
pub async fn kinds(conn: &mut Conn) -> anyhow::Result<Vec<String>> {
    Ok(query_scalar("SELECT DISTINCT kind FROM jobs ORDER BY kind")
        .fetch_all(conn)
        .await?)
}
