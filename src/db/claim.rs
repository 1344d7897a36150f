//! Outbox claims on PostgreSQL, where several instances share one outbox.

use super::{query, query_scalar, ts};
use crate::chat::Posted;
use chrono::{DateTime, Utc};

/// An entry claimed for sending on PostgreSQL: its row locked (`FOR UPDATE
/// SKIP LOCKED`) in a transaction of its own until the send is recorded, so
/// a second instance — a deposed leader still finishing its pass — neither
/// sends it too nor waits for it. A crash ends the transaction and frees
/// the row, still undelivered: it goes again with the same nonce, and the
/// platform answers with the first post.
pub struct Claim(sqlx::Transaction<'static, sqlx::Postgres>);

/// Claims entry `id` if it still waits to be delivered and no other
/// instance holds it (None otherwise). PostgreSQL only: SQLite has one
/// writing process, the file lock's holder.
pub async fn claim(db: &super::Db, id: i64) -> anyhow::Result<Option<Claim>> {
    let super::Pool::Postgres(pool) = &db.pool else {
        anyhow::bail!("outbox claims are for PostgreSQL");
    };
    let mut tx = pool.begin().await?;
    let held: Option<i64> = query_scalar(
        "SELECT id FROM outbox WHERE id = $1 AND delivered_at IS NULL AND superseded = 0 FOR UPDATE SKIP LOCKED",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(held.map(|_| Claim(tx)))
}

impl Claim {
    /// Frees the row unsent, now. Dropped instead, the claim's rollback
    /// waits for its connection's next use, and the row stays locked (a
    /// failed send's retry record, or another instance, would meet it).
    pub async fn give_back(self) -> anyhow::Result<()> {
        self.0.rollback().await?;
        Ok(())
    }

    /// Records entry `id` (of bot message `message_id`, now at `posted` if
    /// a post) delivered at `now`, and frees its row.
    pub async fn delivered(
        mut self,
        id: i64,
        message_id: i64,
        posted: Option<&Posted>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        if let Some(p) = posted {
            query("UPDATE bot_messages SET platform_id = $1, channel = COALESCE(channel, $2) WHERE id = $3")
                .bind(p.id.clone())
                .bind(p.channel.clone())
                .bind(message_id)
                .execute(&mut *self.0)
                .await?;
        }
        query("UPDATE outbox SET delivered_at = $1, attempts = attempts + 1 WHERE id = $2")
            .bind(ts(now))
            .bind(id)
            .execute(&mut *self.0)
            .await?;
        self.0.commit().await?;
        Ok(())
    }
}
