//! The append-only audit trail.

use super::{parse_ts, ts, Tx};
use super::{query, query_scalar, query_with, Args, Backend, Conn};
use crate::domain::audit::AuditEntry;
use crate::domain::audit::AuditValue;

/// Appends one entry to the transaction. Entries are written by its
/// commit, in the same round trip to the connection as the `COMMIT`.
pub fn append(tx: &mut Tx, guild: &str, e: AuditEntry) {
    tx.audit.push((guild.to_string(), e));
}

/// Rows per `INSERT`: eight variables each stays far below SQLite's limit of 32,766.
const ROWS_PER_INSERT: usize = 500;

const INSERT: &str =
    "INSERT INTO audit (guild, at, actor, actor_name, record, action, before, after) VALUES ";

fn add_values(args: &mut Args<'static>, chunk: &[(String, AuditEntry)]) -> anyhow::Result<()> {
    for (guild, e) in chunk {
        args.add(guild.clone())?;
        args.add(ts(e.at))?;
        args.add(e.actor.clone())?;
        args.add(e.actor_name.clone())?;
        args.add(e.record.clone())?;
        args.add(e.action.clone())?;
        args.add(e.before.as_ref().map(AuditValue::encode))?;
        args.add(e.after.as_ref().map(AuditValue::encode))?;
    }
    Ok(())
}

/// The statements that write `entries`, in order, followed by `then`, as
/// one SQLite text. Its placeholders are `?`, numbered within each
/// statement: `$N` would number across all of them, past SQLite's limit
/// for a few thousand entries.
pub(super) fn written_before(
    entries: &[(String, AuditEntry)],
    then: &str,
) -> anyhow::Result<(String, Args<'static>)> {
    let mut sql = String::new();
    let mut args = Args::new(Backend::Sqlite);
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        sql.push_str(INSERT);
        sql.push_str(&vec!["(?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", "));
        sql.push_str(";\n");
        add_values(&mut args, chunk)?;
    }
    sql.push_str(then);
    Ok((sql, args))
}

/// Writes `entries` on PostgreSQL, one `INSERT` per few hundred (a
/// prepared statement is one statement there).
pub(super) async fn write(conn: &mut Conn, entries: &[(String, AuditEntry)]) -> anyhow::Result<()> {
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(INSERT);
        for i in 0..chunk.len() {
            let n = i * 8;
            let row: Vec<String> = (n + 1..=n + 8).map(|k| format!("${k}")).collect();
            sql.push_str(&format!("{}({})", if i > 0 { ", " } else { "" }, row.join(", ")));
        }
        let mut args = Args::new(Backend::Postgres);
        add_values(&mut args, chunk)?;
        query_with(&sql, args).execute(&mut *conn).await?;
    }
    Ok(())
}

/// The history of one record, oldest first.
pub async fn for_record(conn: &mut Conn, guild: &str, record: &str) -> anyhow::Result<Vec<AuditEntry>> {
    let rows = query("SELECT at, actor, actor_name, record, action, before, after FROM audit WHERE guild = $1 AND record = $2 ORDER BY id")
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
pub async fn count(conn: &mut Conn, guild: &str) -> anyhow::Result<i64> {
    Ok(query_scalar("SELECT COUNT(*) FROM audit WHERE guild = $1")
        .bind(guild)
        .fetch_one(conn)
        .await?)
}
