//! The SQLite side of `migrate-db`: the file, held against a bot starting on
//! it, read in one transaction (one snapshot), its tables and columns read
//! from the database itself.

use super::canonical::{Kind, Value};
use super::Refusal;
use crate::db::lock;
use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{Connection, Row, SqliteConnection, TypeInfo, ValueRef};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::str::FromStr;

/// A table as the source describes it.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Its name.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<String>,
    /// The primary key's columns (every column when there is none), the copy's order.
    pub key: Vec<String>,
    /// What each column holds, from its declared type (None for another type).
    pub kinds: Vec<Option<Kind>>,
    /// The tables its foreign keys refer to.
    pub refers_to: BTreeSet<String>,
}

/// The open source database.
pub struct Source {
    /// The file.
    pub path: PathBuf,
    /// The connection, inside its read transaction.
    pub conn: SqliteConnection,
    // Held while copying: a bot cannot start on the file meanwhile, nor a console write to it.
    _lock: lock::Held,
}

/// Opens the SQLite database `from` (`sqlite://path` or a path) for reading,
/// refusing one a running bot holds.
pub async fn open(from: &str) -> Result<Result<Source, Refusal>, anyhow::Error> {
    let Some(path) = lock::db_file(from) else {
        return Ok(Err(Refusal::SourceNotAFile));
    };
    if !path.is_file() {
        return Ok(Err(Refusal::SourceMissing { path }));
    }
    // The bot holds this lock while it runs: copying a live database would
    // miss what it writes after the copy, so a held lock is refused.
    let held = match lock::hold(&path) {
        Ok(h) => h,
        Err(lock::LockError::Held { pid, .. }) => return Ok(Err(Refusal::SourceLocked { path, pid })),
        Err(lock::LockError::Io(file, e)) => {
            return Err(anyhow::anyhow!(e).context(format!("locking {}", file.display())))
        }
    };
    let mut conn = open_unlocked(&path).await?;
    // One snapshot for every table, checksums included.
    sqlx::query("BEGIN").execute(&mut conn).await?;
    Ok(Ok(Source {
        path,
        conn,
        _lock: held,
    }))
}

/// The schema versions applied; None when the file has no migrations table.
pub async fn versions(conn: &mut SqliteConnection) -> anyhow::Result<Option<Vec<i64>>> {
    let has: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if has == 0 {
        return Ok(None);
    }
    let versions = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(&mut *conn)
        .await?;
    Ok(Some(versions))
}

/// Every table but SQLite's own and the migrations' bookkeeping.
pub async fn shapes(conn: &mut SqliteConnection) -> anyhow::Result<BTreeMap<String, Shape>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut shapes = BTreeMap::new();
    for name in names {
        let columns = sqlx::query("SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid")
            .bind(&name)
            .fetch_all(&mut *conn)
            .await?;
        let mut key: Vec<(i64, String)> = columns
            .iter()
            .filter(|c| c.get::<i64, _>("pk") > 0)
            .map(|c| (c.get("pk"), c.get("name")))
            .collect();
        key.sort();
        let kinds = columns
            .iter()
            .map(|c| Kind::of_sqlite(&c.get::<String, _>("type")))
            .collect();
        let columns: Vec<String> = columns.iter().map(|c| c.get("name")).collect();
        let key = if key.is_empty() {
            columns.clone()
        } else {
            key.into_iter().map(|(_, c)| c).collect()
        };
        let refers_to = sqlx::query_scalar::<_, String>("SELECT \"table\" FROM pragma_foreign_key_list($1)")
            .bind(&name)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .filter(|t| *t != name)
            .collect();
        shapes.insert(
            name.clone(),
            Shape {
                name,
                columns,
                key,
                kinds,
                refers_to,
            },
        );
    }
    Ok(shapes)
}

/// Opens `path` read-only, without the lock (for checksums of a copy at rest).
pub async fn open_unlocked(path: &std::path::Path) -> anyhow::Result<SqliteConnection> {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
        .read_only(true)
        .create_if_missing(false);
    SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("opening {}", path.display()))
}

