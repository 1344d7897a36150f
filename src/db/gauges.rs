//! What `/metrics` reads from the records at each scrape, for one workspace.

use crate::telemetry::Counts;
use sqlx::SqliteConnection;

/// The outbox backlog, polls by outcome (`open` while undecided) and
/// releases by state, of `guild`.
pub async fn counts(conn: &mut SqliteConnection, guild: &str) -> anyhow::Result<Counts> {
    let outbox_backlog = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE guild = ? AND delivered_at IS NULL AND superseded = 0",
    )
    .bind(guild)
    .fetch_one(&mut *conn)
    .await?;
    let polls = sqlx::query_as(
        "SELECT COALESCE(outcome, 'open'), COUNT(*) FROM polls WHERE guild = ? GROUP BY 1 ORDER BY 1",
    )
    .bind(guild)
    .fetch_all(&mut *conn)
    .await?;
    let releases =
        sqlx::query_as("SELECT state, COUNT(*) FROM releases WHERE guild = ? GROUP BY state ORDER BY state")
            .bind(guild)
            .fetch_all(&mut *conn)
            .await?;
    Ok(Counts {
        outbox_backlog,
        polls,
        releases,
    })
}
