//! Single-statement writes on the write connection.

use super::Db;
use sqlx::sqlite::{SqliteArguments, SqliteQueryResult};
use std::sync::atomic::Ordering;

impl Db {
    /// Runs one writing statement as its own transaction on the write
    /// connection, in this process's turn to write. On a pooled connection
    /// the same statement would meet the writer's lock in SQLite's busy
    /// handler, which sleeps a millisecond or more each time it finds it taken.
    pub(crate) async fn write_one(
        &self,
        sql: &str,
        args: SqliteArguments<'_>,
    ) -> anyhow::Result<SqliteQueryResult> {
        let mut turn = self.write_turn().await;
        let conn = match turn.as_mut() {
            Some(conn) => conn,
            None => turn.insert(self.connect_writer().await?),
        };
        let done = sqlx::query_with(sql, args).execute(&mut *conn).await;
        if matches!(done, Err(sqlx::Error::WorkerCrashed | sqlx::Error::Io(_))) {
            *turn = None;
        }
        let done = done?;
        self.commits.fetch_add(1, Ordering::Relaxed);
        Ok(done)
    }
}