/// The statement reading `shape`'s rows in key order (bytewise for text, as
/// the target's reading orders them).
pub fn select(shape: &Shape) -> String {
    let order: Vec<String> = shape
        .key
        .iter()
        .map(|c| format!("{} COLLATE BINARY", quoted(c)))
        .collect();
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        shape
            .columns
            .iter()
            .map(|c| quoted(c))
            .collect::<Vec<_>>()
            .join(", "),
        quoted(&shape.name),
        order.join(", ")
    )
}

/// A row's values, each as the target column's kind holds it; the column
/// and what was found there when a value does not fit.
pub fn decode(row: &SqliteRow, kinds: &[Kind]) -> Result<Vec<Value>, (usize, &'static str)> {
    let mut out = Vec::with_capacity(kinds.len());
    for (i, kind) in kinds.iter().enumerate() {
        let raw = row.try_get_raw(i).map_err(|_| (i, "nothing"))?;
        if raw.is_null() {
            out.push(Value::Null);
            continue;
        }
        let class = raw.type_info().name().to_string();
        let value = match (kind, class.as_str()) {
            (Kind::Integer, "INTEGER") => row.try_get(i).map(Value::Integer),
            (Kind::Real, "REAL") => row.try_get(i).map(Value::Real),
            // A REAL column may keep a whole number as an integer.
            (Kind::Real, "INTEGER") => row.try_get::<i64, _>(i).map(|v| Value::Real(v as f64)),
            (Kind::Text, "TEXT") => row.try_get(i).map(Value::Text),
            (Kind::Blob, "BLOB") => row.try_get(i).map(Value::Blob),
            (_, "INTEGER") => return Err((i, "an integer")),
            (_, "REAL") => return Err((i, "a real")),
            (_, "TEXT") => return Err((i, "text")),
            _ => return Err((i, "a blob")),
        };
        out.push(value.map_err(|_| (i, "an unreadable value"))?);
    }
    Ok(out)
}

/// `name` as an SQL identifier (both backends quote with double quotes).
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The tables in an order where each comes after those it refers to (ties
/// by name); None if the references form a cycle.
pub fn in_reference_order(shapes: &BTreeMap<String, Shape>) -> Option<Vec<String>> {
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut order = Vec::new();
    while order.len() < shapes.len() {
        let next = shapes.values().find(|s| {
            !done.contains(&s.name)
                && s.refers_to
                    .iter()
                    .all(|t| done.contains(t) || !shapes.contains_key(t))
        })?;
        done.insert(next.name.clone());
        order.push(next.name.clone());
    }
    Some(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(name: &str, refers_to: &[&str]) -> (String, Shape) {
        (
            name.to_string(),
            Shape {
                name: name.into(),
                columns: vec!["id".into()],
                key: vec!["id".into()],
                kinds: vec![Some(Kind::Integer)],
                refers_to: refers_to.iter().map(|s| s.to_string()).collect(),
            },
        )
    }

    #[test]
    fn referred_tables_come_first() {
        let shapes = BTreeMap::from([
            shape("a_votes", &["polls"]),
            shape("polls", &["releases", "messages"]),
            shape("releases", &[]),
            shape("messages", &[]),
        ]);
        assert_eq!(
            in_reference_order(&shapes).unwrap(),
            ["messages", "releases", "polls", "a_votes"]
        );
        let cycle = BTreeMap::from([shape("a", &["b"]), shape("b", &["a"])]);
        assert_eq!(in_reference_order(&cycle), None);
    }

    #[test]
    fn the_source_reads_in_key_order() {
        let (_, s) = shape("t\"x", &[]);
        assert_eq!(
            select(&s),
            "SELECT \"id\" FROM \"t\"\"x\" ORDER BY \"id\" COLLATE BINARY"
        );
    }
}
