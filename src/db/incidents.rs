//! Incidents, known errors, configuration defects and survey answers.

use super::{changed_one, parse_ts, parse_ts_opt, ts, RELEASE_OF_GUILD};
use crate::domain::records::{Incident, KnownError};
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use std::str::FromStr;

const COLUMNS: &str =
    "i.id, i.number, i.release_id, r.number AS release_number, i.env, i.severity, i.defect, i.title,
    i.opened_by, i.opened_at, i.resolved_at, i.effort_hours, i.notes";

fn decode(r: SqliteRow) -> anyhow::Result<Incident> {
    Ok(Incident {
        row: r.try_get("id")?,
        number: r.try_get("number")?,
        release_row: r.try_get("release_id")?,
        release_number: r.try_get("release_number")?,
        env: r.try_get("env")?,
        severity: r.try_get::<i64, _>("severity")? as u8,
        defect: FromStr::from_str(&r.try_get::<String, _>("defect")?).map_err(anyhow::Error::msg)?,
        title: r.try_get("title")?,
        opened_by: r.try_get("opened_by")?,
        opened_at: parse_ts(r.try_get("opened_at")?)?,
        resolved_at: parse_ts_opt(r.try_get("resolved_at")?)?,
        effort_hours: r.try_get("effort_hours")?,
        notes: r.try_get("notes")?,
    })
}

/// Stores a new incident of a release of `guild`.
pub async fn insert(conn: &mut SqliteConnection, guild: &str, i: &Incident) -> anyhow::Result<i64> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO incidents (guild, number, release_id, env, severity, defect, title, opened_by, opened_at)
         SELECT guild, ?, id, ?, ?, ?, ?, ?, ? FROM releases WHERE id = ? AND guild = ? RETURNING id",
    )
    .bind(i.number)
    .bind(&i.env)
    .bind(i.severity as i64)
    .bind(i.defect.as_str())
    .bind(&i.title)
    .bind(&i.opened_by)
    .bind(ts(i.opened_at))
    .bind(i.release_row)
    .bind(guild)
    .fetch_optional(conn)
    .await?;
    changed_one(id.is_some() as u64, "release", i.release_row, guild)?;
    Ok(id.unwrap_or_default())
}

/// One incident by number.
pub async fn get(conn: &mut SqliteConnection, guild: &str, number: i64) -> anyhow::Result<Option<Incident>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM incidents i JOIN releases r ON r.id = i.release_id WHERE i.guild = ? AND i.number = ?"
    ))
    .bind(guild)
    .bind(number)
    .fetch_optional(conn)
    .await?;
    row.map(decode).transpose()
}

/// Resolves an incident.
pub async fn resolve(
    conn: &mut SqliteConnection,
    guild: &str,
    row: i64,
    by: &str,
    effort: f64,
    notes: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let done = sqlx::query(
        "UPDATE incidents SET resolved_by = ?, resolved_at = ?, effort_hours = ?, notes = ? WHERE id = ? AND guild = ?",
    )
    .bind(by)
    .bind(ts(now))
    .bind(effort)
    .bind(notes)
    .bind(row)
    .bind(guild)
    .execute(conn)
    .await?;
    changed_one(done.rows_affected(), "incident", row, guild)
}

/// Incidents, of one release or all, oldest first.
pub async fn list(
    conn: &mut SqliteConnection,
    guild: &str,
    release_row: Option<i64>,
) -> anyhow::Result<Vec<Incident>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM incidents i JOIN releases r ON r.id = i.release_id
         WHERE i.guild = ?1 AND (?2 IS NULL OR i.release_id = ?2) ORDER BY i.number"
    ))
    .bind(guild)
    .bind(release_row)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(decode).collect()
}

/// Stores a known error of a release of `guild`.
pub async fn add_known_error(conn: &mut SqliteConnection, guild: &str, k: &KnownError) -> anyhow::Result<()> {
    let done = sqlx::query(
        "INSERT INTO known_errors (guild, number, release_id, description, workaround, created_by, created_at)
         SELECT guild, ?, id, ?, ?, ?, ? FROM releases WHERE id = ? AND guild = ?",
    )
    .bind(k.number)
    .bind(&k.description)
    .bind(&k.workaround)
    .bind(&k.created_by)
    .bind(ts(k.created_at))
    .bind(k.release_row)
    .bind(guild)
    .execute(conn)
    .await?;
    changed_one(done.rows_affected(), "release", k.release_row, guild)
}

/// Known errors of a release of `guild`.
pub async fn known_errors(
    conn: &mut SqliteConnection,
    guild: &str,
    release_row: i64,
) -> anyhow::Result<Vec<KnownError>> {
    let rows = sqlx::query(
        "SELECT number, release_id, description, workaround, created_by, created_at FROM known_errors
         WHERE release_id = ? AND guild = ? ORDER BY number",
    )
    .bind(release_row)
    .bind(guild)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(KnownError {
                number: r.try_get("number")?,
                release_row: r.try_get("release_id")?,
                description: r.try_get("description")?,
                workaround: r.try_get("workaround")?,
                created_by: r.try_get("created_by")?,
                created_at: parse_ts(r.try_get("created_at")?)?,
            })
        })
        .collect()
}

