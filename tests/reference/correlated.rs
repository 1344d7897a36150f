//! The report's SQL as it was before the attribution was stored (migration
//! 0023): the correlated definition, kept as the reference the stored one is
//! checked against (tests/attribution.rs) and timed beside it
//! (benches/report.rs). Included with `#[path]`, not a test of its own.
#![allow(dead_code)]

use chrono::{Duration, NaiveDate};
use release_desk::db::ts;
use release_desk::db::{query, query_scalar, Conn, Row};
use release_desk::domain::deployment::DeployOutcome;
use release_desk::domain::metrics::{
    deployment_failed, median, per_week, rate, round, Assets, Csat, Measures, Week,
};

pub use release_desk::db::metrics::Period;

/// An incident counts for a release when it was opened within
/// `attribution_days` of one of the release's deployments starting.
const ATTRIBUTABLE: &str =
    "i.guild = $4 AND EXISTS (SELECT 1 FROM deployments d WHERE d.release_id = i.release_id AND d.started_at IS NOT NULL
    AND d.started_at <= i.opened_at AND julianday(i.opened_at) < julianday(d.started_at) + $3)";

/// Deployments to a release's last (production) environment that finished in the period.
const PROD_FINISHED: &str = "FROM deployments d JOIN releases r ON r.id = d.release_id
    WHERE r.guild = $4 AND d.finished_at >= $1 AND d.finished_at < $2 AND d.outcome IS NOT NULL
      AND d.env = json_extract(r.environments, '$[#-1]') COLLATE NOCASE";

/// Survey answers in the period, of the workspace's releases.
const CSAT_OF_GUILD: &str = "WHERE answered_at >= $1 AND answered_at < $2
    AND release_id IN (SELECT id FROM releases WHERE guild = $4)";

