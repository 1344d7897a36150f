//! Deployments and environment locks.

use super::{changed_one, parse_ts, parse_ts_opt, ts, RELEASE_OF_GUILD};
use crate::domain::deployment::{Bypass, DeployOutcome, Step};
use crate::domain::records::Deployment;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

const COLUMNS: &str =
    "id, release_id, env, attempt, risks, steps, planned_by, planned_at, started_by, started_at,
    finished_at, outcome, notes, bypass, message_id";

fn decode(r: SqliteRow) -> anyhow::Result<Deployment> {
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
pub async fn insert(conn: &mut SqliteConnection, guild: &str, d: &Deployment) -> anyhow::Result<i64> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO deployments (release_id, env, attempt, risks, steps, planned_by, planned_at)
         SELECT id, ?, ?, ?, ?, ?, ? FROM releases WHERE id = ? AND guild = ? RETURNING id",
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
pub async fn save(conn: &mut SqliteConnection, guild: &str, d: &Deployment) -> anyhow::Result<()> {
    let done = sqlx::query(&format!(
        "UPDATE deployments SET risks = ?, steps = ?, started_by = ?, started_at = ?, finished_at = ?, outcome = ?, notes = ?,
            bypass = ?, message_id = ? WHERE id = ? AND {RELEASE_OF_GUILD}"
    ))
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
    conn: &mut SqliteConnection,
    guild: &str,
    release_row: i64,
    env: &str,
) -> anyhow::Result<Option<Deployment>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM deployments WHERE release_id = ? AND env = ? COLLATE NOCASE AND {RELEASE_OF_GUILD}
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
pub async fn for_release(
    conn: &mut SqliteConnection,
    guild: &str,
    release_row: i64,
) -> anyhow::Result<Vec<Deployment>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM deployments WHERE release_id = ? AND {RELEASE_OF_GUILD} ORDER BY id"
    ))
    .bind(release_row)
    .bind(guild)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(decode).collect()
}

/// The deployment holding the environment's lock, if any (reading only).
pub async fn lock_holder(conn: &mut SqliteConnection, guild: &str, env: &str) -> anyhow::Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT deployment_id FROM env_locks WHERE guild = ? AND env = ?")
            .bind(guild)
            .bind(env)
            .fetch_optional(conn)
            .await?,
    )
}

/// Takes the environment's lock; returns the deployment holding it if another does.
pub async fn lock(
    conn: &mut SqliteConnection,
    guild: &str,
    env: &str,
    deployment: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<i64>> {
    let holder: Option<i64> =
        sqlx::query_scalar("SELECT deployment_id FROM env_locks WHERE guild = ? AND env = ?")
            .bind(guild)
            .bind(env)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(h) = holder.filter(|h| *h != deployment) {
        return Ok(Some(h));
    }
    // A deployment of another workspace never takes this one's lock.
    let done = sqlx::query(&format!(
        "INSERT INTO env_locks (guild, env, deployment_id, taken_at)
         SELECT ?, ?, id, ? FROM deployments WHERE id = ? AND {RELEASE_OF_GUILD} ON CONFLICT DO NOTHING"
    ))
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
pub async fn unlock(conn: &mut SqliteConnection, guild: &str, deployment: i64) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM env_locks WHERE deployment_id = ? AND guild = ?")
        .bind(deployment)
        .bind(guild)
        .execute(conn)
        .await?;
    Ok(())
}

/// A deployment of `guild` by row id.
pub async fn by_row(conn: &mut SqliteConnection, guild: &str, row: i64) -> anyhow::Result<Deployment> {
    decode(
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM deployments WHERE id = ? AND {RELEASE_OF_GUILD}"
        ))
        .bind(row)
        .bind(guild)
        .fetch_one(conn)
        .await?,
    )
}
