//! A write transaction: this process's turn to write, rolled back unless committed.

use super::conn::{Conn, Link};
use super::interactions::{self, Recorded, Taken};
use super::query::{query, query_with, Args};
use super::row::Row;
use super::Db;
use super::{audit, console, Backend};
use crate::domain::audit::AuditEntry;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The write connection, while one writer has its turn; `None` until
/// opened, and again after it broke (the next writer reopens it).
pub(super) type Turn = tokio::sync::OwnedMutexGuard<Option<Conn>>;

/// The advisory lock every write transaction on PostgreSQL takes first, so
/// the writers of several instances on one database take turns as SQLite's
/// `BEGIN IMMEDIATE` makes them: the read-then-write code relies on it.
pub const WRITE_LOCK: i64 = 0x7265_6c64_6573_6b57; // "reldeskW"

/// `BEGIN` and [`WRITE_LOCK`], as one text (one round trip).
const BEGIN_LOCKED: &str = "BEGIN; SELECT pg_advisory_xact_lock(8243113871426153303)";

/// A write transaction. It holds this process's turn to write, so writers
/// queue here instead of in SQLite's busy handler, which sleeps for up to
/// tens of milliseconds each time it finds the lock taken. Dropped without
/// [`Tx::commit`], it is rolled back before the next writer's turn.
pub struct Tx {
    /// Some until committed.
    pub(super) turn: Option<Turn>,
    pub(super) commits: Arc<AtomicU64>,
    /// The database's cue to the delivery worker (set on PostgreSQL by the
    /// commit; SQLite's commit hook sets it there).
    queued: Arc<AtomicBool>,
    /// Audit entries to write with the commit (see [`audit::append`]).
    pub(super) audit: Vec<(String, AuditEntry)>,
    /// The command's answer, recorded by the commit ([`interactions::record`]).
    pub(super) answer: Option<Recorded>,
    /// The console's message of the command's answer, posted by the commit
    /// ([`super::console::post_by_commit`]): channel and text.
    pub(super) console_post: Option<(String, String)>,
    /// The taken answers of the database, some forgotten by the commit.
    taken: Arc<Mutex<Taken>>,
}

/// A connection that broke: the next writer opens a new one.
pub(super) fn broken(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::WorkerCrashed | sqlx::Error::Io(_))
}

/// Ends the transaction on `conn` without its changes.
pub(super) async fn rollback(conn: &mut Conn) -> Result<(), sqlx::Error> {
    conn.queued = false;
    match &mut conn.link {
        Link::Postgres(c) => sqlx::Executor::execute(c, sqlx::raw_sql("ROLLBACK"))
            .await
            .map(drop),
        _ => query("ROLLBACK").execute(conn).await.map(drop),
    }
}

impl Db {
    /// Starts a write transaction that holds the write lock from its first statement.
    pub async fn begin(&self) -> anyhow::Result<Tx> {
        Ok(self.begin_with("", self.args()).await?.0)
    }

    /// Starts a write transaction and runs `first` (statements with their
    /// arguments) in it, in the same round trip to the connection on
    /// SQLite; with the row they return, if any. Only the last statement may
    /// return one: the statements after a returned row are not run. (Not
    /// their changes count: SQLite reports the last change before the
    /// `BEGIN` for the `BEGIN` itself.) On PostgreSQL `first` is one statement.
    pub async fn begin_with(&self, first: &str, args: Args<'_>) -> anyhow::Result<(Tx, Option<Row>)> {
        let mut turn = self.write_turn().await;
        let conn = match turn.as_mut() {
            Some(conn) => conn,
            None => turn.insert(self.connect_writer().await?),
        };
        conn.queued = false;
        let started = match &mut conn.link {
            Link::Postgres(c) => {
                // A plain (simple protocol) text: BEGIN and the lock in one round trip.
                let begun = sqlx::Executor::execute(&mut *c, sqlx::raw_sql(BEGIN_LOCKED))
                    .await
                    .map(drop);
                match begun {
                    Ok(()) if first.is_empty() => Ok(None),
                    Ok(()) => query_with(first, args).fetch_optional(&mut *conn).await,
                    Err(e) => Err(e),
                }
            }
            _ if first.is_empty() => {
                // The first statement carries the BEGIN ([`Conn::begin_owed`]).
                conn.begin_owed = true;
                Ok(None)
            }
            _ => {
                // A plain statement: sqlx's own begin would add a round trip to check it.
                let sql = format!("BEGIN IMMEDIATE;\n{first}");
                query_with(&sql, args).fetch_optional(&mut *conn).await
            }
        };
        match started {
            Ok(row) => Ok((
                Tx {
                    turn: Some(turn),
                    commits: self.commits.clone(),
                    queued: self.queued.clone(),
                    audit: Vec::new(),
                    answer: None,
                    console_post: None,
                    taken: self.taken.clone(),
                },
                row,
            )),
            Err(e) => {
                // The BEGIN may have run before a later statement failed.
                // If it did not, this ROLLBACK fails harmlessly.
                if broken(&e) || rollback(conn).await.is_err_and(|r| broken(&r)) {
                    *turn = None;
                }
                Err(e.into())
            }
        }
    }
}

