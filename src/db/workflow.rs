//! The writes of the CAB workflow's edits: an RFC's text, a release's name,
//! version, RFCs and environments, and lifting a declared freeze.

use super::scope::changed_one;
use super::ts;
use super::{query, Conn};
use crate::domain::records::{Release, Rfc};
use chrono::{DateTime, Utc};

/// Saves an RFC's title, risk, impact and description (an RFC of `guild`).
pub async fn save_rfc_text(conn: &mut Conn, guild: &str, r: &Rfc) -> anyhow::Result<()> {
    let done = query(
        "UPDATE rfcs SET title = $1, risk = $2, impact = $3, description = $4 WHERE id = $5 AND guild = $6",
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
pub async fn save_release_identity(conn: &mut Conn, guild: &str, r: &Release) -> anyhow::Result<()> {
    let done = query(
        "UPDATE releases SET name = $1, version = $2, emergency = $3, environments = $4 WHERE id = $5 AND guild = $6",
    )
    .bind(&r.name)
    .bind(&r.version)
    .bind(i64::from(r.emergency))
    .bind(serde_json::to_string(&r.environments)?)
    .bind(r.row)
    .bind(guild)
    .execute(conn)
    .await?;
    changed_one(done.rows_affected(), "release", r.row, guild)
}

/// Takes an RFC out of a release of `guild`; false if it was not in it.
pub async fn unlink_rfc(
    conn: &mut Conn,
    guild: &str,
    release_row: i64,
    rfc_row: i64,
) -> anyhow::Result<bool> {
    let done = query("DELETE FROM release_rfcs WHERE release_id = $1 AND rfc_id = $2 AND release_id IN (SELECT id FROM releases WHERE guild = $3)")
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
    conn: &mut Conn,
    guild: &str,
    name: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = query("DELETE FROM freezes WHERE guild = $1 AND name = $2 COLLATE NOCASE AND to_at > $3")
        .bind(guild)
        .bind(name.trim())
        .bind(ts(now))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
