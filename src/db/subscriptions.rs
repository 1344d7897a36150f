//! Who follows which releases, and where.

use super::ts;
use super::{query, Conn};
use crate::domain::governance::Via;
use chrono::{DateTime, Utc};

/// One subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The subscriber.
    pub user: String,
    /// Their name.
    pub user_name: String,
    /// `all`, or a release number.
    pub target: String,
    /// Where they are told.
    pub via: Via,
    /// The channel subscribed from.
    pub channel: String,
}

/// Adds a subscription; false if it existed.
pub async fn add(conn: &mut Conn, guild: &str, s: &Subscription, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let done = query(
        "INSERT INTO subscriptions (guild, \"user\", user_name, target, via, channel, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT DO NOTHING",
    )
    .bind(guild)
    .bind(&s.user)
    .bind(&s.user_name)
    .bind(&s.target)
    .bind(s.via.key())
    .bind(&s.channel)
    .bind(ts(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes a subscription; false if there was none.
pub async fn remove(
    conn: &mut Conn,
    guild: &str,
    user: &str,
    target: &str,
    via: Via,
) -> anyhow::Result<bool> {
    let done =
        query("DELETE FROM subscriptions WHERE guild = $1 AND \"user\" = $2 AND target = $3 AND via = $4")
            .bind(guild)
            .bind(user)
            .bind(target)
            .bind(via.key())
            .execute(conn)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// Subscribers of one release (directly or through `all`), oldest first.
pub async fn for_release(conn: &mut Conn, guild: &str, number: i64) -> anyhow::Result<Vec<Subscription>> {
    let rows = query(
        "SELECT \"user\", user_name, target, via, channel FROM subscriptions WHERE guild = $1 AND (target = 'all' OR target = $2)
         ORDER BY created_at, \"user\"",
    )
    .bind(guild)
    .bind(number.to_string())
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Subscription {
                user: r.try_get("user")?,
                user_name: r.try_get("user_name")?,
                target: r.try_get("target")?,
                via: Via::from_key(&r.try_get::<String, _>("via")?)
                    .ok_or_else(|| anyhow::anyhow!("stored subscription via"))?,
                channel: r.try_get("channel")?,
            })
        })
        .collect()
}
