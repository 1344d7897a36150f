//! Release package items.

use crate::domain::package::{parse_requirements, parse_version, Item};
use sqlx::{Row, SqliteConnection};
use std::str::FromStr;

/// The items of a release's package, by name.
pub async fn items(conn: &mut SqliteConnection, release_row: i64) -> anyhow::Result<Vec<Item>> {
    let rows = sqlx::query(
        "SELECT name, kind, version, change, requires FROM package_items WHERE release_id = ? ORDER BY name",
    )
    .bind(release_row)
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

/// Adds an item, or replaces the one of the same name.
pub async fn upsert(conn: &mut SqliteConnection, release_row: i64, i: &Item) -> anyhow::Result<()> {
    let requires: Vec<String> = i.requires.iter().map(|r| r.to_string()).collect();
    sqlx::query(
        "INSERT INTO package_items (release_id, name, kind, version, change, requires) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (release_id, name) DO UPDATE SET kind = excluded.kind, version = excluded.version,
            change = excluded.change, requires = excluded.requires",
    )
    .bind(release_row)
    .bind(&i.name)
    .bind(i.kind.as_str())
    .bind(i.version.to_string())
    .bind(i.change.as_str())
    .bind(requires.join(";"))
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes an item; false when there was none.
pub async fn remove(conn: &mut SqliteConnection, release_row: i64, name: &str) -> anyhow::Result<bool> {
    let done = sqlx::query("DELETE FROM package_items WHERE release_id = ? AND name = ?")
        .bind(release_row)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