/// One configuration-management defect found by an audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigDefect {
    /// The item.
    pub item: String,
    /// `missing`, `extra` or `other-version`.
    pub kind: &'static str,
    /// The baselined version.
    pub expected: Option<String>,
    /// The version found.
    pub found: Option<String>,
}

/// Stores the defects of one audit.
pub async fn add_config_defects(
    conn: &mut SqliteConnection,
    guild: &str,
    release_row: i64,
    env: &str,
    defects: &[ConfigDefect],
    by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for d in defects {
        let done = sqlx::query(
            "INSERT INTO config_defects (release_id, env, item, kind, expected, found, recorded_by, recorded_at)
             SELECT id, ?, ?, ?, ?, ?, ?, ? FROM releases WHERE id = ? AND guild = ?",
        )
        .bind(env)
        .bind(&d.item)
        .bind(d.kind)
        .bind(&d.expected)
        .bind(&d.found)
        .bind(by)
        .bind(ts(now))
        .bind(release_row)
        .bind(guild)
        .execute(&mut *conn)
        .await?;
        changed_one(done.rows_affected(), "release", release_row, guild)?;
    }
    Ok(())
}

/// Records (or replaces) one person's survey answer; returns the previous score.
pub async fn answer_survey(
    conn: &mut SqliteConnection,
    guild: &str,
    message_id: i64,
    release_row: i64,
    user: &str,
    score: u8,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<i64>> {
    let before: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT score FROM survey_answers WHERE message_id = ? AND user = ? AND {RELEASE_OF_GUILD}"
    ))
    .bind(message_id)
    .bind(user)
    .bind(guild)
    .fetch_optional(&mut *conn)
    .await?;
    // The WHERE also keeps SQLite from reading ON CONFLICT as part of the SELECT.
    let done = sqlx::query(
        "INSERT INTO survey_answers (message_id, release_id, user, score, answered_at)
         SELECT ?, id, ?, ?, ? FROM releases WHERE id = ? AND guild = ?
         ON CONFLICT (message_id, user) DO UPDATE SET score = excluded.score, answered_at = excluded.answered_at",
    )
    .bind(message_id)
    .bind(user)
    .bind(score as i64)
    .bind(ts(now))
    .bind(release_row)
    .bind(guild)
    .execute(conn)
    .await?;
    changed_one(done.rows_affected(), "release", release_row, guild)?;
    Ok(before)
}

/// Withdraws a survey answer if it is still `score`; true when it was.
pub async fn withdraw_answer(
    conn: &mut SqliteConnection,
    guild: &str,
    message_id: i64,
    user: &str,
    score: u8,
) -> anyhow::Result<bool> {
    let done = sqlx::query(&format!(
        "DELETE FROM survey_answers WHERE message_id = ? AND user = ? AND score = ? AND {RELEASE_OF_GUILD}"
    ))
    .bind(message_id)
    .bind(user)
    .bind(score as i64)
    .bind(guild)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The posted surveys of the releases of `guild` in early life support:
/// guild, message, release row.
pub async fn open_surveys(
    conn: &mut SqliteConnection,
    guild: &str,
) -> anyhow::Result<Vec<(String, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT r.guild, m.id, r.id FROM bot_messages m JOIN releases r ON m.purpose = 'survey:' || r.id
         WHERE r.guild = ? AND m.guild = r.guild AND r.state = 'early-life-support' AND m.platform_id IS NOT NULL
         ORDER BY m.id",
    )
    .bind(guild)
    .fetch_all(conn)
    .await?)
}

/// A survey's answers: user and score.
pub async fn survey_answers(
    conn: &mut SqliteConnection,
    guild: &str,
    message_id: i64,
) -> anyhow::Result<Vec<(String, u8)>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT user, score FROM survey_answers WHERE message_id = ? AND {RELEASE_OF_GUILD} ORDER BY user"
    ))
    .bind(message_id)
    .bind(guild)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(u, s)| (u, s.clamp(1, 5) as u8)).collect())
}

/// Average score and responses of a release's survey.
pub async fn csat_for_release(
    conn: &mut SqliteConnection,
    guild: &str,
    release_row: i64,
) -> anyhow::Result<(Option<f64>, i64)> {
    let r = sqlx::query(&format!(
        "SELECT AVG(score) AS avg, COUNT(*) AS n FROM survey_answers WHERE release_id = ? AND {RELEASE_OF_GUILD}"
    ))
    .bind(release_row)
    .bind(guild)
        .fetch_one(conn)
        .await?;
    Ok((r.try_get("avg")?, r.try_get("n")?))
}
