//! Post-implementation reviews and close outcomes.

use super::ts;
use super::{query, query_scalar, Conn};
use crate::domain::release::CloseOutcome;

/// A post-implementation review of a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// What the review found.
    pub findings: String,
    /// Follow-up actions.
    pub actions: Option<String>,
    /// Who reviewed (user id).
    pub reviewer: String,
    /// Their name.
    pub reviewer_name: String,
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
}

/// Stores a review of the release.
pub async fn add_review(conn: &mut Conn, guild: &str, release_row: i64, r: &Review) -> anyhow::Result<()> {
    // Only a release of the same workspace can be reviewed.
    let done = query(
        "INSERT INTO release_reviews (guild, release_id, findings, actions, reviewer, reviewer_name, at)
         SELECT guild, id, $1, $2, $3, $4, $5 FROM releases WHERE id = $6 AND guild = $7",
    )
    .bind(&r.findings)
    .bind(&r.actions)
    .bind(&r.reviewer)
    .bind(&r.reviewer_name)
    .bind(ts(r.at))
    .bind(release_row)
    .bind(guild)
    .execute(conn)
    .await?;
    super::scope::changed_one(done.rows_affected(), "release", release_row, guild)
}

/// How many reviews the release has.
pub async fn reviews(conn: &mut Conn, guild: &str, release_row: i64) -> anyhow::Result<i64> {
    Ok(
        query_scalar("SELECT COUNT(*) FROM release_reviews WHERE guild = $1 AND release_id = $2")
            .bind(guild)
            .bind(release_row)
            .fetch_one(conn)
            .await?,
    )
}

/// Records how the release closed.
pub async fn record_outcome(
    conn: &mut Conn,
    guild: &str,
    release_row: i64,
    outcome: CloseOutcome,
    at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let done = query(
        "INSERT INTO release_outcomes (release_id, guild, outcome, closed_at)
         SELECT id, guild, $1, $2 FROM releases WHERE id = $3 AND guild = $4",
    )
    .bind(outcome.key())
    .bind(ts(at))
    .bind(release_row)
    .bind(guild)
    .execute(conn)
    .await?;
    super::scope::changed_one(done.rows_affected(), "release", release_row, guild)
}

/// How the release closed, if it was closed with `/release close`.
pub async fn outcome(conn: &mut Conn, guild: &str, release_row: i64) -> anyhow::Result<Option<CloseOutcome>> {
    let key: Option<String> =
        query_scalar("SELECT outcome FROM release_outcomes WHERE guild = $1 AND release_id = $2")
            .bind(guild)
            .bind(release_row)
            .fetch_optional(conn)
            .await?;
    key.map(|k| CloseOutcome::from_key(&k).ok_or_else(|| anyhow::anyhow!("unknown close outcome {k:?}")))
        .transpose()
}
