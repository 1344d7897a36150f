//! All SQL, one file per table or aggregate. SQLite in WAL mode with foreign
//! keys on and a busy timeout; every write runs in a `BEGIN IMMEDIATE`
//! transaction, so a read-then-write can never fail on a stale snapshot.

pub mod audit;
pub mod backup;
pub mod calendar;
pub mod checkpoint;
pub mod console;
pub mod deployments;
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
pub mod outbox;
pub mod packages;
pub mod pg_migrations;
pub mod polls;
pub mod reactions;
pub mod releases;
pub mod rfcs;
mod scope;
pub mod sequences;
pub mod subscriptions;
pub mod tokens;
mod tx;
pub mod workflow;
mod write;

use tx::Turn;
pub use tx::Tx;

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
pub(crate) use scope::{changed_one, RELEASE_OF_GUILD};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqliteOperation, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, SqliteConnection, SqlitePool};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
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

/// The database.
#[derive(Debug, Clone)]
pub struct Db {
    /// The connection pool for reads (and the few single-statement writes).
    pub pool: SqlitePool,
    /// The one connection write transactions use, behind this process's
    /// turn to write (other processes wait in SQLite's busy handler). Kept
    /// out of the pool: as only it writes, its page cache stays valid from
    /// one command to the next, and no release ping follows each command.
    writer: Arc<tokio::sync::Mutex<Option<SqliteConnection>>>,
    /// Write transactions committed by this process (the checkpointer's cue).
    commits: Arc<AtomicU64>,
    /// Set when a transaction that added to the outbox or the jobs commits.
    queued: Arc<AtomicBool>,
}

/// Tables whose new rows give the bot's delivery worker something to do.
const QUEUES: [&str; 2] = ["outbox", "jobs"];

/// Sets `queued` whenever a transaction on `conn` that inserted into one of
/// [`QUEUES`] commits. SQLite's hooks run inside its own calls, so this
/// costs no statement and no round trip to the connection's thread.
async fn watch_queues(conn: &mut SqliteConnection, queued: Arc<AtomicBool>) -> Result<(), sqlx::Error> {
    let wrote = Arc::new(AtomicBool::new(false));
    let mut handle = conn.lock_handle().await?;
    handle.set_update_hook({
        let wrote = wrote.clone();
        // Only a new row is new work: the delivery pass's own bookkeeping
        // (updates) would otherwise wake the worker again for nothing.
        move |change| {
            if matches!(change.operation, SqliteOperation::Insert) && QUEUES.contains(&change.table) {
                wrote.store(true, Ordering::Relaxed);
            }
        }
    });
    handle.set_commit_hook({
        let wrote = wrote.clone();
        move || {
            if wrote.swap(false, Ordering::Relaxed) {
                queued.store(true, Ordering::Release);
            }
            // true: go on with the commit.
            true
        }
    });
    handle.set_rollback_hook(move || wrote.store(false, Ordering::Relaxed));
    Ok(())
}

/// Adds `value` to the arguments of a statement built at run time.
fn bind<'q, T>(args: &mut SqliteArguments<'q>, value: T) -> anyhow::Result<()>
where
    T: sqlx::Encode<'q, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + 'q,
{
    use sqlx::Arguments;
    // sqlx reports a value it cannot encode as a boxed error.
    args.add(value).map_err(|e| anyhow::anyhow!(e))
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

    /// Whether a transaction that added to the outbox or the jobs committed
    /// since the last call (the cue to deliver and run jobs now rather than
    /// on the next tick).
    pub fn take_queued(&self) -> bool {
        self.queued.swap(false, Ordering::Acquire)
    }

    /// Closes every connection (waits for those in use to come back).
    pub async fn close(&self) {
        if let Some(conn) = self.write_turn().await.take() {
            let _ = conn.close().await;
        }
        self.pool.close().await;
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
        let queued = Arc::new(AtomicBool::new(false));
        let watched = queued.clone();
        // A local file needs no liveness ping before each use; that ping was a
        // round trip to the connection's worker thread on every acquire.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .after_connect(move |conn, _| Box::pin(watch_queues(conn, watched.clone())))
            .connect_with(options)
            .await
            .with_context(|| format!("opening {url}"))?;
        let migrator = sqlx::migrate::Migrator::new(Embedded(version))
            .await
            .context("loading migrations")?;
        migrator.run(&pool).await.context("running migrations")?;
        let db = Db {
            pool,
            writer: Default::default(),
            commits: Default::default(),
            queued,
        };
        // Opened now, so a broken database shows at start, not on the first command.
        let mut turn = db.write_turn().await;
        *turn = Some(
            db.connect_writer()
                .await
                .with_context(|| format!("opening {url} for writing"))?,
        );
        drop(turn);
        Ok(db)
    }

    /// Starts a write transaction that holds the write lock from its first statement.
    pub async fn begin(&self) -> anyhow::Result<Tx> {
        Ok(self.begin_with("", SqliteArguments::default()).await?.0)
    }

    /// Starts a write transaction and runs `first` (statements with their
    /// arguments) in it, in the same round trip to the connection; with the
    /// row they return, if any. Only the last statement may return one: the
    /// statements after a returned row are not run. (Not their changes
    /// count: SQLite reports the last change before the `BEGIN` for the
    /// `BEGIN` itself.)
    pub async fn begin_with(
        &self,
        first: &str,
        args: SqliteArguments<'_>,
    ) -> anyhow::Result<(Tx, Option<SqliteRow>)> {
        let mut turn = self.write_turn().await;
        let conn = match turn.as_mut() {
            Some(conn) => conn,
            None => turn.insert(self.connect_writer().await?),
        };
        // A plain statement: sqlx's own begin would add a round trip to check it.
        let sql = format!("BEGIN IMMEDIATE;\n{first}");
        match sqlx::query_with(&sql, args).fetch_optional(&mut *conn).await {
            Ok(row) => Ok((
                Tx {
                    turn: Some(turn),
                    commits: self.commits.clone(),
                    audit: Vec::new(),
                },
                row,
            )),
            Err(e) => {
                // The BEGIN may have run before a later statement failed.
                // If it did not, this ROLLBACK fails harmlessly.
                let broken = |e: &sqlx::Error| matches!(e, sqlx::Error::WorkerCrashed | sqlx::Error::Io(_));
                if broken(&e)
                    || sqlx::query("ROLLBACK")
                        .execute(&mut *conn)
                        .await
                        .is_err_and(|r| broken(&r))
                {
                    *turn = None;
                }
                Err(e.into())
            }
        }
    }

    /// Opens the write connection with the pool's options, watched like the pool's.
    async fn connect_writer(&self) -> anyhow::Result<SqliteConnection> {
        let mut conn = self.pool.connect_options().connect().await?;
        watch_queues(&mut conn, self.queued.clone()).await?;
        Ok(conn)
    }

    /// Waits for this process's turn to write, without starting a transaction.
    async fn write_turn(&self) -> Turn {
        self.writer.clone().lock_owned().await
    }
}
