//! Deployments and environment locks.

use super::{parse_ts, parse_ts_opt, ts};
use crate::domain::deployment::Step;
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
        outcome: r.try_get("outcome")?,
        notes: r.try_get("notes")?,
        bypass: r.try_get("bypass")?,
        message_id: r.try_get("message_id")?,
    })
}

/// Stores a new deployment plan; returns its row id.
pub async fn insert(conn: &mut SqliteConnection, d: &Deployment) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO deployments (release_id, env, attempt, risks, steps, planned_by, planned_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         RETURNING id",
    )
    .bind(d.release_row)
    .bind(&d.env)
    .bind(d.attempt)
    .bind(&d.risks)
    .bind(serde_json::to_string(&d.steps)?)
    .bind(&d.planned_by)
    .bind(ts(d.planned_at))
    .fetch_one(conn)
    .await?)
}

/// Saves a deployment's mutable fields.
pub async fn save(conn: &mut SqliteConnection, d: &Deployment) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE deployments SET risks = ?, steps = ?, started_by = ?, started_at = ?, finished_at = ?, outcome = ?, notes = ?,
            bypass = ?, message_id = ? WHERE id = ?",
    )
    .bind(&d.risks)
    .bind(serde_json::to_string(&d.steps)?)
    .bind(&d.started_by)
    .bind(d.started_at.map(ts))
    .bind(d.finished_at.map(ts))
    .bind(&d.outcome)
    .bind(&d.notes)
    .bind(&d.bypass)
    .bind(d.message_id)
    .bind(d.row)
    .execute(conn)
    .await?;
    Ok(())
}

/// The latest attempt for a release in an environment.
pub async fn latest(
    conn: &mut SqliteConnection,
    release_row: i64,
    env: &str,
) -> anyhow::Result<Option<Deployment>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM deployments WHERE release_id = ? AND env = ? COLLATE NOCASE ORDER BY attempt DESC LIMIT 1"
    ))
    .bind(release_row)
    .bind(env)
    .fetch_optional(conn)
    .await?;
    row.map(decode).transpose()
}

/// Every deployment of a release, in order.
pub async fn for_release(conn: &mut SqliteConnection, release_row: i64) -> anyhow::Result<Vec<Deployment>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM deployments WHERE release_id = ? ORDER BY id"
    ))
    .bind(release_row)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(decode).collect()
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
    sqlx::query("INSERT INTO env_locks (guild, env, deployment_id, taken_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
        .bind(guild)
        .bind(env)
        .bind(deployment)
        .bind(ts(now))
        .execute(conn)
        .await?;
    Ok(None)
}

/// Releases the lock a deployment holds.
pub async fn unlock(conn: &mut SqliteConnection, deployment: i64) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM env_locks WHERE deployment_id = ?")
        .bind(deployment)
        .execute(conn)
        .await?;
    Ok(())
}

/// A deployment by row id.
pub async fn by_row(conn: &mut SqliteConnection, row: i64) -> anyhow::Result<Deployment> {
    decode(
        sqlx::query(&format!("SELECT {COLUMNS} FROM deployments WHERE id = ?"))
            .bind(row)
            .fetch_one(conn)
            .await?,
    )
}
