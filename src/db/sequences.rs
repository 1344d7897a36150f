//! Per-guild id sequences (`RFC-n`, `REL-n`, `INC-n`, `KE-n`).

use super::{query_scalar, Conn};

/// Takes the next number of `name` in `guild`.
pub async fn next(conn: &mut Conn, guild: &str, name: &str) -> anyhow::Result<i64> {
    let n: i64 = query_scalar(
        "INSERT INTO sequences (guild, name, last) VALUES ($1, $2, 1)
         ON CONFLICT (guild, name) DO UPDATE SET last = sequences.last + 1
         RETURNING last",
    )
    .bind(guild)
    .bind(name)
    .fetch_one(conn)
    .await?;
    Ok(n)
}
