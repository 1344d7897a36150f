//! Incidents, known errors, configuration defects and survey answers.

use super::{changed_one, parse_ts, parse_ts_opt, ts};
use super::{query, query_as, query_scalar, Conn, Row};
use crate::domain::records::{Incident, KnownError};
use chrono::{DateTime, Utc};
use std::str::FromStr;

const COLUMNS: &str =
    "i.id, i.number, i.release_id, r.number AS release_number, i.env, i.severity, i.defect, i.title,
    i.opened_by, i.opened_at, i.resolved_at, i.effort_hours, i.notes";

fn decode(r: Row) -> anyhow::Result<Incident> {
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
pub async fn insert(conn: &mut Conn, guild: &str, i: &Incident) -> anyhow::Result<i64> {
    let id: Option<i64> = query_scalar(
        "INSERT INTO incidents (guild, number, release_id, env, severity, defect, title, opened_by, opened_at)
         SELECT guild, $1, id, $2, $3, $4, $5, $6, $7 FROM releases WHERE id = $8 AND guild = $9 RETURNING id",
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
pub async fn get(conn: &mut Conn, guild: &str, number: i64) -> anyhow::Result<Option<Incident>> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM incidents i JOIN releases r ON r.id = i.release_id WHERE i.guild = $1 AND i.number = $2"
    ))
    .bind(guild)
    .bind(number)
    .fetch_optional(conn)
    .await?;
    row.map(decode).transpose()
}

/// Resolves an incident.
pub async fn resolve(
    conn: &mut Conn,
    guild: &str,
    row: i64,
    by: &str,
    effort: f64,
    notes: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let done = query(
        "UPDATE incidents SET resolved_by = $1, resolved_at = $2, effort_hours = $3, notes = $4 WHERE id = $5 AND guild = $6",
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
pub async fn list(conn: &mut Conn, guild: &str, release_row: Option<i64>) -> anyhow::Result<Vec<Incident>> {
    let rows = query(&format!(
        "SELECT {COLUMNS} FROM incidents i JOIN releases r ON r.id = i.release_id
         WHERE i.guild = $1 AND ($2 IS NULL OR i.release_id = $2) ORDER BY i.number"
    ))
    .bind(guild)
    .bind(release_row)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(decode).collect()
}

/// Stores a known error of a release of `guild`.
pub async fn add_known_error(conn: &mut Conn, guild: &str, k: &KnownError) -> anyhow::Result<()> {
    let done = query(
        "INSERT INTO known_errors (guild, number, release_id, description, workaround, created_by, created_at)
         SELECT guild, $1, id, $2, $3, $4, $5 FROM releases WHERE id = $6 AND guild = $7",
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
pub async fn known_errors(conn: &mut Conn, guild: &str, release_row: i64) -> anyhow::Result<Vec<KnownError>> {
    let rows = query(
        "SELECT number, release_id, description, workaround, created_by, created_at FROM known_errors
         WHERE release_id = $1 AND guild = $2 ORDER BY number",
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
    conn: &mut Conn,
    guild: &str,
    release_row: i64,
    env: &str,
    defects: &[ConfigDefect],
    by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for d in defects {
        let done = query(
            "INSERT INTO config_defects (release_id, env, item, kind, expected, found, recorded_by, recorded_at)
             SELECT id, $1, $2, $3, $4, $5, $6, $7 FROM releases WHERE id = $8 AND guild = $9",
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
    conn: &mut Conn,
    guild: &str,
    message_id: i64,
    release_row: i64,
    user: &str,
    score: u8,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<i64>> {
    let before: Option<i64> = query_scalar("SELECT score FROM survey_answers WHERE message_id = $1 AND \"user\" = $2 AND release_id IN (SELECT id FROM releases WHERE guild = $3)")
    .bind(message_id)
    .bind(user)
    .bind(guild)
    .fetch_optional(&mut *conn)
    .await?;
    // The WHERE also keeps SQLite from reading ON CONFLICT as part of the SELECT.
    let done = query(
        "INSERT INTO survey_answers (message_id, release_id, \"user\", score, answered_at)
         SELECT $1, id, $2, $3, $4 FROM releases WHERE id = $5 AND guild = $6
         ON CONFLICT (message_id, \"user\") DO UPDATE SET score = excluded.score, answered_at = excluded.answered_at",
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
    conn: &mut Conn,
    guild: &str,
    message_id: i64,
    user: &str,
    score: u8,
) -> anyhow::Result<bool> {
    let done = query("DELETE FROM survey_answers WHERE message_id = $1 AND \"user\" = $2 AND score = $3 AND release_id IN (SELECT id FROM releases WHERE guild = $4)")
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
pub async fn open_surveys(conn: &mut Conn, guild: &str) -> anyhow::Result<Vec<(String, i64, i64)>> {
    Ok(query_as(
        "SELECT r.guild, m.id, r.id FROM bot_messages m JOIN releases r ON m.purpose = 'survey:' || r.id
         WHERE r.guild = $1 AND m.guild = r.guild AND r.state = 'early-life-support' AND m.platform_id IS NOT NULL
         ORDER BY m.id",
    )
    .bind(guild)
    .fetch_all(conn)
    .await?)
}

/// A survey's answers: user and score.
pub async fn survey_answers(
    conn: &mut Conn,
    guild: &str,
    message_id: i64,
) -> anyhow::Result<Vec<(String, u8)>> {
    let rows: Vec<(String, i64)> = query_as("SELECT \"user\", score FROM survey_answers WHERE message_id = $1 AND release_id IN (SELECT id FROM releases WHERE guild = $2) ORDER BY \"user\"")
    .bind(message_id)
    .bind(guild)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(u, s)| (u, s.clamp(1, 5) as u8)).collect())
}

/// Average score and responses of a release's survey.
pub async fn csat_for_release(
    conn: &mut Conn,
    guild: &str,
    release_row: i64,
) -> anyhow::Result<(Option<f64>, i64)> {
    let r = query("SELECT CAST(AVG(score) AS DOUBLE PRECISION) AS avg, COUNT(*) AS n FROM survey_answers WHERE release_id = $1 AND release_id IN (SELECT id FROM releases WHERE guild = $2)")
    .bind(release_row)
    .bind(guild)
        .fetch_one(conn)
        .await?;
    Ok((r.try_get("avg")?, r.try_get("n")?))
}
