//! The append-only audit trail.

use super::{parse_ts, ts};
use crate::domain::records::AuditEntry;
use sqlx::{Row, SqliteConnection};

/// Appends one entry (in the caller's transaction).
pub async fn append(conn: &mut SqliteConnection, guild: &str, e: &AuditEntry) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO audit (guild, at, actor, actor_name, record, action, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(guild)
        .bind(ts(e.at))
        .bind(&e.actor)
        .bind(&e.actor_name)
        .bind(&e.record)
        .bind(&e.action)
        .bind(&e.before)
        .bind(&e.after)
        .execute(conn)
        .await?;
    Ok(())
}

/// The history of one record, oldest first.
pub async fn for_record(
    conn: &mut SqliteConnection,
    guild: &str,
    record: &str,
) -> anyhow::Result<Vec<AuditEntry>> {
    let rows = sqlx::query("SELECT at, actor, actor_name, record, action, before, after FROM audit WHERE guild = ? AND record = ? ORDER BY id")
        .bind(guild)
        .bind(record)
        .fetch_all(conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(AuditEntry {
                at: parse_ts(r.try_get("at")?)?,
                actor: r.try_get("actor")?,
                actor_name: r.try_get("actor_name")?,
                record: r.try_get("record")?,
                action: r.try_get("action")?,
                before: r.try_get("before")?,
                after: r.try_get("after")?,
            })
        })
        .collect()
}

/// How many entries the trail holds (tests compare it with successful changes).
pub async fn count(conn: &mut SqliteConnection) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit")
        .fetch_one(conn)
        .await?)
}
