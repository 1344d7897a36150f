//! Declared freezes, missed windows, and the window-job horizon.

use super::{parse_ts, ts};
use super::{query, query_scalar, Conn};
use crate::domain::calendar::Freeze;
use chrono::{DateTime, Utc};

/// Stores a declared freeze.
pub async fn add_freeze(
    conn: &mut Conn,
    guild: &str,
    f: &Freeze,
    by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    query(
        "INSERT INTO freezes (guild, name, from_at, to_at, reason, declared_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(guild)
    .bind(&f.name)
    .bind(ts(f.from))
    .bind(ts(f.to))
    .bind(&f.reason)
    .bind(by)
    .bind(ts(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Declared freezes that have not ended by `after`.
pub async fn freezes(conn: &mut Conn, guild: &str, after: DateTime<Utc>) -> anyhow::Result<Vec<Freeze>> {
    let rows = query(
        "SELECT name, from_at, to_at, reason FROM freezes WHERE guild = $1 AND to_at > $2 ORDER BY from_at, id",
    )
    .bind(guild)
    .bind(ts(after))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Freeze {
                name: r.try_get("name")?,
                from: parse_ts(r.try_get("from_at")?)?,
                to: parse_ts(r.try_get("to_at")?)?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}

/// Records a missed window of a release of `guild`; false if it was
/// recorded already (or the release is another workspace's).
pub async fn record_missed(
    conn: &mut Conn,
    guild: &str,
    release_row: i64,
    window: &str,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = query(
        "INSERT INTO missed_windows (release_id, window_name, window_start, recorded_at)
         SELECT id, $1, $2, $3 FROM releases WHERE id = $4 AND guild = $5 ON CONFLICT DO NOTHING",
    )
    .bind(window)
    .bind(ts(start))
    .bind(ts(now))
    .bind(release_row)
    .bind(guild)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// How far window jobs exist.
pub async fn materialised_to(conn: &mut Conn, guild: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
    let t: Option<String> = query_scalar("SELECT materialised_to FROM calendar_state WHERE guild = $1")
        .bind(guild)
        .fetch_optional(conn)
        .await?;
    t.as_deref().map(parse_ts).transpose()
}

/// Records how far window jobs exist.
pub async fn set_materialised_to(conn: &mut Conn, guild: &str, to: DateTime<Utc>) -> anyhow::Result<()> {
    query(
        "INSERT INTO calendar_state (guild, materialised_to) VALUES ($1, $2)
         ON CONFLICT (guild) DO UPDATE SET materialised_to = excluded.materialised_to",
    )
    .bind(guild)
    .bind(ts(to))
    .execute(conn)
    .await?;
    Ok(())
}

impl super::Db {
    /// How far this process knows window jobs exist for `guild`: what it
    /// last read or wrote of [`materialised_to`]. The stored value only ever
    /// grows (one writer, [`set_materialised_to`], moves it forward), so the
    /// known one is a lower bound, and a horizon it covers needs no read.
    /// Should the stored one go back (a restored backup, a standby promoted
    /// behind), the known one stops covering within the hour (the horizon
    /// moves with the clock), and the next poll reads and schedules again,
    /// 29 days before any of it falls due.
    pub fn materialised_known(&self, guild: &str) -> Option<DateTime<Utc>> {
        let known = self.materialised.lock().unwrap_or_else(|e| e.into_inner());
        known.get(guild).copied()
    }

    /// Notes what was read or committed of [`materialised_to`].
    pub fn note_materialised(&self, guild: &str, to: DateTime<Utc>) {
        let mut known = self.materialised.lock().unwrap_or_else(|e| e.into_inner());
        let at = known.entry(guild.to_string()).or_insert(to);
        *at = (*at).max(to);
    }
}
