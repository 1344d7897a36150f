//! RFCs.

use super::{parse_ts, ts};
use super::{query, query_scalar, Conn, Row};
use crate::domain::records::Rfc;
use crate::domain::rfc::RfcStatus;
use std::str::FromStr;

const COLUMNS: &str =
    "id, number, title, rfc_type, risk, impact, description, requester, requester_name, status, created_at";

fn decode(r: Row) -> anyhow::Result<Rfc> {
    let e = |what: &str, v: String| anyhow::anyhow!("stored RFC {what} {v:?}");
    Ok(Rfc {
        row: r.try_get("id")?,
        number: r.try_get("number")?,
        title: r.try_get("title")?,
        rfc_type: FromStr::from_str(&r.try_get::<String, _>("rfc_type")?).map_err(|v| e("type", v))?,
        risk: FromStr::from_str(&r.try_get::<String, _>("risk")?).map_err(|v| e("risk", v))?,
        impact: r.try_get("impact")?,
        description: r.try_get("description")?,
        requester: r.try_get("requester")?,
        requester_name: r.try_get("requester_name")?,
        status: FromStr::from_str(&r.try_get::<String, _>("status")?).map_err(|v| e("status", v))?,
        created_at: parse_ts(r.try_get("created_at")?)?,
    })
}

/// Stores a new RFC; returns its row id.
pub async fn insert(conn: &mut Conn, guild: &str, r: &Rfc) -> anyhow::Result<i64> {
    let id = query_scalar(
        "INSERT INTO rfcs (guild, number, title, rfc_type, risk, impact, description, requester, requester_name, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(guild)
    .bind(r.number)
    .bind(&r.title)
    .bind(r.rfc_type.as_str())
    .bind(r.risk.as_str())
    .bind(&r.impact)
    .bind(&r.description)
    .bind(&r.requester)
    .bind(&r.requester_name)
    .bind(r.status.as_str())
    .bind(ts(r.created_at))
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// One RFC by number.
pub async fn get(conn: &mut Conn, guild: &str, number: i64) -> anyhow::Result<Option<Rfc>> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM rfcs WHERE guild = $1 AND number = $2"
    ))
    .bind(guild)
    .bind(number)
    .fetch_optional(conn)
    .await?;
    row.map(decode).transpose()
}

/// RFCs, optionally of one status, newest last.
pub async fn list(conn: &mut Conn, guild: &str, status: Option<RfcStatus>) -> anyhow::Result<Vec<Rfc>> {
    let rows = query(&format!(
        "SELECT {COLUMNS} FROM rfcs WHERE guild = $1 AND ($2 IS NULL OR status = $2) ORDER BY number"
    ))
    .bind(guild)
    .bind(status.map(|s| s.as_str()))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(decode).collect()
}

/// The RFCs of a release of `guild`.
pub async fn for_release(conn: &mut Conn, guild: &str, release_row: i64) -> anyhow::Result<Vec<Rfc>> {
    let rows = query(&format!(
        "SELECT {COLUMNS} FROM rfcs WHERE guild = $1
           AND id IN (SELECT l.rfc_id FROM release_rfcs l JOIN releases r ON r.id = l.release_id
                      WHERE l.release_id = $2 AND r.guild = $1) ORDER BY number"
    ))
    .bind(guild)
    .bind(release_row)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(decode).collect()
}

/// Sets the status of an RFC of `guild`; an RFC of another fails.
pub async fn set_status(conn: &mut Conn, guild: &str, row: i64, status: RfcStatus) -> anyhow::Result<()> {
    let done = query("UPDATE rfcs SET status = $1 WHERE id = $2 AND guild = $3")
        .bind(status.as_str())
        .bind(row)
        .bind(guild)
        .execute(conn)
        .await?;
    super::changed_one(done.rows_affected(), "RFC", row, guild)
}

/// The numbers of the releases of `guild` an RFC belongs to.
pub async fn releases_of(conn: &mut Conn, guild: &str, rfc_row: i64) -> anyhow::Result<Vec<i64>> {
    Ok(query_scalar(
        "SELECT r.number FROM releases r JOIN release_rfcs l ON l.release_id = r.id WHERE l.rfc_id = $1 AND r.guild = $2
         ORDER BY r.number",
    )
    .bind(rfc_row)
    .bind(guild)
    .fetch_all(conn)
    .await?)
}
