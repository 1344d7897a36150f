//! Opening the database: an SQLite file (the embedded default) or, for a
//! `postgres://` URL, a PostgreSQL server. Either way one pool for reads
//! and one dedicated write connection, so one process keeps one writer.

use super::conn::{Backend, Conn, Link, Pool};
use super::pg_migrations::{Embedded, PG_MIGRATIONS};
use super::query::Args;
use super::{Db, MIGRATIONS};
use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqliteOperation, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, SqliteConnection};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Tables whose new rows give the bot's delivery worker something to do.
const QUEUES: [&str; 2] = ["outbox", "jobs"];

/// Whether `url` names a PostgreSQL server rather than an SQLite file.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// `url` with its password (in the authority or a `password=` parameter)
/// replaced by `***`, for logs and errors.
pub fn redacted(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme) = out.find("://") {
        let start = scheme + 3;
        let end = out[start..].find(['/', '?']).map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..end].rfind('@') {
            if let Some(colon) = out[start..start + at].find(':') {
                out.replace_range(start + colon + 1..start + at, "***");
            }
        }
    }
    if let Some(q) = out.find('?') {
        let (base, params) = out.split_at(q + 1);
        let params: Vec<String> = params
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        out = format!("{base}{}", params.join("&"));
    }
    out
}

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

impl Db {
    /// Opens (creating if needed) the database at `url` (`sqlite://path`, a
    /// plain path, or `postgres://…`) and brings its schema up to date.
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
    /// its commit; the service runs a [`super::checkpoint::Checkpointer`] instead.
    pub async fn open_service(url: &str) -> anyhow::Result<Db> {
        Self::connect(url, i64::MAX, false).await
    }

    /// The backend this database runs on.
    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// Empty arguments for a statement built at run time on this database.
    pub fn args(&self) -> Args<'static> {
        Args::new(self.backend())
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
            conn.close().await;
        }
        self.pool.close().await;
    }

    /// Write transactions committed through this handle so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    /// Copies the whole write-ahead log into the database and empties it
    /// (waits for readers and writers; for shutdown). Nothing on PostgreSQL,
    /// whose server owns its log.
    pub async fn checkpoint_truncate(&self) -> anyhow::Result<()> {
        if let Pool::Sqlite(pool) = &self.pool {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    async fn connect(url: &str, version: i64, auto_checkpoint: bool) -> anyhow::Result<Db> {
        let queued = Arc::new(AtomicBool::new(false));
        let shown = redacted(url);
        let pool = if is_postgres(url) {
            Self::connect_postgres(url, &shown, version).await?
        } else {
            Self::connect_sqlite(url, version, auto_checkpoint, queued.clone()).await?
        };
        let db = Db {
            pool,
            writer: Default::default(),
            commits: Default::default(),
            queued,
            taken: Default::default(),
            materialised: Default::default(),
        };
        // Opened now, so a broken database shows at start, not on the first command.
        let mut turn = db.write_turn().await;
        *turn = Some(
            db.connect_writer()
                .await
                .with_context(|| format!("opening {shown} for writing"))?,
        );
        drop(turn);
        Ok(db)
    }

    async fn connect_sqlite(
        url: &str,
        version: i64,
        auto_checkpoint: bool,
        queued: Arc<AtomicBool>,
    ) -> anyhow::Result<Pool> {
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
            .after_connect(move |conn, _| Box::pin(watch_queues(conn, queued.clone())))
            .connect_with(options)
            .await
            .with_context(|| format!("opening {url}"))?;
        let migrator = sqlx::migrate::Migrator::new(Embedded {
            set: MIGRATIONS,
            version,
        })
        .await
        .context("loading migrations")?;
        migrator.run(&pool).await.context("running migrations")?;
        Ok(Pool::Sqlite(pool))
    }

    /// No TLS: the server is expected on the host or in a private network
    /// (sqlx's TLS features would add a TLS stack to every build).
    async fn connect_postgres(url: &str, shown: &str, version: i64) -> anyhow::Result<Pool> {
        // sqlx's parse errors can quote the URL; ours names it without its password.
        let options = PgConnectOptions::from_str(url)
            .map_err(|_| anyhow::anyhow!("database URL {shown:?} is not a valid PostgreSQL URL"))?
            .application_name("release-desk");
        // Unlike a local file, a server's connection can die between uses
        // (a restart, a network drop): the pool's ping before each use stays.
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .with_context(|| format!("opening {shown}"))?;
        let migrator = sqlx::migrate::Migrator::new(Embedded {
            set: PG_MIGRATIONS,
            version,
        })
        .await
        .context("loading migrations")?;
        migrator.run(&pool).await.context("running migrations")?;
        Ok(Pool::Postgres(pool))
    }

    /// Opens the write connection with the pool's options (on SQLite,
    /// watched like the pool's).
    pub(super) async fn connect_writer(&self) -> anyhow::Result<Conn> {
        Ok(Conn::new(match &self.pool {
            Pool::Sqlite(pool) => {
                let mut conn = pool.connect_options().connect().await?;
                watch_queues(&mut conn, self.queued.clone()).await?;
                Link::Sqlite(conn)
            }
            Pool::Postgres(pool) => Link::Postgres(pool.connect_options().connect().await?),
        }))
    }

    /// Waits for this process's turn to write, without starting a transaction.
    pub(super) async fn write_turn(&self) -> super::tx::Turn {
        self.writer.clone().lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn a_password_never_shows() {
        assert_eq!(
            redacted("postgres://desk:s3cret@db:5432/desk"),
            "postgres://desk:***@db:5432/desk"
        );
        assert_eq!(
            redacted("postgresql://desk@db/desk?password=s3cret&sslmode=disable"),
            "postgresql://desk@db/desk?password=***&sslmode=disable"
        );
        assert_eq!(redacted("postgres://db/desk"), "postgres://db/desk");
        assert_eq!(redacted("/var/lib/desk.db"), "/var/lib/desk.db");
    }
}