/// Every measure over one period.
pub async fn measures(
    conn: &mut Conn,
    guild: &str,
    p: Period,
    attribution_days: i64,
) -> anyhow::Result<Measures> {
    let (from, to) = (ts(p.from), ts(p.to));
    let mut m = Measures::default();

    let rows = query(&format!(
        "SELECT i.defect, i.severity, COUNT(*) AS n FROM incidents i
         WHERE i.opened_at >= $1 AND i.opened_at < $2 AND {ATTRIBUTABLE} GROUP BY i.defect, i.severity"
    ))
    .bind(&from)
    .bind(&to)
    .bind(attribution_days)
    .bind(guild)
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let n: i64 = r.try_get("n")?;
        *m.incidents_by_defect.entry(r.try_get("defect")?).or_default() += n;
        *m.incidents_by_severity
            .entry(r.try_get::<i64, _>("severity")?.to_string())
            .or_default() += n;
    }

    let resolved = query(&format!(
        "SELECT i.effort_hours, (julianday(i.resolved_at) - julianday(i.opened_at)) * 24 AS hours FROM incidents i
         WHERE i.resolved_at >= $1 AND i.resolved_at < $2 AND {ATTRIBUTABLE}"
    ))
    .bind(&from)
    .bind(&to)
    .bind(attribution_days)
    .bind(guild)
    .fetch_all(&mut *conn)
    .await?;
    let mut restore = Vec::with_capacity(resolved.len());
    let mut effort = 0.0;
    for r in resolved {
        effort += r.try_get::<Option<f64>, _>("effort_hours")?.unwrap_or(0.0);
        restore.push(r.try_get::<f64, _>("hours")?);
    }
    m.effort_hours = round(effort);
    m.time_to_restore_hours = median(restore).map(round);

    let deployments = query(&format!(
        "SELECT d.release_id, d.outcome,
            (julianday(d.finished_at) - julianday((SELECT MIN(f.created_at) FROM rfcs f JOIN release_rfcs l ON l.rfc_id = f.id
                                                   WHERE l.release_id = d.release_id))) * 24 AS lead_hours,
            EXISTS (SELECT 1 FROM incidents i WHERE i.release_id = d.release_id AND i.env = d.env COLLATE NOCASE AND i.severity <= 2
                    AND i.opened_at >= d.started_at
                    AND julianday(i.opened_at) < julianday(d.started_at) + $3) AS caused,
            EXISTS (SELECT 1 FROM release_outcomes o WHERE o.release_id = d.release_id
                    AND o.outcome = 'unsuccessful') AS unsuccessful
         {PROD_FINISHED}"
    ))
    .bind(&from)
    .bind(&to)
    .bind(attribution_days)
    .bind(guild)
    .fetch_all(&mut *conn)
    .await?;
    let mut verified_releases = std::collections::BTreeSet::new();
    let (mut verified, mut failed) = (0i64, 0i64);
    let mut lead = Vec::new();
    for r in &deployments {
        let outcome: String = r.try_get("outcome")?;
        let caused: bool = r.try_get("caused")?;
        let unsuccessful: bool = r.try_get("unsuccessful")?;
        if outcome == "verified" {
            verified += 1;
            verified_releases.insert(r.try_get::<i64, _>("release_id")?);
            if let Some(h) = r.try_get::<Option<f64>, _>("lead_hours")? {
                lead.push(h);
            }
        }
        let outcome = DeployOutcome::from_key(&outcome)
            .ok_or_else(|| anyhow::anyhow!("stored deployment outcome {outcome:?}"))?;
        if deployment_failed(outcome, caused, unsuccessful) {
            failed += 1;
        }
    }
    m.actual = verified_releases.len() as i64;
    m.deployment_frequency = per_week(verified, (p.to - p.from).num_days());
    m.lead_time_hours = median(lead).map(round);
    m.change_failure_rate = rate(failed, deployments.len() as i64);
    m.production_deployments = deployments.len() as i64;
    m.change_failures = failed;

    let assets = query(&format!(
        "SELECT p.change, COUNT(*) AS n FROM package_items p
         WHERE p.release_id IN (SELECT d.release_id {PROD_FINISHED} AND d.outcome = 'verified') GROUP BY p.change"
    ))
    .bind(&from)
    .bind(&to)
    .bind(attribution_days)
    .bind(guild)
    .fetch_all(&mut *conn)
    .await?;
    let mut a = Assets::default();
    for r in assets {
        let n: i64 = r.try_get("n")?;
        match r.try_get::<String, _>("change")?.as_str() {
            "new" => a.new = n,
            "changed" => a.changed = n,
            _ => a.retired = n,
        }
    }
    m.assets_introduced = a;

    let count = |sql: &'static str| {
        query_scalar::<i64>(sql)
            .bind(from.clone())
            .bind(to.clone())
            .bind(attribution_days)
            .bind(guild)
    };
    m.planned = count(
        "SELECT COUNT(*) FROM releases WHERE guild = $4 AND window_start >= $1 AND window_start < $2
           AND NOT (state = 'closed' AND closure = 'cancelled')",
    )
    .fetch_one(&mut *conn)
    .await?;
    m.missed_windows = count(
        "SELECT COUNT(*) FROM missed_windows WHERE window_start >= $1 AND window_start < $2
                 AND release_id IN (SELECT id FROM releases WHERE guild = $4)",
    )
    .fetch_one(&mut *conn)
    .await?;
    m.config_defects = count(
        "SELECT COUNT(*) FROM config_defects WHERE recorded_at >= $1 AND recorded_at < $2
                 AND release_id IN (SELECT id FROM releases WHERE guild = $4)",
    )
    .fetch_one(&mut *conn)
    .await?;
    let csat = query(&format!(
        "SELECT AVG(score) AS avg, COUNT(*) AS n FROM survey_answers {CSAT_OF_GUILD}"
    ))
    .bind(&from)
    .bind(&to)
    .bind(attribution_days)
    .bind(guild)
    .fetch_one(&mut *conn)
    .await?;
    m.csat = Csat {
        average: csat.try_get::<Option<f64>, _>("avg")?.map(round),
        responses: csat.try_get("n")?,
    };
    let outcomes = query(
        "SELECT outcome, COUNT(*) AS n FROM release_outcomes
         WHERE guild = $3 AND closed_at >= $1 AND closed_at < $2 GROUP BY outcome",
    )
    .bind(&from)
    .bind(&to)
    .bind(guild)
    .fetch_all(&mut *conn)
    .await?;
    for r in outcomes {
        m.close_outcomes.insert(r.try_get("outcome")?, r.try_get("n")?);
    }
    m.reviews = count("SELECT COUNT(*) FROM release_reviews WHERE guild = $4 AND at >= $1 AND at < $2")
        .fetch_one(&mut *conn)
        .await?;
    Ok(m)
}

