//! The metrics' SQL: both periods of a report (the current one and the one
//! before it, for trends) in one pass per measure, using the indexes of
//! migrations 0006, 0023, 0028, 0030 and 0031. Every query binds the same five
//! parameters (but the incidents' ranges, which bind their edges, see
//! `incidents`): `$1` the previous period's start, `$2` the current period's end, `$3` the
//! attribution days, `$4` the workspace, whose records alone count, and `$5`
//! the current period's start, which splits the rows between the periods.

mod incidents;

pub use incidents::{median_sql, week_start};

use super::ts;
use super::{dialect, query, Backend, Conn, Query, Row};
use crate::domain::deployment::DeployOutcome;
use crate::domain::metrics::{
    deployment_failed, median, per_week, rate, round, Assets, Csat, Measures, Week,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::BTreeSet;

/// A half-open period `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Start.
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
}

/// What a report shows: both periods' measures and the current one's weeks.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// The period asked for.
    pub current: Measures,
    /// The period just before it (trends).
    pub previous: Measures,
    /// The current period's weekly series.
    pub weeks: Vec<Week>,
}

/// An incident counts for its release when opened within `$3` days of one of
/// the release's deployments starting; migration 0023 stores the gap to the
/// latest start at or before the opening. The gap, a difference of two
/// julian days, is within a few ulps of the definition's comparison
/// (`julianday(opened) < julianday(start) + days`), so a gap a microday or
/// more from the boundary decides alone, and the rare one nearer it is
/// decided by the definition's own expression, which keeps every figure
/// identical to the correlated definition's.
pub const ATTRIBUTED: &str = "(i.attributed_gap < $3 - 1e-6 OR (i.attributed_gap < $3 + 1e-6
    AND julianday(i.opened_at) < julianday(i.attributed_start) + $3))";

/// Deployments to a release's last (production) environment that finished
/// in either period, read from migration 0028's covering index.
const PROD_FINISHED: &str = "FROM deployments d WHERE d.guild = $4 AND d.production = 1
    AND d.finished_at >= $1 AND d.finished_at < $2 AND d.outcome IS NOT NULL";

/// The values of the five parameters, in order.
type Five = ((((((), String), String), i64), String), String);

/// The five parameters every query here binds.
struct Binds {
    from: String,
    to: String,
    days: i64,
    guild: String,
    current: String,
}

impl Binds {
    fn query<'q>(&self, sql: &'q str) -> Query<'q, Five> {
        query(sql)
            .bind(self.from.clone())
            .bind(self.to.clone())
            .bind(self.days)
            .bind(self.guild.clone())
            .bind(self.current.clone())
    }
}

/// Every measure over one period.
pub async fn measures(
    conn: &mut Conn,
    guild: &str,
    p: Period,
    attribution_days: i64,
) -> anyhow::Result<Measures> {
    let f = figures(conn, guild, p, p.from, p.from.date_naive(), attribution_days).await?;
    Ok(f.current)
}

/// Weekly series for the chart, weeks counted from `p.from`.
pub async fn weeks(
    conn: &mut Conn,
    guild: &str,
    p: Period,
    first_day: NaiveDate,
    attribution_days: i64,
) -> anyhow::Result<Vec<Week>> {
    Ok(figures(conn, guild, p, p.from, first_day, attribution_days)
        .await?
        .weeks)
}

/// The measures of `current` and of `[previous_from, current.from)`, and the
/// weeks of `current` counted from `current.from` (whose local date is `first_day`).
pub async fn figures(
    conn: &mut Conn,
    guild: &str,
    current: Period,
    previous_from: DateTime<Utc>,
    first_day: NaiveDate,
    attribution_days: i64,
) -> anyhow::Result<Figures> {
    let b = Binds {
        from: ts(previous_from),
        to: ts(current.to),
        days: attribution_days,
        guild: guild.to_string(),
        current: ts(current.from),
    };
    let n = ((current.to - current.from).num_days() + 6) / 7;
    let mut weeks: Vec<Week> = (0..n.max(1))
        .map(|k| Week {
            start: first_day + Duration::days(7 * k),
            ..Default::default()
        })
        .collect();
    let mut m = [Measures::default(), Measures::default()];

    incidents::by_kind(conn, &b, previous_from, current, &mut m, &mut weeks).await?;
    incidents::resolved(conn, &b, previous_from, current, &mut m).await?;

    let days = [
        (current.from - previous_from).num_days(),
        (current.to - current.from).num_days(),
    ];
    deployments(conn, &b, &mut m, &mut weeks, days).await?;
    counts(conn, &b, &mut m, &mut weeks).await?;
    series(conn, &b, &mut weeks).await?;
    let [previous, current] = m;
    Ok(Figures {
        current,
        previous,
        weeks,
    })
}

