//! The append-only audit trail.

use super::{bind, parse_ts, ts, Tx};
use crate::domain::audit::AuditEntry;
use crate::domain::audit::AuditValue;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Row, SqliteConnection};

/// Appends one entry to the transaction. Entries are written by its
/// commit, in the same round trip to the connection as the `COMMIT`.
pub fn append(tx: &mut Tx, guild: &str, e: AuditEntry) {
    tx.audit.push((guild.to_string(), e));
}

/// Rows per `INSERT`: eight variables each stays far below SQLite's limit of 32,766.
const ROWS_PER_INSERT: usize = 500;

/// The statements that write `entries`, in order, followed by `then`.
pub(super) fn written_before(
    entries: &[(String, AuditEntry)],
    then: &str,
) -> anyhow::Result<(String, SqliteArguments<'static>)> {
    let mut sql = String::new();
    let mut args = SqliteArguments::default();
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        sql.push_str(
            "INSERT INTO audit (guild, at, actor, actor_name, record, action, before, after) VALUES ",
        );
        sql.push_str(&vec!["(?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", "));
        sql.push_str(";\n");
        for (guild, e) in chunk {
            bind(&mut args, guild.clone())?;
            bind(&mut args, ts(e.at))?;
            bind(&mut args, e.actor.clone())?;
            bind(&mut args, e.actor_name.clone())?;
            bind(&mut args, e.record.clone())?;
            bind(&mut args, e.action.clone())?;
            bind(&mut args, e.before.as_ref().map(AuditValue::encode))?;
            bind(&mut args, e.after.as_ref().map(AuditValue::encode))?;
        }
    }
    sql.push_str(then);
    Ok((sql, args))
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
                before: r.try_get::<Option<String>, _>("before")?.map(AuditValue::decode),
                after: r.try_get::<Option<String>, _>("after")?.map(AuditValue::decode),
            })
        })
        .collect()
}

/// How many entries the trail of `guild` holds (tests compare it with successful changes).
pub async fn count(conn: &mut SqliteConnection, guild: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE guild = ?")
        .bind(guild)
        .fetch_one(conn)
        .await?)
}
