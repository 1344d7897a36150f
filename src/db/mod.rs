//! All SQL, one file per table or aggregate. SQLite in WAL mode with foreign
//! keys on and a busy timeout; every write runs in a `BEGIN IMMEDIATE`
//! transaction, so a read-then-write can never fail on a stale snapshot.

pub mod audit;
pub mod backup;
pub mod calendar;
pub mod checkpoint;
pub mod claim;
mod conn;
pub mod console;
pub mod deployments;
mod dialect;
pub mod gate;
pub mod gauges;
pub mod governance;
pub mod incidents;
pub mod interactions;
pub mod jobs;
pub mod leadership;
pub mod lock;
pub mod metrics;
pub mod migrate_db;
mod open;
pub mod outbox;
pub mod packages;
pub mod pg_migrations;
pub mod polls;
mod query;
pub mod reactions;
pub mod releases;
pub mod rfcs;
mod row;
mod scope;
pub mod sequences;
pub mod subscriptions;
pub mod tokens;
mod tx;
pub mod workflow;
mod write;

pub use open::{is_postgres, redacted};
pub use tx::{Tx, WRITE_LOCK};
pub use write::WritingConn;

pub use conn::{Backend, Conn, Exec, Pool};
pub use query::{query, query_as, query_scalar, query_with, raw_sql, Args, Params, Query};
pub use row::{Done, Row};

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
pub(crate) use scope::changed_one;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

/// The migrations of `migrations/`, embedded so the binary needs no files
/// beside it. A test checks this list against the folder.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "records", include_str!("../../migrations/0001_records.sql")),
    (2, "delivery", include_str!("../../migrations/0002_delivery.sql")),
    (3, "polls", include_str!("../../migrations/0003_polls.sql")),
    (4, "calendar", include_str!("../../migrations/0004_calendar.sql")),
    (
        5,
        "deployments",
        include_str!("../../migrations/0005_deployments.sql"),
    ),
    (6, "metrics", include_str!("../../migrations/0006_metrics.sql")),
    (10, "discord", include_str!("../../migrations/0010_discord.sql")),
    (
        11,
        "job_retries",
        include_str!("../../migrations/0011_job_retries.sql"),
    ),
    (
        12,
        "outbox_order",
        include_str!("../../migrations/0012_outbox_order.sql"),
    ),
    (
        15,
        "interaction_answers",
        include_str!("../../migrations/0015_interaction_answers.sql"),
    ),
    (
        16,
        "governance",
        include_str!("../../migrations/0016_governance.sql"),
    ),
    (
        17,
        "cab_workflow",
        include_str!("../../migrations/0017_cab_workflow.sql"),
    ),
    (18, "api", include_str!("../../migrations/0018_api.sql")),
    (
        20,
        "platform_neutral",
        include_str!("../../migrations/0020_platform_neutral.sql"),
    ),
    (
        23,
        "attribution",
        include_str!("../../migrations/0023_attribution.sql"),
    ),
    (
        27,
        "poll_reactions",
        include_str!("../../migrations/0027_poll_reactions.sql"),
    ),
    (
        28,
        "deployment_lookups",
        include_str!("../../migrations/0028_deployment_lookups.sql"),
    ),
    (
        29,
        "console_reaction_order",
        include_str!("../../migrations/0029_console_reaction_order.sql"),
    ),
    (
        30,
        "restore_hours",
        include_str!("../../migrations/0030_restore_hours.sql"),
    ),
    (
        31,
        "report_order",
        include_str!("../../migrations/0031_report_order.sql"),
    ),
];

/// The database.
#[derive(Debug, Clone)]
pub struct Db {
    /// The connection pool for reads (and the few single-statement writes).
    pub pool: Pool,
    /// The one connection write transactions use, behind this process's
    /// turn to write (other processes wait in SQLite's busy handler, or on
    /// PostgreSQL's advisory lock). Kept out of the pool: as only it writes,
    /// its page cache stays valid from one command to the next, and no
    /// release ping follows each command.
    writer: Arc<tokio::sync::Mutex<Option<Conn>>>,
    /// Write transactions committed by this process (the checkpointer's cue).
    commits: Arc<AtomicU64>,
    /// Set when a transaction that added to the outbox or the jobs commits.
    queued: Arc<AtomicBool>,
    /// Answers the platform took, forgotten by the next commits.
    taken: Arc<std::sync::Mutex<interactions::Taken>>,
    /// How far window jobs are known to exist, per workspace
    /// ([`Db::materialised_known`]).
    materialised: Arc<std::sync::Mutex<std::collections::HashMap<String, DateTime<Utc>>>>,
}

/// Stores a time so that text order is time order.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Reads a stored time.
pub fn parse_ts(s: &str) -> anyhow::Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(s)
        .with_context(|| format!("stored time {s:?}"))?
        .with_timezone(&Utc))
}

/// Reads an optional stored time.
pub fn parse_ts_opt(s: Option<String>) -> anyhow::Result<Option<DateTime<Utc>>> {
    s.as_deref().map(parse_ts).transpose()
}
