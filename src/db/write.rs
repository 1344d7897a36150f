//! Single-statement writes on the write connection.

use super::query::{query_with, Args};
use super::row::Done;
use super::tx::{self, Turn};
use super::{Conn, Db};
use std::sync::atomic::Ordering;

impl Db {
    /// Runs one writing statement as its own transaction on the write
    /// connection, in this process's turn to write. On a pooled connection
    /// the same statement would meet the writer's lock in SQLite's busy
    /// handler, which sleeps a millisecond or more each time it finds it taken.
    pub(crate) async fn write_one(&self, sql: &str, args: Args<'_>) -> anyhow::Result<Done> {
        let mut turn = self.write_turn().await;
        self.write_in(&mut turn, sql, args).await
    }

    /// Runs `sql`, writing statements (`$N` placeholders numbered across
    /// them), as one transaction from `BEGIN` to `COMMIT` in one text: one
    /// round trip to the connection. A text that fails midway is rolled
    /// back whole. For bookkeeping that is no record's change (so no audit
    /// entry): what a delivery pass delivered. SQLite only.
    pub(super) async fn write_batch(&self, sql: &str, args: Args<'_>) -> anyhow::Result<()> {
        debug_assert_eq!(self.backend(), super::Backend::Sqlite);
        let mut turn = self.write_turn().await;
        let text = format!("BEGIN IMMEDIATE;\n{sql}COMMIT");
        let done = self.write_in(&mut turn, &text, args).await;
        if let (Err(_), Some(conn)) = (&done, turn.as_mut()) {
            // A statement after the BEGIN failed: the ones before it are undone.
            if tx::rollback(conn).await.is_err_and(|e| tx::broken(&e)) {
                *turn = None;
            }
        }
        done.map(drop)
    }

    /// [`Db::write_one`] in a turn the caller holds.
    pub(super) async fn write_in(&self, turn: &mut Turn, sql: &str, args: Args<'_>) -> anyhow::Result<Done> {
        let conn = match turn.as_mut() {
            Some(conn) => conn,
            None => turn.insert(self.connect_writer().await?),
        };
        // Counted before it runs: whoever sees its effect in the database
        // (on another connection) sees it counted too.
        self.commits.fetch_add(1, Ordering::Release);
        let done = query_with(sql, args).execute(&mut *conn).await;
        if matches!(done, Err(sqlx::Error::WorkerCrashed | sqlx::Error::Io(_))) {
            **turn = None;
        }
        if done.is_err() {
            self.commits.fetch_sub(1, Ordering::Release);
        }
        Ok(done?)
    }
}

/// A connection for statements that write outside a transaction of the
/// bot's (the console platform's messages, reactions and users).
pub enum WritingConn {
    /// The write connection, free when asked for.
    Writer(Turn),
    /// A pooled connection, while a writer has its turn.
    Pooled(Conn),
}

impl Db {
    /// The write connection when no writer has it, else a pooled one. A
    /// change made on another connection makes the write connection read
    /// again every page it touched (SQLite sees the file changed under its
    /// cache), so the console's own rows are written where the commands
    /// write theirs. It never waits for the turn, which its caller may hold
    /// (a pooled write then meets SQLite's lock and fails after the busy
    /// timeout instead of waiting forever). Hold it for the statements
    /// only, never across a command: a command waits for the turn.
    pub async fn writing_conn(&self) -> anyhow::Result<WritingConn> {
        match self.writer.clone().try_lock_owned() {
            Ok(mut turn) => {
                if turn.is_none() {
                    *turn = Some(self.connect_writer().await?);
                }
                Ok(WritingConn::Writer(turn))
            }
            Err(_) => Ok(WritingConn::Pooled(self.pool.acquire().await?)),
        }
    }
}

impl std::ops::Deref for WritingConn {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        match self {
            WritingConn::Writer(turn) => turn.as_ref().expect("opened by writing_conn"),
            WritingConn::Pooled(conn) => conn,
        }
    }
}

impl std::ops::DerefMut for WritingConn {
    fn deref_mut(&mut self) -> &mut Conn {
        match self {
            WritingConn::Writer(turn) => turn.as_mut().expect("opened by writing_conn"),
            WritingConn::Pooled(conn) => conn,
        }
    }
}
