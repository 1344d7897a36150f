//! Who leads on PostgreSQL: a session-level advisory lock, one key per
//! served workspace, held on a connection of its own (a pooled connection
//! would take the lock with it back into the pool, and a recycled one would
//! drop it). The session ending — the process killed, its machine gone,
//! the connection cut — frees the lock, and a standby's next attempt takes
//! it. On SQLite there is nothing to contend for: the OS file lock
//! (`super::lock`) already keeps a second bot out, so the one instance leads.

use anyhow::Context;
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// The `application_name` of the lock's connection, so that an operator
/// finds it in `pg_stat_activity` (and a test can cut it).
pub const APPLICATION_NAME: &str = "release-desk leader";

/// Whether this process may act for its workspace — connect to the chat
/// platform, deliver the outbox, run jobs. Cloned handles share one state.
#[derive(Clone, Default)]
pub struct Leader(Option<Arc<Contended>>);

/// The state of a leadership that other instances contend for.
struct Contended {
    options: PgConnectOptions,
    /// How long a check of the lock may take before it counts as lost.
    check_within: Duration,
    conn: tokio::sync::Mutex<Option<PgConnection>>,
    key: Mutex<Option<i64>>,
    leading: AtomicBool,
    lost: AtomicBool,
    /// Why it was lost, for every check after.
    why: Mutex<String>,
    lost_now: Notify,
}

