//! `release-desk migrate-db`: every table of an SQLite database copied into
//! an empty PostgreSQL one — records, the audit trail, jobs, outbox,
//! everything the schema has — ids kept, in one PostgreSQL transaction that
//! commits only when each table's row count and checksum agree on both sides.
//! Tables and columns are read from the databases, not listed here, so a new
//! migration needs no change to the copy.

pub mod canonical;
mod refusal;
mod source;
mod target;
mod verify;

pub use refusal::{redacted, Failure, Refusal};
pub use verify::checksums;

use crate::db::pg_migrations::{Embedded, PG_MIGRATIONS};
use canonical::{Checksum, Kind};
use futures_util::TryStreamExt;
use sqlx::{Connection, PgConnection};
use std::path::PathBuf;

/// Rows sent per INSERT, at most (times the columns: well under
/// PostgreSQL's 65,535 parameters a statement).
const BATCH_VALUES: usize = 20_000;

/// One table copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopied {
    /// The table.
    pub name: String,
    /// Its rows, on both sides.
    pub rows: u64,
    /// The SHA-256 of its rows, equal on both sides.
    pub checksum: String,
}

/// What was copied.
#[derive(Debug, Clone)]
pub struct Copied {
    /// The SQLite file.
    pub source: PathBuf,
    /// The target's URL without its password.
    pub target: String,
    /// The schema version of both.
    pub version: i64,
    /// Each table, in the order copied (a table after those it refers to).
    pub tables: Vec<TableCopied>,
}

/// Copies an SQLite database into a new, empty PostgreSQL one, verified
/// table by table (README, "Moving to PostgreSQL").
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The SQLite file (sqlite://PATH or PATH); refused while a bot runs on it.
    #[arg(long, value_name = "SQLITE_URL")]
    pub from: String,
    /// The PostgreSQL database (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE): new or empty.
    #[arg(long, value_name = "POSTGRES_URL")]
    pub to: String,
}

impl Args {
    /// Runs the copy.
    pub async fn run(&self) -> Result<Copied, Failure> {
        migrate(&self.from, &self.to).await
    }
}

