//! API tokens (only their digests) and the kept answers of idempotent POSTs.

use super::{audit, parse_ts, parse_ts_opt, ts, Db};
use super::{query, Conn};
use crate::domain::audit::AuditEntry;
use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;

/// A token as listed: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Its name, the actor of what it does.
    pub name: String,
    /// Its scopes, as stored (`readiness,results`).
    pub scopes: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token of that name exists already in the workspace.
#[derive(Debug, thiserror::Error)]
#[error("a token called {0:?} exists already")]
pub struct NameTaken(pub String);

fn entry(now: DateTime<Utc>, name: &str, action: &str, after: Option<String>) -> AuditEntry {
    AuditEntry {
        at: now,
        actor: "cli".into(),
        actor_name: "release-desk token".into(),
        record: format!("token:{name}"),
        action: action.into(),
        before: None,
        after: after.map(Into::into),
    }
}

/// Stores a new token's digest; [`NameTaken`] when the name is in use (revoked or not).
pub async fn create(
    db: &Db,
    guild: &str,
    name: &str,
    scopes: &str,
    digest: &[u8; 32],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    let done = query(
        "INSERT INTO api_tokens (guild, name, hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (guild, name) DO NOTHING",
    )
    .bind(guild)
    .bind(name)
    .bind(hex::encode(digest))
    .bind(scopes)
    .bind(ts(now))
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(NameTaken(name.to_string()).into());
    }
    audit::append(
        &mut tx,
        guild,
        entry(now, name, "token.create", Some(scopes.to_string())),
    );
    tx.commit().await
}

/// Every token of the workspace, by name.
pub async fn list(conn: &mut Conn, guild: &str) -> anyhow::Result<Vec<TokenInfo>> {
    let rows =
        query("SELECT name, scopes, created_at, revoked_at FROM api_tokens WHERE guild = $1 ORDER BY name")
            .bind(guild)
            .fetch_all(conn)
            .await?;
    rows.into_iter()
        .map(|r| {
            Ok(TokenInfo {
                name: r.try_get("name")?,
                scopes: r.try_get("scopes")?,
                created_at: parse_ts(r.try_get("created_at")?)?,
                revoked_at: parse_ts_opt(r.try_get("revoked_at")?)?,
            })
        })
        .collect()
}

/// Revokes the token called `name`; false when there is none not revoked yet.
pub async fn revoke(db: &Db, guild: &str, name: &str, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let mut tx = db.begin().await?;
    let done =
        query("UPDATE api_tokens SET revoked_at = $1 WHERE guild = $2 AND name = $3 AND revoked_at IS NULL")
            .bind(ts(now))
            .bind(guild)
            .bind(name)
            .execute(&mut *tx)
            .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    audit::append(&mut tx, guild, entry(now, name, "token.revoke", None));
    tx.commit().await?;
    Ok(true)
}

/// The live token whose digest is `digest`: every stored digest is compared
/// in constant time, and all of them, so timing tells nothing about which.
pub async fn find(conn: &mut Conn, guild: &str, digest: &[u8; 32]) -> anyhow::Result<Option<TokenInfo>> {
    let rows = query("SELECT name, hash, scopes, created_at, revoked_at FROM api_tokens WHERE guild = $1")
        .bind(guild)
        .fetch_all(conn)
        .await?;
    let mut found = None;
    for r in rows {
        let stored = hex::decode(r.try_get::<String, _>("hash")?).unwrap_or_default();
        if bool::from(stored.as_slice().ct_eq(digest.as_slice())) {
            found = Some(TokenInfo {
                name: r.try_get("name")?,
                scopes: r.try_get("scopes")?,
                created_at: parse_ts(r.try_get("created_at")?)?,
                revoked_at: parse_ts_opt(r.try_get("revoked_at")?)?,
            });
        }
    }
    Ok(found.filter(|t| t.revoked_at.is_none()))
}

/// The first answer given to `key` of `token`, if any.
pub async fn answer(
    conn: &mut Conn,
    guild: &str,
    token: &str,
    key: &str,
) -> anyhow::Result<Option<(u16, String)>> {
    let row = query("SELECT status, body FROM api_answers WHERE guild = $1 AND token = $2 AND key = $3")
        .bind(guild)
        .bind(token)
        .bind(key)
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok((r.try_get::<i64, _>("status")? as u16, r.try_get("body")?)))
        .transpose()
}

/// Keeps the first answer to `key`; a later one for the same key is dropped.
pub async fn keep_answer(
    db: &Db,
    guild: &str,
    token: &str,
    key: &str,
    status: u16,
    body: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    query(
        "INSERT INTO api_answers (guild, token, key, status, body, at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING",
    )
    .bind(guild)
    .bind(token)
    .bind(key)
    .bind(i64::from(status))
    .bind(body)
    .bind(ts(now))
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