/// Whether `url` names a PostgreSQL database.
pub fn is_postgres(url: &str) -> bool {
    let url = url.trim_start();
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The lock key of a workspace: the first eight bytes of a hash of its id,
/// so that instances serving different workspaces on one database never
/// keep each other waiting.
pub fn lock_key(workspace: &str) -> i64 {
    let digest = Sha256::digest(format!("release-desk leader\0{workspace}"));
    i64::from_be_bytes(digest[..8].try_into().expect("a SHA-256 digest has 32 bytes"))
}

impl Leader {
    /// The only instance: it always leads (SQLite, the console, tests).
    pub fn single() -> Leader {
        Leader(None)
    }

    /// The leadership of the database at `url`: contended on PostgreSQL,
    /// [`Leader::single`] otherwise. `check_within` bounds each check of
    /// the lock; `keepalive_idle` is how long the server lets the lock's
    /// connection be silent before it probes whether this process is still
    /// there (two probes a second apart, then the session ends).
    pub fn for_database(
        url: &str,
        check_within: Duration,
        keepalive_idle: Duration,
    ) -> anyhow::Result<Leader> {
        if !is_postgres(url) {
            return Ok(Leader::single());
        }
        // The URL carries the password: it goes in no message.
        let options = PgConnectOptions::from_str(url)
            .map_err(|_| anyhow::anyhow!("database.url: not a PostgreSQL URL sqlx can read"))?
            .application_name(APPLICATION_NAME)
            .options([
                ("tcp_keepalives_idle", keepalive_idle.as_secs().max(1).to_string()),
                ("tcp_keepalives_interval", "1".to_string()),
                ("tcp_keepalives_count", "2".to_string()),
            ]);
        Ok(Leader(Some(Arc::new(Contended {
            options,
            check_within,
            conn: Default::default(),
            key: Default::default(),
            leading: AtomicBool::new(false),
            lost: AtomicBool::new(false),
            why: Default::default(),
            lost_now: Notify::new(),
        }))))
    }

    /// Whether other instances may contend for the leadership (PostgreSQL).
    pub fn contended(&self) -> bool {
        self.0.is_some()
    }

    /// Whether this instance leads now (as far as the last check knows).
    pub fn leading(&self) -> bool {
        self.0
            .as_ref()
            .is_none_or(|c| c.leading.load(Ordering::Acquire) && !c.lost.load(Ordering::Acquire))
    }

    /// Tries once to take the lock of `workspace`: true when this instance
    /// leads now. Connects first if the lock's connection is not open; an
    /// error leaves it closed, for the next attempt to open again.
    pub async fn try_take(&self, workspace: &str) -> anyhow::Result<bool> {
        let Some(c) = &self.0 else { return Ok(true) };
        anyhow::ensure!(
            !c.lost.load(Ordering::Acquire),
            "this instance lost the leadership"
        );
        if c.leading.load(Ordering::Acquire) {
            return Ok(true);
        }
        let key = lock_key(workspace);
        let mut conn = c.conn.lock().await;
        if conn.is_none() {
            let opened = c
                .options
                .connect()
                .await
                .context("connecting for the leader's lock")?;
            *conn = Some(opened);
        }
        let taken = sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(conn.as_mut().expect("opened above"))
            .await;
        match taken {
            Ok(taken) => {
                if taken {
                    *c.key.lock().unwrap_or_else(|p| p.into_inner()) = Some(key);
                    c.leading.store(true, Ordering::Release);
                }
                Ok(taken)
            }
            Err(e) => {
                *conn = None;
                Err(e).context("asking for the leader's lock")
            }
        }
    }

    /// Whether this instance still holds the lock — asked of the lock's own
    /// connection, within the time given, before each delivery and each job
    /// run. Once a check fails, every later one fails at once: an instance
    /// that lost the lock stops sending and never starts again by itself.
    pub async fn check(&self) -> Result<(), Lost> {
        let Some(c) = &self.0 else { return Ok(()) };
        if c.lost.load(Ordering::Acquire) {
            return Err(Lost(c.why.lock().unwrap_or_else(|p| p.into_inner()).clone()));
        }
        let key = *c.key.lock().unwrap_or_else(|p| p.into_inner());
        // Not taken yet is not lost: nothing may act before it is taken.
        let Some(key) = key else {
            return Err(Lost("not taken yet".into()));
        };
        let mut conn = c.conn.lock().await;
        let held = match conn.as_mut() {
            Some(conn) => tokio::time::timeout(c.check_within, holds(conn, key)).await,
            None => Ok(Ok(false)),
        };
        let why = match held {
            Ok(Ok(true)) => return Ok(()),
            Ok(Ok(false)) => "the lock is no longer held".to_string(),
            Ok(Err(e)) => format!("the lock's connection failed: {e}"),
            Err(_) => format!(
                "the lock's connection did not answer within {} ms",
                c.check_within.as_millis()
            ),
        };
        // Closed, so that the session (and whatever it still holds) ends now.
        if let Some(conn) = conn.take() {
            drop(conn);
        }
        c.leading.store(false, Ordering::Release);
        *c.why.lock().unwrap_or_else(|p| p.into_inner()) = why.clone();
        if !c.lost.swap(true, Ordering::AcqRel) {
            c.lost_now.notify_waiters();
        }
        Err(Lost(why))
    }

    /// Resolves once a check found the lock gone; never on the only instance.
    pub async fn lost(&self) {
        let Some(c) = &self.0 else {
            return std::future::pending().await;
        };
        loop {
            let notified = c.lost_now.notified();
            if c.lost.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }

    /// The lock's connection, closed cleanly (the lock goes with it): for a
    /// clean shutdown, so that a standby need not wait for the server to notice.
    pub async fn release(&self) {
        let Some(c) = &self.0 else { return };
        c.leading.store(false, Ordering::Release);
        if let Some(conn) = c.conn.lock().await.take() {
            let _ = conn.close().await;
        }
    }
}

/// Why an instance no longer leads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this instance no longer holds the leader's lock ({0})")]
pub struct Lost(pub String);

async fn holds(conn: &mut PgConnection, key: i64) -> Result<bool, sqlx::Error> {
    // A bigint advisory key shows in pg_locks as its high and low 32 bits.
    let (high, low) = ((key as u64 >> 32) as i64, (key as u64 & 0xffff_ffff) as i64);
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
           AND granted AND objsubid = 1 AND classid::bigint = $1 AND objid::bigint = $2)",
    )
    .bind(high)
    .bind(low)
    .fetch_one(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_postgres_urls_are_contended_and_keys_differ_by_workspace() {
        assert!(is_postgres("postgres://u:p@h/db"));
        assert!(is_postgres("postgresql://h/db"));
        assert!(!is_postgres("sqlite://x.sqlite"));
        assert!(!is_postgres("x.sqlite"));
        let single = Leader::for_database(
            "sqlite://x.sqlite",
            Duration::from_secs(1),
            Duration::from_secs(1),
        )
        .unwrap();
        assert!(!single.contended() && single.leading());
        let pg = Leader::for_database(
            "postgres://u:p@127.0.0.1:1/db",
            Duration::from_secs(1),
            Duration::from_secs(1),
        )
        .unwrap();
        assert!(
            pg.contended() && !pg.leading(),
            "a contended leadership starts as a standby"
        );
        assert_eq!(lock_key("1000"), lock_key("1000"));
        assert_ne!(lock_key("1000"), lock_key("1001"));
    }

    #[tokio::test]
    async fn nothing_acts_before_the_lock_is_taken() {
        let pg = Leader::for_database(
            "postgres://u:p@127.0.0.1:1/db",
            Duration::from_secs(1),
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(pg.check().await, Err(Lost("not taken yet".into())));
        // No server there: an error for the caller to retry, and no password in it.
        let e = format!("{:#}", pg.try_take("1000").await.unwrap_err());
        assert!(
            e.contains("connecting for the leader's lock") && !e.contains(":p@"),
            "{e}"
        );
        assert!(!pg.leading());
        assert!(Leader::single().check().await.is_ok());
    }
}