/// Copies the SQLite database `from` into the empty PostgreSQL database `to`.
pub async fn migrate(from: &str, to: &str) -> Result<Copied, Failure> {
    if !(to.starts_with("postgres://") || to.starts_with("postgresql://")) {
        return Err(Refusal::TargetNotPostgres.into());
    }
    let mut source = source::open(from).await??;
    let versions = source::versions(&mut source.conn)
        .await?
        .ok_or_else(|| Refusal::SourceUnknown {
            path: source.path.clone(),
        })?;
    let version = versions.last().copied().unwrap_or(0);
    let known: Vec<i64> = PG_MIGRATIONS
        .iter()
        .map(|m| m.0)
        .filter(|v| *v <= version)
        .collect();
    if known != versions {
        let newest = PG_MIGRATIONS.last().map_or(0, |m| m.0);
        return Err(Refusal::SourceNewer {
            version,
            known: newest,
        }
        .into());
    }
    let target_url = redacted(to);
    let mut pg = PgConnection::connect(to)
        .await
        .map_err(|e| anyhow::anyhow!("connecting to {target_url}: {e}"))?;
    match target::versions(&mut pg).await? {
        Some(t) if t != versions => {
            let target = t.last().copied().unwrap_or(0);
            return Err(Refusal::TargetVersion {
                source: version,
                target,
            }
            .into());
        }
        Some(_) => {}
        None => {
            if let Some(table) = target::tables(&mut pg).await?.into_keys().next() {
                return Err(Refusal::TargetForeign { table }.into());
            }
            // A new database: the schema the source has, no newer.
            let migrator = sqlx::migrate::Migrator::new(Embedded {
                set: PG_MIGRATIONS,
                version,
            })
            .await
            .map_err(anyhow::Error::from)?;
            migrator
                .run(&mut pg)
                .await
                .map_err(|e| anyhow::anyhow!("creating the schema in {target_url}: {e}"))?;
        }
    }
    let shapes = source::shapes(&mut source.conn).await?;
    let target_tables = target::tables(&mut pg).await?;
    if let Some(table) = target_tables.keys().find(|t| !shapes.contains_key(*t)) {
        return Err(Refusal::TableMissing {
            table: table.clone(),
            in_target: false,
        }
        .into());
    }
    let order = source::in_reference_order(&shapes).ok_or(Refusal::ReferenceCycle)?;
    let mut plan = Vec::new();
    for name in &order {
        let shape = &shapes[name];
        let Some(columns) = target_tables.get(name) else {
            return Err(Refusal::TableMissing {
                table: name.clone(),
                in_target: true,
            }
            .into());
        };
        let mut theirs: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        let mut ours = shape.columns.clone();
        theirs.sort();
        ours.sort();
        if theirs != ours {
            return Err(Refusal::ColumnsDiffer {
                table: name.clone(),
                source: shape.columns.clone(),
                target: columns.iter().map(|c| c.name.clone()).collect(),
            }
            .into());
        }
        let mut kinds = Vec::new();
        for (c, declared) in shape.columns.iter().zip(&shape.kinds) {
            let column = columns.iter().find(|t| &t.name == c).expect("compared above");
            let kind = column
                .kind
                .filter(|k| Some(*k) == *declared)
                .ok_or_else(|| Refusal::UnknownType {
                    table: name.clone(),
                    column: c.clone(),
                    ty: column.ty.clone(),
                })?;
            kinds.push((c.clone(), kind));
        }
        plan.push((shape, columns, kinds));
    }

    let mut tx = pg.begin().await?;
    // Nobody else writes the target until the copy commits; checked empty under that lock.
    let all: Vec<String> = order.iter().map(|t| source::quoted(t)).collect();
    sqlx::query(&format!("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", all.join(", ")))
        .execute(&mut *tx)
        .await?;
    let mut nonempty = Vec::new();
    for name in &order {
        let rows = target::count(&mut tx, name).await?;
        if rows > 0 {
            nonempty.push((name.clone(), rows));
        }
    }
    if !nonempty.is_empty() {
        return Err(Refusal::TargetNotEmpty { tables: nonempty }.into());
    }
    let mut copied = Vec::new();
    for (shape, columns, kinds) in &plan {
        let only_kinds: Vec<Kind> = kinds.iter().map(|(_, k)| *k).collect();
        target::user_triggers(&mut tx, &shape.name, false).await?;
        let mut sum = Checksum::default();
        let per_batch = (BATCH_VALUES / kinds.len().max(1)).max(1);
        let mut batch = Vec::with_capacity(per_batch);
        let sql = source::select(shape);
        let mut rows = sqlx::query(&sql).fetch(&mut source.conn);
        while let Some(row) = rows.try_next().await? {
            let values = source::decode(&row, &only_kinds).map_err(|(i, found)| {
                let key: Vec<String> = shape
                    .key
                    .iter()
                    .filter_map(|k| shape.columns.iter().position(|c| c == k))
                    .map(|k| {
                        use sqlx::Row;
                        row.try_get::<String, _>(k)
                            .or_else(|_| row.try_get::<i64, _>(k).map(|v| v.to_string()))
                            .unwrap_or_else(|_| "?".into())
                    })
                    .collect();
                Refusal::BadValue {
                    table: shape.name.clone(),
                    column: kinds[i].0.clone(),
                    key: key.join(", "),
                    found,
                    expected: kinds[i].1,
                }
            })?;
            sum.add(&values);
            batch.push(values);
            if batch.len() == per_batch {
                target::insert(&mut tx, &shape.name, kinds, &batch).await?;
                batch.clear();
            }
        }
        drop(rows);
        target::insert(&mut tx, &shape.name, kinds, &batch).await?;
        target::user_triggers(&mut tx, &shape.name, true).await?;
        target::set_sequences(&mut tx, &shape.name, columns).await?;
        let (rows, checksum) = sum.finish();
        copied.push(TableCopied {
            name: shape.name.clone(),
            rows,
            checksum,
        });
    }
    // What the target now holds, read back: the copy commits only if it is what was read.
    for (t, (shape, _, kinds)) in copied.iter().zip(&plan) {
        let theirs = target::checksum(&mut tx, &shape.name, kinds, &shape.key).await?;
        if theirs != (t.rows, t.checksum.clone()) {
            return Err(Refusal::Mismatch {
                table: t.name.clone(),
                source: (t.rows, t.checksum.clone()),
                target: theirs,
            }
            .into());
        }
    }
    tx.commit().await?;
    Ok(Copied {
        source: source.path.clone(),
        target: target_url,
        version,
        tables: copied,
    })
}