/// Weekly series for the chart, weeks counted from `p.from`.
pub async fn weeks(
    conn: &mut Conn,
    guild: &str,
    p: Period,
    first_day: NaiveDate,
    attribution_days: i64,
) -> anyhow::Result<Vec<Week>> {
    let (from, to) = (ts(p.from), ts(p.to));
    let n = ((p.to - p.from).num_days() + 6) / 7;
    let mut weeks: Vec<Week> = (0..n.max(1))
        .map(|k| Week {
            start: first_day + Duration::days(7 * k),
            ..Default::default()
        })
        .collect();
    let week = |col: &str| format!("CAST((julianday({col}) - julianday(?1)) / 7 AS INTEGER)");
    let slot = |k: i64, weeks: &mut Vec<Week>| -> Option<usize> {
        usize::try_from(k).ok().filter(|k| *k < weeks.len())
    };

    let rows = query(&format!(
        "SELECT {} AS w, i.defect, COUNT(*) AS n FROM incidents i WHERE i.opened_at >= $1 AND i.opened_at < $2 AND {ATTRIBUTABLE}
         GROUP BY w, i.defect",
        week("i.opened_at")
    ))
    .bind(&from)
    .bind(&to)
    .bind(attribution_days)
    .bind(guild)
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        if let Some(k) = slot(r.try_get("w")?, &mut weeks) {
            weeks[k]
                .incidents_by_defect
                .insert(r.try_get("defect")?, r.try_get("n")?);
        }
    }
    let planned = format!(
        "SELECT {} AS w, COUNT(*) AS n FROM releases WHERE guild = $4 AND window_start >= $1 AND window_start < $2
           AND NOT (state = 'closed' AND closure = 'cancelled') GROUP BY w",
        week("window_start")
    );
    for (k, r) in by_week(conn, &planned, (&from, &to, attribution_days, guild), weeks.len()).await? {
        weeks[k].planned = r.try_get("n")?;
    }
    let actual = format!(
        "SELECT {} AS w, COUNT(DISTINCT d.release_id) AS n {PROD_FINISHED} AND d.outcome = 'verified' GROUP BY w",
        week("d.finished_at")
    );
    for (k, r) in by_week(conn, &actual, (&from, &to, attribution_days, guild), weeks.len()).await? {
        weeks[k].actual = r.try_get("n")?;
    }
    let csat = format!(
        "SELECT {} AS w, AVG(score) AS avg FROM survey_answers {CSAT_OF_GUILD} GROUP BY w",
        week("answered_at")
    );
    for (k, r) in by_week(conn, &csat, (&from, &to, attribution_days, guild), weeks.len()).await? {
        weeks[k].csat = r.try_get::<Option<f64>, _>("avg")?.map(round);
    }
    Ok(weeks)
}

/// The rows of a per-week query over `[?1, ?2)` (with `?3`, `?4` as in
/// every query here), each with the index of its week (column `w`) among
/// `len` weeks; rows outside them are dropped.
async fn by_week(
    conn: &mut Conn,
    sql: &str,
    (from, to, attribution_days, guild): (&str, &str, i64, &str),
    len: usize,
) -> anyhow::Result<Vec<(usize, Row)>> {
    let rows = query(sql)
        .bind(from)
        .bind(to)
        .bind(attribution_days)
        .bind(guild)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        if let Some(k) = usize::try_from(r.try_get::<i64, _>("w")?)
            .ok()
            .filter(|k| *k < len)
        {
            out.push((k, r));
        }
    }
    Ok(out)
}

/// The whole report the way `handlers::report::build` made it: each period
/// measured on its own, then the weeks.
pub async fn build(
    db: &release_desk::db::Db,
    config: &release_desk::config::Config,
    guild: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<release_desk::domain::metrics::Report> {
    use release_desk::domain::timefmt::local_midnight;
    let tz = config.timezone;
    let start = local_midnight(from, tz).map_err(anyhow::Error::msg)?;
    let end = local_midnight(to + Duration::days(1), tz).map_err(anyhow::Error::msg)?;
    let days = (to - from).num_days() + 1;
    let before_start = local_midnight(from - Duration::days(days), tz).map_err(anyhow::Error::msg)?;
    let mut conn = db.pool.acquire().await?;
    let period = Period { from: start, to: end };
    let current = self::measures(&mut conn, guild, period, config.attribution_days).await?;
    let previous = self::measures(
        &mut conn,
        guild,
        Period {
            from: before_start,
            to: start,
        },
        config.attribution_days,
    )
    .await?;
    let weeks = self::weeks(&mut conn, guild, period, from, config.attribution_days).await?;
    Ok(release_desk::domain::metrics::Report {
        from,
        to,
        trends: release_desk::domain::metrics::trends(&current, &previous),
        measures: current,
        weeks,
    })
}
