//! What `release-desk migrate-db` says: the tables copied with their counts
//! and checksums, or why nothing was copied.

use crate::db::migrate_db::{Copied, Failure, Refusal};

/// The summary of a copy, or the error to report: why nothing was copied.
pub fn outcome(result: Result<Copied, Failure>) -> anyhow::Result<String> {
    match result {
        Ok(c) => Ok(copied(&c)),
        Err(Failure::Refused(r)) => Err(anyhow::anyhow!(refusal(&r))),
        Err(Failure::Error(e)) => Err(e.context("migrate-db: nothing was committed")),
    }
}

/// The copy's summary: one line per table, then the totals.
pub fn copied(c: &Copied) -> String {
    let width = c.tables.iter().map(|t| t.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for t in &c.tables {
        out.push_str(&format!(
            "{:width$}  {:>8} {}  sha256:{}\n",
            t.name,
            t.rows,
            rows_word(t.rows),
            &t.checksum[..t.checksum.len().min(16)]
        ));
    }
    let rows: u64 = c.tables.iter().map(|t| t.rows).sum();
    out.push_str(&format!(
        "copied {rows} rows in {} tables from {} to {} (schema version {}); \
         each table's row count and checksum agree on both sides",
        c.tables.len(),
        c.source.display(),
        c.target,
        c.version
    ));
    out
}

fn rows_word(n: u64) -> &'static str {
    if n == 1 {
        "row "
    } else {
        "rows"
    }
}

/// Why nothing was copied, and what to do.
pub fn refusal(r: &Refusal) -> String {
    match r {
        Refusal::SourceNotAFile => "--from: expected an SQLite file (sqlite://PATH or PATH)".into(),
        Refusal::SourceMissing { path } => format!("--from {}: no such database", path.display()),
        Refusal::SourceLocked { path, pid } => format!(
            "--from {}: a running bot holds this database{}; a copy would miss what it writes afterwards. \
             Stop the bot, then run migrate-db again.",
            path.display(),
            pid.map_or(String::new(), |p| format!(" (pid {p})"))
        ),
        Refusal::SourceUnknown { path } => format!(
            "--from {}: not a release-desk database (it has no schema migrations)",
            path.display()
        ),
        Refusal::SourceNewer { version, known } => format!(
            "--from: its schema version {version} is not one this release-desk knows (newest {known}): \
             run migrate-db from the release that wrote it"
        ),
        Refusal::TargetNotPostgres => "--to: expected a PostgreSQL URL (postgres://USER@HOST/DATABASE)".into(),
        Refusal::TargetVersion { source, target } => format!(
            "--to: the target's schema version is {target}, the source's {source}: give an empty database \
             of the same version, or a new one (migrate-db creates the schema)"
        ),
        Refusal::TargetForeign { table } => format!(
            "--to: the target already has tables (table {table}) but no release-desk schema: give a new, empty database"
        ),
        Refusal::TargetNotEmpty { tables } => {
            let list: Vec<String> = tables
                .iter()
                .map(|(t, n)| format!("{t} ({n} {})", rows_word(*n as u64).trim_end()))
                .collect();
            format!(
                "--to: the target is not empty: table {}; migrate-db copies into an empty database only",
                list.join(", table ")
            )
        }
        Refusal::TableMissing { table, in_target } => format!(
            "table {table} is only in the {}: the schemas differ",
            if *in_target { "source" } else { "target" }
        ),
        Refusal::ColumnsDiffer { table, source, target } => format!(
            "table {table}: the columns differ (source {}; target {})",
            source.join(", "),
            target.join(", ")
        ),
        Refusal::UnknownType { table, column, ty } => {
            format!("table {table}: column {column} has type {ty}, which migrate-db does not copy")
        }
        Refusal::BadValue {
            table,
            column,
            key,
            found,
            expected,
        } => format!(
            "table {table}, row {key}: column {column} holds {found}, where PostgreSQL's column is {}; nothing was copied",
            expected.name()
        ),
        Refusal::ReferenceCycle => "the source's foreign keys form a cycle: no order to copy the tables in".into(),
        Refusal::Mismatch { table, source, target } => format!(
            "table {table}: after the copy the target holds {} rows (sha256:{}), the source {} (sha256:{}); \
             nothing was committed",
            target.0,
            &target.1[..target.1.len().min(16)],
            source.0,
            &source.1[..source.1.len().min(16)]
        ),
    }
}
