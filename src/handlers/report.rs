//! `/report` and the `report` command line: the process's measurements.

use super::{refuse, Ctx, Handled, Reply};
use crate::config::Config;
use crate::db::metrics::Period;
use crate::db::{self, Db};
use crate::domain::ids::RecordId;
use crate::domain::metrics::{trends, Report};
use crate::domain::timefmt::local_midnight;
use crate::render;
use chrono::{Duration, NaiveDate};

/// The report of workspace `guild` for the days `from` to `to` (inclusive)
/// in the calendar's zone, with trends against the period of the same length just before.
pub async fn build(
    db: &Db,
    config: &Config,
    guild: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<Report> {
    anyhow::ensure!(
        from <= to,
        "the period's first day {from} is after its last day {to}"
    );
    let tz = config.timezone;
    let start = local_midnight(from, tz).map_err(anyhow::Error::msg)?;
    let end = local_midnight(to + Duration::days(1), tz).map_err(anyhow::Error::msg)?;
    let days = (to - from).num_days() + 1;
    let before_start = local_midnight(from - Duration::days(days), tz).map_err(anyhow::Error::msg)?;
    let mut conn = db.pool.acquire().await?;
    let period = Period { from: start, to: end };
    let f = db::metrics::figures(
        &mut conn,
        guild,
        period,
        before_start,
        from,
        config.attribution_days,
    )
    .await?;
    Ok(Report {
        from,
        to,
        trends: trends(&f.current, &f.previous),
        measures: f.current,
        weeks: f.weeks,
    })
}

/// `/report metrics`: the last 30 days unless told otherwise.
pub async fn metrics(ctx: Ctx<'_>, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Handled {
    let today = ctx.now.with_timezone(&ctx.config.timezone).date_naive();
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(to - Duration::days(29));
    if from > to {
        return refuse(render::refusal::period_backwards(from, to));
    }
    let report = build(ctx.db, ctx.config, ctx.guild, from, to).await?;
    Ok(Reply::Private(render::report::metrics(&report)))
}

/// `/report release`: one release's timeline and figures.
pub async fn release(ctx: Ctx<'_>, id: RecordId) -> Handled {
    let mut conn = ctx.db.pool.acquire().await?;
    let Some(r) = db::releases::get(&mut conn, ctx.guild, id.n).await? else {
        return refuse(render::not_found(id));
    };
    let history = db::audit::for_record(&mut conn, ctx.guild, &id.to_string()).await?;
    let deployments = db::deployments::for_release(&mut conn, ctx.guild, r.row).await?;
    let incidents = db::incidents::list(&mut conn, ctx.guild, Some(r.row)).await?;
    let csat = db::incidents::csat_for_release(&mut conn, ctx.guild, r.row).await?;
    let bot = super::system_actor().name;
    let record = render::Record {
        rfcs: &[],
        history: &history,
        deployments: &deployments,
        incidents: &incidents,
        bot: &bot,
        tz: ctx.config.timezone,
    };
    Ok(Reply::Private(render::report::release(&r, record, csat)))
}
