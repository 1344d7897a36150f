//! The gate's webhook deliveries, and its answer jobs taken and given back.

use super::{jobs::Job, ts};
use super::{query, Conn};
use chrono::{DateTime, Utc};

/// Takes a webhook delivery; false when it was taken before (a redelivery).
pub async fn take_delivery(
    conn: &mut Conn,
    guild: &str,
    source: &str,
    delivery: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = query(
        "INSERT INTO webhook_deliveries (guild, source, delivery, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(guild)
    .bind(source)
    .bind(delivery)
    .bind(ts(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The job of `guild` with this key, if it has not run.
pub async fn open_job(conn: &mut Conn, guild: &str, key: &str) -> anyhow::Result<Option<Job>> {
    let row = query(
        "SELECT id, guild, kind, key, due_at, payload, attempts FROM jobs WHERE key = $1 AND guild = $2 AND done_at IS NULL",
    )
    .bind(key)
    .bind(guild)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(Job::from_row).transpose()
}

/// Gives back a job taken to run whose effect did not happen (an answer
/// that did not go): it runs again. False when `guild` has no such job done.
pub async fn reopen(conn: &mut Conn, guild: &str, id: i64) -> anyhow::Result<bool> {
    let done = query("UPDATE jobs SET done_at = NULL WHERE id = $1 AND guild = $2 AND done_at IS NOT NULL")
        .bind(id)
        .bind(guild)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
