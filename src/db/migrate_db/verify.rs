//! Each table's count and checksum from either side alone: to compare two
//! databases after the fact, as the tests do after a copy.

use super::canonical::{Checksum, Kind};
use super::{redacted, source, target};
use futures_util::TryStreamExt;
use sqlx::{Connection, PgConnection};
use std::collections::BTreeMap;

/// Each table's row count and checksum as the database at `url` (an SQLite
/// file, or a postgres:// URL) holds it now, computed as the copy computes
/// them: to compare two databases after the fact.
pub async fn checksums(url: &str) -> anyhow::Result<BTreeMap<String, (u64, String)>> {
    let mut out = BTreeMap::new();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut pg = PgConnection::connect(url)
            .await
            .map_err(|e| anyhow::anyhow!("connecting to {}: {e}", redacted(url)))?;
        let keys = target::keys(&mut pg).await?;
        for (table, columns) in target::tables(&mut pg).await? {
            let kinds: Vec<(String, Kind)> = columns
                .iter()
                .map(|c| c.kind.map(|k| (c.name.clone(), k)))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    anyhow::anyhow!("table {table}: a column of a type migrate-db does not copy")
                })?;
            let key = keys
                .get(&table)
                .cloned()
                .unwrap_or_else(|| kinds.iter().map(|(c, _)| c.clone()).collect());
            out.insert(
                table.clone(),
                target::checksum(&mut pg, &table, &kinds, &key).await?,
            );
        }
        pg.close().await?;
        return Ok(out);
    }
    let path = crate::db::lock::db_file(url).ok_or_else(|| anyhow::anyhow!("{url}: not a database file"))?;
    let mut conn = source::open_unlocked(&path).await?;
    for (table, shape) in source::shapes(&mut conn).await? {
        let kinds: Vec<Kind> = shape
            .kinds
            .iter()
            .copied()
            .collect::<Option<_>>()
            .ok_or_else(|| anyhow::anyhow!("table {table}: a column of a type migrate-db does not copy"))?;
        let mut sum = Checksum::default();
        let sql = source::select(&shape);
        let mut rows = sqlx::query(&sql).fetch(&mut conn);
        while let Some(row) = rows.try_next().await? {
            let values = source::decode(&row, &kinds).map_err(|(i, found)| {
                anyhow::anyhow!("table {table}: column {} holds {found}", shape.columns[i])
            })?;
            sum.add(&values);
        }
        out.insert(table, sum.finish());
    }
    conn.close().await?;
    Ok(out)
}
