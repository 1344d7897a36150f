//! The writes of the CAB workflow's edits: an RFC's text, a release's name,
//! version, RFCs and environments, and lifting a declared freeze.

use super::scope::{changed_one, RELEASE_OF_GUILD};
use super::ts;
use crate::domain::records::{Release, Rfc};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// Saves an RFC's title, risk, impact and description (an RFC of `guild`).
pub async fn save_rfc_text(conn: &mut SqliteConnection, guild: &str, r: &Rfc) -> anyhow::Result<()> {
    let done = sqlx::query(
        "UPDATE rfcs SET title = ?, risk = ?, impact = ?, description = ? WHERE id = ? AND guild = ?",
    )
    .bind(&r.title)
    .bind(r.risk.as_str())
    .bind(&r.impact)
    .bind(&r.description)
    .bind(r.row)
    .bind(guild)
    .execute(conn)
    .await?;
    changed_one(done.rows_affected(), "rfc", r.row, guild)
}

/// Saves a release's name, version, emergency flag and environments (the
/// rest is [`super::releases::save`]).
pub async fn save_release_identity(
    conn: &mut SqliteConnection,
    guild: &str,
    r: &Release,
) -> anyhow::Result<()> {
    let done = sqlx::query(
        "UPDATE releases SET name = ?, version = ?, emergency = ?, environments = ? WHERE id = ? AND guild = ?",
    )
    .bind(&r.name)
    .bind(&r.version)
    .bind(r.emergency)
    .bind(serde_json::to_string(&r.environments)?)
    .bind(r.row)
    .bind(guild)
    .execute(conn)
    .await?;
    changed_one(done.rows_affected(), "release", r.row, guild)
}

/// Takes an RFC out of a release of `guild`; false if it was not in it.
pub async fn unlink_rfc(
    conn: &mut SqliteConnection,
    guild: &str,
    release_row: i64,
    rfc_row: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(&format!(
        "DELETE FROM release_rfcs WHERE release_id = ? AND rfc_id = ? AND {RELEASE_OF_GUILD}"
    ))
    .bind(release_row)
    .bind(rfc_row)
    .bind(guild)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Lifts the guild's declared freeze of that name that has not ended by
/// `now`; false if there is none.
pub async fn remove_freeze(
    conn: &mut SqliteConnection,
    guild: &str,
    name: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = sqlx::query("DELETE FROM freezes WHERE guild = ? AND name = ? COLLATE NOCASE AND to_at > ?")
        .bind(guild)
        .bind(name.trim())
        .bind(ts(now))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
