//! A write transaction: this process's turn to write, rolled back unless committed.

use super::audit;
use crate::domain::audit::AuditEntry;
use sqlx::SqliteConnection;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The write connection, while one writer has its turn; `None` until
/// opened, and again after it broke (the next writer reopens it).
pub(super) type Turn = tokio::sync::OwnedMutexGuard<Option<SqliteConnection>>;

/// A write transaction. It holds this process's turn to write, so writers
/// queue here instead of in SQLite's busy handler, which sleeps for up to
/// tens of milliseconds each time it finds the lock taken. Dropped without
/// [`Tx::commit`], it is rolled back before the next writer's turn.
pub struct Tx {
    /// Some until committed.
    pub(super) turn: Option<Turn>,
    pub(super) commits: Arc<AtomicU64>,
    /// Audit entries to write with the commit (see [`audit::append`]).
    pub(super) audit: Vec<(String, AuditEntry)>,
}

impl Tx {
    /// Writes the audit entries and commits, in one round trip to the
    /// connection; gives the turn to the next writer.
    pub async fn commit(mut self) -> anyhow::Result<()> {
        let (sql, args) = audit::written_before(&self.audit, "COMMIT")?;
        sqlx::query_with(&sql, args).execute(&mut *self).await?;
        // Committed: nothing for Drop to roll back.
        self.turn = None;
        self.commits.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        let Some(mut turn) = self.turn.take() else {
            return;
        };
        // The task keeps the turn until the rollback is done. Without a
        // runtime the connection is closed instead, which rolls back too.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Some(conn) = turn.as_mut() {
                    if let Err(e) = sqlx::query("ROLLBACK").execute(conn).await {
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
    type Target = SqliteConnection;
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
