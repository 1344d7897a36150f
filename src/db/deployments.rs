//! Deployments and environment locks.

use super::{changed_one, parse_ts, parse_ts_opt, ts};
use super::{query, query_scalar, Conn, Row};
use crate::domain::deployment::{Bypass, DeployOutcome, Step};
use crate::domain::records::Deployment;
use chrono::{DateTime, Utc};

const COLUMNS: &str =
    "id, release_id, env, attempt, risks, steps, planned_by, planned_at, started_by, started_at,
    finished_at, outcome, notes, bypass, message_id";

fn decode(r: Row) -> anyhow::Result<Deployment> {
    let steps: String = r.try_get("steps")?;
    Ok(Deployment {
        row: r.try_get("id")?,
        release_row: r.try_get("release_id")?,
        env: r.try_get("env")?,
        attempt: r.try_get("attempt")?,
        risks: r.try_get("risks")?,
        steps: serde_json::from_str::<Vec<Step>>(&steps)?,
        planned_by: r.try_get("planned_by")?,
        planned_at: parse_ts(r.try_get("planned_at")?)?,
        started_by: r.try_get("started_by")?,
        started_at: parse_ts_opt(r.try_get("started_at")?)?,
        finished_at: parse_ts_opt(r.try_get("finished_at")?)?,
        outcome: match r.try_get::<Option<String>, _>("outcome")? {
            None => None,
            Some(k) => Some(
                DeployOutcome::from_key(&k)
                    .ok_or_else(|| anyhow::anyhow!("stored deployment outcome {k:?}"))?,
            ),
        },
        notes: r.try_get("notes")?,
        bypass: r
            .try_get::<Option<String>, _>("bypass")?
            .as_deref()
            .map(Bypass::decode),
        message_id: r.try_get("message_id")?,
    })
}

/// Stores a new deployment plan of a release of `guild`; returns its row id.
pub async fn insert(conn: &mut Conn, guild: &str, d: &Deployment) -> anyhow::Result<i64> {
    let id: Option<i64> = query_scalar(
        "INSERT INTO deployments (release_id, env, attempt, risks, steps, planned_by, planned_at)
         SELECT id, $1, $2, $3, $4, $5, $6 FROM releases WHERE id = $7 AND guild = $8 RETURNING id",
    )
    .bind(&d.env)
    .bind(d.attempt)
    .bind(&d.risks)
    .bind(serde_json::to_string(&d.steps)?)
    .bind(&d.planned_by)
    .bind(ts(d.planned_at))
    .bind(d.release_row)
    .bind(guild)
    .fetch_optional(conn)
    .await?;
    changed_one(id.is_some() as u64, "release", d.release_row, guild)?;
    Ok(id.unwrap_or_default())
}

/// Saves the mutable fields of a deployment of `guild`.
pub async fn save(conn: &mut Conn, guild: &str, d: &Deployment) -> anyhow::Result<()> {
    let done = query("UPDATE deployments SET risks = $1, steps = $2, started_by = $3, started_at = $4, finished_at = $5, outcome = $6, notes = $7,
            bypass = $8, message_id = $9 WHERE id = $10 AND release_id IN (SELECT id FROM releases WHERE guild = $11)")
    .bind(&d.risks)
    .bind(serde_json::to_string(&d.steps)?)
    .bind(&d.started_by)
    .bind(d.started_at.map(ts))
    .bind(d.finished_at.map(ts))
    .bind(d.outcome.map(DeployOutcome::key))
    .bind(&d.notes)
    .bind(d.bypass.as_ref().map(Bypass::encode))
    .bind(d.message_id)
    .bind(d.row)
    .bind(guild)
    .execute(conn)
    .await?;
    changed_one(done.rows_affected(), "deployment", d.row, guild)
}

/// The latest attempt for a release in an environment.
pub async fn latest(
    conn: &mut Conn,
    guild: &str,
    release_row: i64,
    env: &str,
) -> anyhow::Result<Option<Deployment>> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM deployments WHERE release_id = $1 AND env = $2 COLLATE NOCASE AND release_id IN (SELECT id FROM releases WHERE guild = $3)
         ORDER BY attempt DESC LIMIT 1"
    ))
    .bind(release_row)
    .bind(env)
    .bind(guild)
    .fetch_optional(conn)
    .await?;
    row.map(decode).transpose()
}

/// Every deployment of a release of `guild`, in order.
pub async fn for_release(conn: &mut Conn, guild: &str, release_row: i64) -> anyhow::Result<Vec<Deployment>> {
    let rows = query(&format!(
        "SELECT {COLUMNS} FROM deployments WHERE release_id = $1 AND release_id IN (SELECT id FROM releases WHERE guild = $2) ORDER BY id"
    ))
    .bind(release_row)
    .bind(guild)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(decode).collect()
}

/// The deployment holding the environment's lock, if any (reading only).
pub async fn lock_holder(conn: &mut Conn, guild: &str, env: &str) -> anyhow::Result<Option<i64>> {
    Ok(
        query_scalar("SELECT deployment_id FROM env_locks WHERE guild = $1 AND env = $2")
            .bind(guild)
            .bind(env)
            .fetch_optional(conn)
            .await?,
    )
}

/// Takes the environment's lock; returns the deployment holding it if another does.
pub async fn lock(
    conn: &mut Conn,
    guild: &str,
    env: &str,
    deployment: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<i64>> {
    let holder: Option<i64> =
        query_scalar("SELECT deployment_id FROM env_locks WHERE guild = $1 AND env = $2")
            .bind(guild)
            .bind(env)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(h) = holder.filter(|h| *h != deployment) {
        return Ok(Some(h));
    }
    // A deployment of another workspace never takes this one's lock.
    let done = query("INSERT INTO env_locks (guild, env, deployment_id, taken_at)
         SELECT $1, $2, id, $3 FROM deployments WHERE id = $4 AND release_id IN (SELECT id FROM releases WHERE guild = $5) ON CONFLICT DO NOTHING")
    .bind(guild)
    .bind(env)
    .bind(ts(now))
    .bind(deployment)
    .bind(guild)
    .execute(conn)
    .await?;
    if holder.is_none() {
        changed_one(done.rows_affected(), "deployment", deployment, guild)?;
    }
    Ok(None)
}

/// Releases the lock a deployment of `guild` holds.
pub async fn unlock(conn: &mut Conn, guild: &str, deployment: i64) -> anyhow::Result<()> {
    query("DELETE FROM env_locks WHERE deployment_id = $1 AND guild = $2")
        .bind(deployment)
        .bind(guild)
        .execute(conn)
        .await?;
    Ok(())
}

/// A deployment of `guild` by row id.
pub async fn by_row(conn: &mut Conn, guild: &str, row: i64) -> anyhow::Result<Deployment> {
    decode(
        query(&format!(
            "SELECT {COLUMNS} FROM deployments WHERE id = $1 AND release_id IN (SELECT id FROM releases WHERE guild = $2)"
        ))
        .bind(row)
        .bind(guild)
        .fetch_one(conn)
        .await?,
    )
}