/// Production deployments of both periods (`m[0]` the previous, `m[1]` the
/// current, `days` their lengths): frequency, lead time, failures, assets,
/// and the current period's verified releases per week. Migration 0028
/// stores what each deployment needs (its lead time, whether its release
/// closed unsuccessful, the julian days of its start and of the first
/// severity 1-2 incident after it), so this is one covered pass.
async fn deployments(
    conn: &mut Conn,
    b: &Binds,
    m: &mut [Measures; 2],
    weeks: &mut [Week],
    days: [i64; 2],
) -> anyhow::Result<()> {
    let rows = b
        .query(&format!(
            "SELECT d.finished_at >= $5 AS cur, {} AS w, d.release_id, d.outcome, d.lead_hours,
                COALESCE(d.caused_day < d.started_day + $3, FALSE) AS caused, d.unsuccessful
             {PROD_FINISHED}",
            week(conn.backend(), "d.finished_at")
        ))
        .fetch_all(&mut *conn)
        .await?;
    let mut verified_releases: [BTreeSet<i64>; 2] = Default::default();
    let mut weekly: Vec<BTreeSet<i64>> = vec![BTreeSet::new(); weeks.len()];
    let (mut verified, mut failed, mut all) = ([0i64; 2], [0i64; 2], [0i64; 2]);
    let mut lead: [Vec<f64>; 2] = Default::default();
    for r in &rows {
        let k = usize::from(r.try_get::<bool, _>("cur")?);
        let outcome: String = r.try_get("outcome")?;
        let outcome = DeployOutcome::from_key(&outcome)
            .ok_or_else(|| anyhow::anyhow!("stored deployment outcome {outcome:?}"))?;
        all[k] += 1;
        if outcome == DeployOutcome::Verified {
            let release: i64 = r.try_get("release_id")?;
            verified[k] += 1;
            verified_releases[k].insert(release);
            if let Some(w) = week_slot(r, weeks.len())? {
                weekly[w].insert(release);
            }
            if let Some(h) = r.try_get::<Option<f64>, _>("lead_hours")? {
                lead[k].push(h);
            }
        }
        if deployment_failed(outcome, r.try_get("caused")?, r.flag("unsuccessful")?) {
            failed[k] += 1;
        }
    }
    for (week, releases) in weeks.iter_mut().zip(&weekly) {
        week.actual = releases.len() as i64;
    }
    for (k, x) in m.iter_mut().enumerate() {
        x.actual = verified_releases[k].len() as i64;
        x.deployment_frequency = per_week(verified[k], days[k]);
        x.lead_time_hours = median(std::mem::take(&mut lead[k])).map(round);
        x.change_failure_rate = rate(failed[k], all[k]);
        x.production_deployments = all[k];
        x.change_failures = failed[k];
    }

    // A release verified in both periods counts in both. The outcome is
    // tested inside COALESCE so that the planner keeps to the covering
    // index: a plain equality on it draws it to `deployments_finished`.
    // Counted by filters rather than grouped, which would sort the joined
    // rows (the three changes are all that the schema's CHECK allows).
    let counts: Vec<String> = ["NOT s.cur", "s.cur"]
        .iter()
        .flat_map(|period| {
            ["new", "changed", "retired"]
                .map(|change| format!("COUNT(*) FILTER (WHERE {period} AND p.change = '{change}')"))
        })
        .collect();
    let assets = b
        .query(&format!(
            "SELECT {} FROM (SELECT DISTINCT d.release_id, d.finished_at >= $5 AS cur {PROD_FINISHED}
                     AND COALESCE(d.outcome = 'verified', FALSE)) s
             JOIN package_items p ON p.release_id = s.release_id",
            counts.join(", ")
        ))
        .fetch_one(&mut *conn)
        .await?;
    for (k, x) in m.iter_mut().enumerate() {
        x.assets_introduced = Assets {
            new: assets.try_get(3 * k)?,
            changed: assets.try_get(3 * k + 1)?,
            retired: assets.try_get(3 * k + 2)?,
        };
    }
    Ok(())
}

