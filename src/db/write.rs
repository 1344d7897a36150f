//! Single-statement writes on the write connection.

use super::query::{query_with, Args};
use super::row::Done;
use super::tx::Turn;
use super::Db;
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
