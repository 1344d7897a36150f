//! Checkpoints of the write-ahead log for the long-running bot, which opens
//! the database with SQLite's automatic checkpoints off (see
//! [`super::Db::open_service`]). They run on a connection of their own, so a
//! checkpoint's copying and fsync never hold a pool connection a command
//! is waiting for.
//!
//! After writes, a passive checkpoint (writers and readers carry on); once
//! writes stop, a truncating one, so the log is empty while the bot is
//! idle and a start after a crash has little or nothing to read back.

use sqlx::{ConnectOptions, SqliteConnection};

/// The bot's checkpointer; call [`Checkpointer::tick`] every second or so.
pub struct Checkpointer {
    /// None on PostgreSQL, whose server checkpoints its own log.
    conn: Option<SqliteConnection>,
    /// [`super::Db::commits`] at the last checkpoint.
    seen: u64,
    /// Whether the log was emptied since the last write.
    emptied: bool,
}

/// What a tick did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// Nothing written since the log was emptied.
    Nothing,
    /// Copied the log into the database; writers went on meanwhile.
    Passive,
    /// Copied and emptied the log (no writes since the last tick).
    Truncated,
}

impl Checkpointer {
    /// Opens the checkpointer's own connection to `db`.
    pub async fn open(db: &super::Db) -> anyhow::Result<Checkpointer> {
        let conn = match &db.pool {
            super::Pool::Sqlite(pool) => {
                // Short: a reader in another process must not hold the bot's write turn for long.
                let options = (*pool.connect_options())
                    .clone()
                    .busy_timeout(std::time::Duration::from_millis(50));
                Some(options.connect().await?)
            }
            super::Pool::Postgres(_) => None,
        };
        Ok(Checkpointer {
            conn,
            seen: db.commits(),
            emptied: false,
        })
    }

    /// Checkpoints if anything was written since the last tick; empties the
    /// log when a tick finds no new writes.
    pub async fn tick(&mut self, db: &super::Db) -> anyhow::Result<Done> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(Done::Nothing);
        };
        let commits = db.commits();
        if commits != self.seen {
            self.seen = commits;
            self.emptied = false;
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&mut *conn)
                .await?;
            return Ok(Done::Passive);
        }
        if self.emptied {
            return Ok(Done::Nothing);
        }
        // Truncating waits for writers: take this process's write turn so a
        // command queues behind it instead of sleeping in SQLite's busy handler.
        let _turn = db.write_turn().await;
        let (busy,): (i64,) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut *conn)
            .await?;
        // Busy: a reader (another process, say) holds the log; try again next tick.
        self.emptied = busy == 0;
        Ok(if self.emptied {
            Done::Truncated
        } else {
            Done::Nothing
        })
    }
}
