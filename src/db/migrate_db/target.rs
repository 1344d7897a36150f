//! The PostgreSQL side of `migrate-db`: what the target holds (schema
//! version, tables, rows), the copy's inserts, the identity sequences set
//! past the copied ids, and the target's own checksums.

use super::canonical::{Checksum, Kind, Value};
use super::source::quoted;
use futures_util::TryStreamExt;
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgConnection, Row};
use std::collections::BTreeMap;

/// A target column: its name, its type as PostgreSQL names it, and the kind
/// of value it holds (None for a type the copy does not know).
#[derive(Debug, Clone)]
pub struct Column {
    /// The name.
    pub name: String,
    /// `format_type`'s name of its type.
    pub ty: String,
    /// What it holds.
    pub kind: Option<Kind>,
    /// Whether it is an identity column (its sequence is set after the copy).
    pub identity: bool,
}

/// The schema versions applied to the target; None without a migrations table.
pub async fn versions(conn: &mut PgConnection) -> anyhow::Result<Option<Vec<i64>>> {
    let has: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await?;
    if !has {
        return Ok(None);
    }
    Ok(Some(
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut *conn)
            .await?,
    ))
}

/// The tables of the target's schema (but the migrations' bookkeeping) and their columns.
pub async fn tables(conn: &mut PgConnection) -> anyhow::Result<BTreeMap<String, Vec<Column>>> {
    let rows = sqlx::query(
        "SELECT c.relname::text AS tbl, a.attname::text AS col, format_type(a.atttypid, a.atttypmod) AS ty, \
                a.attidentity <> '' AS identity \
         FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid \
         WHERE c.relkind IN ('r', 'p') AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
           AND c.relname <> '_sqlx_migrations' AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY c.relname, a.attnum",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut tables: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for r in rows {
        let ty: String = r.get("ty");
        tables.entry(r.get("tbl")).or_default().push(Column {
            name: r.get("col"),
            kind: Kind::of_postgres(&ty),
            ty,
            identity: r.get("identity"),
        });
    }
    Ok(tables)
}

/// The primary key's columns of each table, in key order.
pub async fn keys(conn: &mut PgConnection) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let rows = sqlx::query(
        "SELECT c.relname::text AS tbl, a.attname::text AS col \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
         CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
         WHERE i.indisprimary AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
         ORDER BY c.relname, k.ord",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in rows {
        keys.entry(r.get("tbl")).or_default().push(r.get("col"));
    }
    Ok(keys)
}

/// The number of rows in `table`.
pub async fn count(conn: &mut PgConnection, table: &str) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar(&format!("SELECT count(*) FROM {}", quoted(table)))
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Keeps the triggers of `table` from running (`on` false) or lets them run
/// again. The copied rows already hold what the triggers computed on SQLite
/// (an incident's stored attribution): recomputed here, with PostgreSQL's
/// arithmetic, a float could differ in its last bit from the source's.
/// Foreign keys are system triggers and stay checked.
pub async fn user_triggers(conn: &mut PgConnection, table: &str, on: bool) -> anyhow::Result<()> {
    let verb = if on { "ENABLE" } else { "DISABLE" };
    sqlx::query(&format!("ALTER TABLE {} {verb} TRIGGER USER", quoted(table)))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Inserts `rows` (values in `columns`' order) into `table`.
pub async fn insert(
    conn: &mut PgConnection,
    table: &str,
    columns: &[(String, Kind)],
    rows: &[Vec<Value>],
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut args = PgArguments::default();
    let mut tuples = Vec::with_capacity(rows.len());
    let mut n = 0;
    for row in rows {
        let mut tuple = Vec::with_capacity(columns.len());
        for ((_, kind), value) in columns.iter().zip(row) {
            n += 1;
            tuple.push(format!("${n}"));
            bind(&mut args, *kind, value)?;
        }
        tuples.push(format!("({})", tuple.join(", ")));
    }
    let names: Vec<String> = columns.iter().map(|(c, _)| quoted(c)).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES {}",
        quoted(table),
        names.join(", "),
        tuples.join(", ")
    );
    sqlx::query_with(&sql, args).execute(&mut *conn).await?;
    Ok(())
}

/// Binds `value` as the type of a column of `kind` (a NULL too: PostgreSQL
/// checks a parameter's type against its column's).
fn bind(args: &mut PgArguments, kind: Kind, value: &Value) -> anyhow::Result<()> {
    let added = match (kind, value) {
        (Kind::Integer, Value::Integer(v)) => args.add(Some(*v)),
        (Kind::Integer, Value::Null) => args.add(None::<i64>),
        (Kind::Real, Value::Real(v)) => args.add(Some(*v)),
        (Kind::Real, Value::Null) => args.add(None::<f64>),
        (Kind::Text, Value::Text(v)) => args.add(Some(v.clone())),
        (Kind::Text, Value::Null) => args.add(None::<String>),
        (Kind::Blob, Value::Blob(v)) => args.add(Some(v.clone())),
        (Kind::Blob, Value::Null) => args.add(None::<Vec<u8>>),
        (kind, value) => anyhow::bail!("a {value:?} for a {} column", kind.name()),
    };
    added.map_err(|e| anyhow::anyhow!(e))
}

/// Sets the sequence of each identity column of `table` past its largest
/// copied value, so the next generated id follows the copied ones.
pub async fn set_sequences(conn: &mut PgConnection, table: &str, columns: &[Column]) -> anyhow::Result<()> {
    for c in columns.iter().filter(|c| c.identity) {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX({col}) FROM {tbl}), 0) + 1, false)",
            col = quoted(&c.name),
            tbl = quoted(table)
        ))
        .bind(quoted(table))
        .bind(&c.name)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The row count and checksum of `table` as the target holds it, rows in
/// `key` order (bytewise for text, as the source's reading orders them).
pub async fn checksum(
    conn: &mut PgConnection,
    table: &str,
    columns: &[(String, Kind)],
    key: &[String],
) -> anyhow::Result<(u64, String)> {
    let kind_of = |c: &String| columns.iter().find(|(n, _)| n == c).map(|(_, k)| *k);
    let order: Vec<String> = key
        .iter()
        .map(|c| match kind_of(c) {
            Some(Kind::Text) => format!("{} COLLATE \"C\"", quoted(c)),
            _ => quoted(c),
        })
        .collect();
    let names: Vec<String> = columns.iter().map(|(c, _)| quoted(c)).collect();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        names.join(", "),
        quoted(table),
        order.join(", ")
    );
    let mut sum = Checksum::default();
    let mut rows = sqlx::query(&sql).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        let mut values = Vec::with_capacity(columns.len());
        for (i, (_, kind)) in columns.iter().enumerate() {
            values.push(
                match kind {
                    Kind::Integer => row.try_get::<Option<i64>, _>(i)?.map(Value::Integer),
                    Kind::Real => row.try_get::<Option<f64>, _>(i)?.map(Value::Real),
                    Kind::Text => row.try_get::<Option<String>, _>(i)?.map(Value::Text),
                    Kind::Blob => row.try_get::<Option<Vec<u8>>, _>(i)?.map(Value::Blob),
                }
                .unwrap_or(Value::Null),
            );
        }
        sum.add(&values);
    }
    Ok(sum.finish())
}
