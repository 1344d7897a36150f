//! Release package items.

use super::RELEASE_OF_GUILD;
use crate::domain::package::{parse_requirements, parse_version, Item};
use sqlx::{Row, SqliteConnection};
use std::str::FromStr;

/// The items of the package of a release of `guild`, by name.
pub async fn items(conn: &mut SqliteConnection, guild: &str, release_row: i64) -> anyhow::Result<Vec<Item>> {
    let rows = sqlx::query(&format!(
        "SELECT name, kind, version, change, requires FROM package_items WHERE release_id = ? AND {RELEASE_OF_GUILD}
         ORDER BY name"
    ))
    .bind(release_row)
    .bind(guild)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let text = |c: &str| r.try_get::<String, _>(c);
            Ok(Item {
                name: text("name")?,
                kind: FromStr::from_str(&text("kind")?).map_err(anyhow::Error::msg)?,
                version: parse_version(&text("version")?).map_err(anyhow::Error::msg)?,
                change: FromStr::from_str(&text("change")?).map_err(anyhow::Error::msg)?,
                requires: parse_requirements(&text("requires")?).map_err(anyhow::Error::msg)?,
            })
        })
        .collect()
}

/// Adds an item to a release of `guild`, or replaces the one of the same name.
pub async fn upsert(
    conn: &mut SqliteConnection,
    guild: &str,
    release_row: i64,
    i: &Item,
) -> anyhow::Result<()> {
    let requires: Vec<String> = i.requires.iter().map(|r| r.to_string()).collect();
    // The WHERE also keeps SQLite from reading ON CONFLICT as part of the SELECT.
    let done = sqlx::query(
        "INSERT INTO package_items (release_id, name, kind, version, change, requires)
         SELECT id, ?, ?, ?, ?, ? FROM releases WHERE id = ? AND guild = ?
         ON CONFLICT (release_id, name) DO UPDATE SET kind = excluded.kind, version = excluded.version,
            change = excluded.change, requires = excluded.requires",
    )
    .bind(&i.name)
    .bind(i.kind.as_str())
    .bind(i.version.to_string())
    .bind(i.change.as_str())
    .bind(requires.join(";"))
    .bind(release_row)
    .bind(guild)
    .execute(conn)
    .await?;
    super::changed_one(done.rows_affected(), "release", release_row, guild)
}

/// Removes an item from a release of `guild`; false when there was none.
pub async fn remove(
    conn: &mut SqliteConnection,
    guild: &str,
    release_row: i64,
    name: &str,
) -> anyhow::Result<bool> {
    let done = sqlx::query(&format!(
        "DELETE FROM package_items WHERE release_id = ? AND name = ? AND {RELEASE_OF_GUILD}"
    ))
    .bind(release_row)
    .bind(name)
    .bind(guild)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