/// The counted measures of both periods, the survey and the close outcomes;
/// the current period's planned releases per week come with their counts.
async fn counts(conn: &mut Conn, b: &Binds, m: &mut [Measures; 2], weeks: &mut [Week]) -> anyhow::Result<()> {
    let planned = b
        .query(&format!(
            "SELECT window_start >= $5 AS cur, {} AS w, COUNT(*) AS n FROM releases
             WHERE guild = $4 AND window_start >= $1 AND window_start < $2
               AND NOT (state = 'closed' AND closure = 'cancelled') GROUP BY cur, w",
            week(conn.backend(), "window_start")
        ))
        .fetch_all(&mut *conn)
        .await?;
    for r in planned {
        let n: i64 = r.try_get("n")?;
        m[usize::from(r.try_get::<bool, _>("cur")?)].planned += n;
        if let Some(k) = week_slot(&r, weeks.len())? {
            weeks[k].planned = n;
        }
    }

    // One pass per table, counting both periods.
    let both = |col: &str, name: &str, rest: &str| {
        format!(
            "(SELECT COUNT(*) FILTER (WHERE {col} < $5) AS p, COUNT(*) FILTER (WHERE {col} >= $5) AS c {rest}) {name}"
        )
    };
    let of_guild = "AND release_id IN (SELECT id FROM releases WHERE guild = $4)";
    let sql = format!(
        "SELECT w.p, w.c, d.p, d.c, r.p, r.c FROM {}, {}, {}",
        both(
            "window_start",
            "w",
            &format!("FROM missed_windows WHERE window_start >= $1 AND window_start < $2 {of_guild}")
        ),
        both(
            "recorded_at",
            "d",
            &format!("FROM config_defects WHERE recorded_at >= $1 AND recorded_at < $2 {of_guild}")
        ),
        both(
            "at",
            "r",
            "FROM release_reviews WHERE guild = $4 AND at >= $1 AND at < $2"
        ),
    );
    let r = b.query(&sql).fetch_one(&mut *conn).await?;
    for (k, x) in m.iter_mut().enumerate() {
        x.missed_windows = r.try_get(k)?;
        x.config_defects = r.try_get(2 + k)?;
        x.reviews = r.try_get(4 + k)?;
    }

    let csat = b
        .query(&format!(
            "SELECT CAST(AVG(score) FILTER (WHERE answered_at < $5) AS DOUBLE PRECISION), COUNT(*) FILTER (WHERE answered_at < $5),
                    CAST(AVG(score) FILTER (WHERE answered_at >= $5) AS DOUBLE PRECISION), COUNT(*) FILTER (WHERE answered_at >= $5)
             FROM survey_answers WHERE answered_at >= $1 AND answered_at < $2 {of_guild}"
        ))
        .fetch_one(&mut *conn)
        .await?;
    for (k, x) in m.iter_mut().enumerate() {
        x.csat = Csat {
            average: csat.try_get::<Option<f64>, _>(2 * k)?.map(round),
            responses: csat.try_get(2 * k + 1)?,
        };
    }

    let outcomes = b
        .query(
            "SELECT closed_at >= $5 AS cur, outcome, COUNT(*) AS n FROM release_outcomes
             WHERE guild = $4 AND closed_at >= $1 AND closed_at < $2 GROUP BY cur, outcome",
        )
        .fetch_all(&mut *conn)
        .await?;
    for r in outcomes {
        m[usize::from(r.try_get::<bool, _>("cur")?)]
            .close_outcomes
            .insert(r.try_get("outcome")?, r.try_get("n")?);
    }
    Ok(())
}

/// The current period's weekly survey series (the incidents, planned and
/// verified releases come with their passes).
async fn series(conn: &mut Conn, b: &Binds, weeks: &mut [Week]) -> anyhow::Result<()> {
    let csat = format!(
        "SELECT {} AS w, CAST(AVG(score) AS DOUBLE PRECISION) AS avg FROM survey_answers WHERE answered_at >= $5 AND answered_at < $2
           AND release_id IN (SELECT id FROM releases WHERE guild = $4) GROUP BY w",
        week(conn.backend(), "answered_at")
    );
    for r in b.query(&csat).fetch_all(&mut *conn).await? {
        if let Some(k) = week_slot(&r, weeks.len())? {
            weeks[k].csat = r.try_get::<Option<f64>, _>("avg")?.map(round);
        }
    }
    Ok(())
}

/// The index of a row's week (column `w`) among `len` weeks, if it is one of them.
fn week_slot(r: &Row, len: usize) -> anyhow::Result<Option<usize>> {
    let w: Option<i64> = r.try_get("w")?;
    Ok(w.and_then(|k| usize::try_from(k).ok()).filter(|k| *k < len))
}

/// The week (0, 1, …) of a time column in the current period, counted from `$5`; NULL before it.
fn week(b: Backend, col: &str) -> String {
    let days = format!("(julianday({col}) - julianday($5))");
    format!(
        "CASE WHEN {col} >= $5 THEN {} END",
        dialect::whole_weeks(b, &days)
    )
}