impl Tx {
    /// Writes the audit entries and the answer, forgets a few taken answers
    /// ([`interactions::taken`]) and commits, in one round trip to the
    /// connection on SQLite; gives the turn to the next writer.
    pub async fn commit(self) -> anyhow::Result<()> {
        self.commit_posting().await.map(drop)
    }

    /// [`Tx::commit`], with the id of the console message it posted, if
    /// one was to be ([`super::console::post_by_commit`]).
    pub async fn commit_posting(mut self) -> anyhow::Result<Option<i64>> {
        let audit = std::mem::take(&mut self.audit);
        let answer = self.answer.take();
        let post = self.console_post.take();
        let taken = interactions::carry(&self.taken);
        let ids: Vec<&str> = taken.iter().map(|(_, id)| id.as_str()).collect();
        if self.begin_owed && audit.is_empty() && answer.is_none() && post.is_none() && ids.is_empty() {
            // Not begun, nothing to write: nothing to commit.
            self.begin_owed = false;
            self.turn = None;
            return Ok(None);
        }
        // Counted before the COMMIT is sent: whoever sees the commit in the
        // database (on another connection) sees it counted too.
        self.commits.fetch_add(1, Ordering::Release);
        let conn: &mut Conn = &mut self;
        let posted = match finish(conn, &audit, answer, post, &ids).await {
            Ok(posted) => posted,
            Err(e) => {
                self.commits.fetch_sub(1, Ordering::Release);
                // Still owed: the next commit, or the fallback, forgets them.
                interactions::put_back(&self.taken, taken);
                return Err(e);
            }
        };
        // SQLite's commit hook tells by itself.
        if conn.backend() == Backend::Postgres && std::mem::take(&mut conn.queued) {
            self.queued.store(true, Ordering::Release);
        }
        // Committed: nothing for Drop to roll back.
        self.turn = None;
        Ok(posted)
    }
}

/// Writes what a commit writes, then `COMMIT`; the id of the console
/// message posted, if one was.
async fn finish(
    conn: &mut Conn,
    audit: &[(String, AuditEntry)],
    answer: Option<Recorded>,
    post: Option<(String, String)>,
    taken: &[&str],
) -> anyhow::Result<Option<i64>> {
    match conn.backend() {
        Backend::Postgres => {
            audit::write(conn, audit).await?;
            let mut args = Args::new(Backend::Postgres);
            if let Some(sql) = interactions::written(Backend::Postgres, answer, taken, &mut args)? {
                query_with(&sql, args).execute(&mut *conn).await?;
            }
            let mut posted = None;
            if let Some((channel, body)) = post {
                posted = Some(console::post(conn, &channel, &body, None).await?.0);
            }
            if let Link::Postgres(c) = &mut conn.link {
                sqlx::Executor::execute(c, sqlx::raw_sql("COMMIT")).await?;
            }
            Ok(posted)
        }
        Backend::Sqlite => {
            // Taken even if the text fails: the transaction may have begun,
            // and the rollback after it ends it.
            let begin = if std::mem::take(&mut conn.begin_owed) {
                "BEGIN IMMEDIATE;\n"
            } else {
                ""
            };
            let (audit_sql, mut args) = audit::written_before(audit, "")?;
            let mut sql = format!("{begin}{audit_sql}");
            if let Some(more) = interactions::written(Backend::Sqlite, answer, taken, &mut args)? {
                sql.push_str(&more);
            }
            // The text's last insert: its rowid is what the commit leaves.
            let posting = post.is_some();
            if let Some((channel, body)) = post {
                sql.push_str(console::POSTED_BY_COMMIT);
                args.add(channel)?;
                args.add(body)?;
            }
            sql.push_str("COMMIT");
            let done = query_with(&sql, args).execute(conn).await?;
            Ok(posting.then_some(done.last_rowid))
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        let Some(mut turn) = self.turn.take() else {
            return;
        };
        if let Some(conn) = turn.as_mut().filter(|c| c.begin_owed) {
            // Never begun: nothing to roll back.
            conn.begin_owed = false;
            return;
        }
        // The task keeps the turn until the rollback is done. Without a
        // runtime the connection is closed instead, which rolls back too.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Some(conn) = turn.as_mut() {
                    if let Err(e) = rollback(conn).await {
                        tracing::warn!(error = %e, "rollback failed; the write connection is reopened");
                        *turn = None;
                    }
                }
            });
        } else {
            *turn = None;
        }
    }
}

impl std::ops::Deref for Tx {
    type Target = Conn;
    fn deref(&self) -> &Self::Target {
        self.turn
            .as_ref()
            .and_then(|t| t.as_ref())
            .expect("a transaction has its connection until committed")
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.turn
            .as_mut()
            .and_then(|t| t.as_mut())
            .expect("a transaction has its connection until committed")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_lock_in_the_text_is_the_constant() {
        assert!(super::BEGIN_LOCKED.contains(&format!("({})", super::WRITE_LOCK)));
    }
}
