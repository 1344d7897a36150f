//! What `/metrics` reads from the records at each scrape, for one workspace.

use super::{query_as, query_scalar, Conn};
use crate::telemetry::Counts;

/// The outbox backlog, polls by outcome (`open` while undecided) and
/// releases by state, of `guild`.
pub async fn counts(conn: &mut Conn, guild: &str) -> anyhow::Result<Counts> {
    let outbox_backlog = query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE guild = $1 AND delivered_at IS NULL AND superseded = 0",
    )
    .bind(guild)
    .fetch_one(&mut *conn)
    .await?;
    let polls = query_as(
        "SELECT COALESCE(outcome, 'open'), COUNT(*) FROM polls WHERE guild = $1 GROUP BY 1 ORDER BY 1",
    )
    .bind(guild)
    .fetch_all(&mut *conn)
    .await?;
    let releases =
        query_as("SELECT state, COUNT(*) FROM releases WHERE guild = $1 GROUP BY state ORDER BY state")
            .bind(guild)
            .fetch_all(&mut *conn)
            .await?;
    Ok(Counts {
        outbox_backlog,
        polls,
        releases,
    })
}
