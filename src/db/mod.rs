//! All SQL, one file per table or aggregate. SQLite in WAL mode with foreign
//! keys on and a busy timeout; every write runs in a `BEGIN IMMEDIATE`
//! transaction, so a read-then-write can never fail on a stale snapshot.

pub mod audit;
pub mod calendar;
pub mod checkpoint;
pub mod console;
pub mod deployments;
pub mod incidents;
pub mod interactions;
pub mod jobs;
pub mod metrics;
pub mod outbox;
pub mod packages;
pub mod polls;
pub mod releases;
pub mod rfcs;
pub mod sequences;
pub mod subscriptions;

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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
];

/// The embedded migrations as a source for sqlx's migrator.
#[derive(Debug)]
struct Embedded(i64);

impl<'s> sqlx::migrate::MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<Vec<sqlx::migrate::Migration>, sqlx::error::BoxDynError>>
                + Send
                + 's,
        >,
    > {
        Box::pin(async move {
            Ok(MIGRATIONS
                .iter()
                .filter(|(v, _, _)| *v <= self.0)
                .map(|(v, name, sql)| {
                    sqlx::migrate::Migration::new(
                        *v,
                        (*name).into(),
                        sqlx::migrate::MigrationType::Simple,
                        (*sql).into(),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// A write transaction. It holds this process's turn to write, so writers
/// queue here instead of in SQLite's busy handler, which sleeps for up to
/// tens of milliseconds each time it finds the lock taken.
pub struct Tx {
    inner: Transaction<'static, Sqlite>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
    commits: std::sync::Arc<AtomicU64>,
}

impl Tx {
    /// Commits, and gives the turn to the next writer.
    pub async fn commit(self) -> anyhow::Result<()> {
        self.inner.commit().await?;
        self.commits.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

/// The database.
#[derive(Debug, Clone)]
pub struct Db {
    /// The connection pool.
    pub pool: SqlitePool,
    /// One writer at a time in this process (other processes wait in SQLite's busy handler).
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Write transactions committed by this process (the checkpointer's cue).
    commits: std::sync::Arc<AtomicU64>,
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

impl Db {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or a
    /// plain path) and brings its schema up to date.
    pub async fn open(url: &str) -> anyhow::Result<Db> {
        Self::open_at(url, i64::MAX).await
    }

    /// Opens the database with the migrations up to `version` only (tests
    /// of migrations in sequence against sample data use this).
    pub async fn open_at(url: &str, version: i64) -> anyhow::Result<Db> {
        Self::connect(url, version, true).await
    }

    /// Opens the database for a long-running service: SQLite's automatic
    /// checkpoints are off, so no command pays for one (with its fsync) in
    /// its commit; the service runs a [`checkpoint::Checkpointer`] instead.
    pub async fn open_service(url: &str) -> anyhow::Result<Db> {
        Self::connect(url, i64::MAX, false).await
    }

    /// Write transactions committed through this handle so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Copies the whole write-ahead log into the database and empties it
    /// (waits for readers and writers; for shutdown).
    pub async fn checkpoint_truncate(&self) -> anyhow::Result<()> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn connect(url: &str, version: i64, auto_checkpoint: bool) -> anyhow::Result<Db> {
        let url = if url.starts_with("sqlite:") {
            url.to_string()
        } else {
            format!("sqlite://{url}")
        };
        let options = SqliteConnectOptions::from_str(&url)
            .with_context(|| format!("database URL {url:?}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("wal_autocheckpoint", if auto_checkpoint { "1000" } else { "0" })
            // After a checkpoint resets the log, its file shrinks back to this size.
            .pragma("journal_size_limit", "8388608");
        // A local file needs no liveness ping before each use; that ping was a
        // round trip to the connection's worker thread on every acquire.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .with_context(|| format!("opening {url}"))?;
        let migrator = sqlx::migrate::Migrator::new(Embedded(version))
            .await
            .context("loading migrations")?;
        migrator.run(&pool).await.context("running migrations")?;
        Ok(Db {
            pool,
            writer: Default::default(),
            commits: Default::default(),
        })
    }

    /// Starts a write transaction that holds the write lock from its first statement.
    pub async fn begin(&self) -> anyhow::Result<Tx> {
        let turn = self.write_turn().await;
        let inner = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Tx {
            inner,
            _turn: turn,
            commits: self.commits.clone(),
        })
    }

    /// Waits for this process's turn to write, without starting a transaction.
    async fn write_turn(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.writer.clone().lock_owned().await
    }
}
