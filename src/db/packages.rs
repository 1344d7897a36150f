//! Release package items.

use super::{query, Conn};

use crate::domain::package::{parse_requirements, parse_version, Item};
use std::str::FromStr;

/// The items of the package of a release of `guild`, by name.
pub async fn items(conn: &mut Conn, guild: &str, release_row: i64) -> anyhow::Result<Vec<Item>> {
    let rows = query("SELECT name, kind, version, change, requires FROM package_items WHERE release_id = $1 AND release_id IN (SELECT id FROM releases WHERE guild = $2)
         ORDER BY name")
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
pub async fn upsert(conn: &mut Conn, guild: &str, release_row: i64, i: &Item) -> anyhow::Result<()> {
    let requires: Vec<String> = i.requires.iter().map(|r| r.to_string()).collect();
    // The WHERE also keeps SQLite from reading ON CONFLICT as part of the SELECT.
    let done = query(
        "INSERT INTO package_items (release_id, name, kind, version, change, requires)
         SELECT id, $1, $2, $3, $4, $5 FROM releases WHERE id = $6 AND guild = $7
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
pub async fn remove(conn: &mut Conn, guild: &str, release_row: i64, name: &str) -> anyhow::Result<bool> {
    let done = query("DELETE FROM package_items WHERE release_id = $1 AND name = $2 AND release_id IN (SELECT id FROM releases WHERE guild = $3)")
    .bind(release_row)
    .bind(name)
    .bind(guild)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
