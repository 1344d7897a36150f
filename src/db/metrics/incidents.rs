//! The report's incident passes over both periods: the attributable
//! incidents by defect, severity and week, and the resolved ones' count,
//! effort and median restore time. Each reads one covering index
//! (migrations 0023, 0030 and 0031) and aggregates in SQL; none sorts the
//! period's rows to group them, which was most of their time, and the
//! median sorts only a period too small for walking the index to pay.

use super::{Binds, ATTRIBUTED};
use crate::db::{parse_ts, query_with, ts, Args, Conn};
use crate::domain::incident::DefectType;
use crate::domain::metrics::{median, round, Measures, Week};
use chrono::{DateTime, Duration, Utc};

/// The severities the schema allows (`CHECK (severity BETWEEN 1 AND 4)`).
const SEVERITIES: [i64; 4] = [1, 2, 3, 4];

/// Time ranges per statement: rows of a VALUES list, each with two bound
/// edges (a statement binds at most a few hundred parameters here).
const RANGES_PER_STATEMENT: usize = 100;

/// SQLite's `julianday()` of a time, bit for bit: it counts whole
/// milliseconds from the julian epoch and divides by a day's, in floating
/// point (migration 0023's PostgreSQL function does the same).
fn julianday(t: DateTime<Utc>) -> f64 {
    (t.timestamp_millis() + 210_866_760_000_000) as f64 / 86_400_000.0
}

/// The week of `t` counted from `start` as the report's SQL has always
/// counted it, `CAST((julianday(t) - julianday(start)) / 7 AS INTEGER)`:
/// truncated, in floating point.
fn week_of(t: DateTime<Utc>, start: DateTime<Utc>) -> i64 {
    ((julianday(t) - julianday(start)) / 7.0) as i64
}

/// The first millisecond that the expression puts in week `k` (or later):
/// seven days times `k` from `start` (for every local midnight tried, and
/// a million random starts), searched from there so that, were the floating
/// point ever to move the turn, a range of stored times ending here would
/// still hold exactly the rows the expression counts before week `k`.
pub fn week_start(start: DateTime<Utc>, k: i64) -> DateTime<Utc> {
    let ms = Duration::milliseconds(1);
    let mut t = start + Duration::days(7 * k);
    while week_of(t, start) < k {
        t += ms;
    }
    while week_of(t - ms, start) >= k {
        t -= ms;
    }
    t
}

/// Where a range's counts go: the previous period, a week of the current
/// one, or the current period past its last week (a day lengthened by a
/// clock change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Previous,
    Week(usize),
    Current,
}

/// The ranges of opening times that split `[previous_from, current.to)`
/// into the previous period, the `weeks` weeks and the rest: `edges[j]` to
/// `edges[j + 1]` is `slots[j]`.
fn ranges(previous_from: DateTime<Utc>, current: super::Period, weeks: usize) -> (Vec<String>, Vec<Slot>) {
    let clamp = |t: DateTime<Utc>| t.clamp(current.from, current.to);
    let mut edges = vec![ts(previous_from), ts(current.from)];
    let mut slots = vec![Slot::Previous];
    for k in 1..=weeks {
        edges.push(ts(clamp(week_start(current.from, k as i64))));
        slots.push(Slot::Week(k - 1));
    }
    edges.push(ts(current.to));
    slots.push(Slot::Current);
    (edges, slots)
}

/// The attributable incidents by defect and severity in both periods, and
/// by defect in each week of the current one, from migration 0031's index
/// by defect and opening time: the severities of each period, one range per
/// defect counted without sorting; then each defect in each week (or
/// period), one correlated count per range and defect over a list of the
/// ranges. A compound statement of one SELECT per defect and week measured
/// as fast to run but took longer to prepare (28 ms for a year's 385) than
/// to run, and the report is rarely run twice on one connection.
pub(super) async fn by_kind(
    conn: &mut Conn,
    b: &Binds,
    previous_from: DateTime<Utc>,
    current: super::Period,
    m: &mut [Measures; 2],
    weeks: &mut [Week],
) -> anyhow::Result<()> {
    let counts: Vec<String> = SEVERITIES
        .iter()
        .map(|s| format!("COUNT(*) FILTER (WHERE i.severity = {s})"))
        .collect();
    let counts = counts.join(", ");
    let sql: Vec<String> = [(0, "$1", "$5"), (1, "$5", "$2")]
        .iter()
        .flat_map(|(k, lo, hi)| {
            let counts = &counts;
            DefectType::ALL.iter().map(move |defect| {
                format!(
                    "SELECT CAST({k} AS BIGINT), {counts} FROM incidents i
                     WHERE i.guild = $4 AND i.defect = '{}' AND i.opened_at >= {lo} AND i.opened_at < {hi} AND {ATTRIBUTED}",
                    defect.as_str()
                )
            })
        })
        .collect();
    for r in b.query(&sql.join(" UNION ALL ")).fetch_all(&mut *conn).await? {
        let k: i64 = r.try_get(0)?;
        let x = usize::try_from(k)
            .ok()
            .and_then(|k| m.get_mut(k))
            .ok_or_else(|| anyhow::anyhow!("period {k}"))?;
        for (s, severity) in SEVERITIES.iter().enumerate() {
            let n: i64 = r.try_get(1 + s)?;
            if n > 0 {
                *x.incidents_by_severity.entry(severity.to_string()).or_default() += n;
            }
        }
    }

    let defects: Vec<String> = DefectType::ALL
        .iter()
        .enumerate()
        .map(|(d, defect)| format!("({d}, '{}')", defect.as_str()))
        .collect();
    let defects = defects.join(", ");
    let (edges, slots) = ranges(previous_from, current, weeks.len());
    for (c, chunk) in slots.chunks(RANGES_PER_STATEMENT).enumerate() {
        let first = c * RANGES_PER_STATEMENT;
        // $1 and $2 are the chunk's first and last edges, $3 and $4 the
        // attribution days and workspace (as `ATTRIBUTED` has them), $5 … the
        // edges between.
        let edge = |j: usize| match j {
            0 => "$1".to_string(),
            j if j == chunk.len() => "$2".to_string(),
            j => format!("${}", 4 + j),
        };
        let list: Vec<String> = (0..chunk.len())
            .map(|j| format!("({j}, {}, {})", edge(j), edge(j + 1)))
            .collect();
        let sql = format!(
            "WITH r (j, lo, hi) AS (VALUES {}), d (k, defect) AS (VALUES {defects})
             SELECT CAST(r.j AS BIGINT), CAST(d.k AS BIGINT), (SELECT COUNT(*) FROM incidents i
                 WHERE i.guild = $4 AND i.defect = d.defect AND i.opened_at >= r.lo AND i.opened_at < r.hi AND {ATTRIBUTED})
             FROM r, d",
            list.join(", ")
        );
        let mut args = Args::new(conn.backend());
        args.add(edges[first].clone())?;
        args.add(edges[first + chunk.len()].clone())?;
        args.add(b.days)?;
        args.add(b.guild.clone())?;
        for e in &edges[first + 1..first + chunk.len()] {
            args.add(e.clone())?;
        }
        for r in query_with(&sql, args).fetch_all(&mut *conn).await? {
            let (j, d, n): (i64, i64, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            if n == 0 {
                continue;
            }
            let slot = usize::try_from(j)
                .ok()
                .and_then(|j| chunk.get(j))
                .ok_or_else(|| anyhow::anyhow!("range {j} of {}", chunk.len()))?;
            let defect = usize::try_from(d)
                .ok()
                .and_then(|d| DefectType::ALL.get(d))
                .ok_or_else(|| anyhow::anyhow!("defect {d}"))?
                .as_str();
            let x = &mut m[usize::from(*slot != Slot::Previous)];
            *x.incidents_by_defect.entry(defect.to_string()).or_default() += n;
            if let Slot::Week(k) = slot {
                *weeks[*k]
                    .incidents_by_defect
                    .entry(defect.to_string())
                    .or_default() += n;
            }
        }
    }
    Ok(())
}

/// A period that holds at least this share of the workspace's resolved
/// history takes its median by walking migration 0031's index in restore
/// order; a smaller one sorts its rows. The walk reads the workspace's rows
/// from the shortest restore time until it passes the period's middle one,
/// about half of the history whatever the period, where the sort reads only
/// the period's rows but costs about three times as much per row (Python
/// `sqlite3`, load 4, on a file generated as the report bench does: a
/// year, 85,000 rows, walked in 19–34 ms against 119–177 ms sorted; 30
/// days, 8,300 rows, 17–29 ms against 8–12 ms): the walk pays from about a
/// sixth of the history, and a quarter leaves a margin. Either gives the
/// same rows; the share only decides the time.
const WALK_SHARE: f64 = 0.25;

/// The statement that takes the middle row(s) of the resolved attributable
/// incidents' restore times in one period (`current`: `[$5, $2)`, else
/// `[$1, $5)`), `$6` rows from offset `$7`. Walking, the range is tested on
/// `resolved_at || ''`, which no index orders, so the planner keeps to the
/// restore order; sorting, the order is on `restore_hours + 0`, which no
/// index gives, so the planner reads the period's range and sorts it.
pub fn median_sql(walk: bool, current: bool) -> String {
    let (lo, hi) = if current { ("$5", "$2") } else { ("$1", "$5") };
    let (col, order) = if walk {
        ("i.resolved_at || ''", "i.restore_hours")
    } else {
        ("i.resolved_at", "i.restore_hours + 0")
    };
    format!(
        "SELECT i.restore_hours FROM incidents i
         WHERE i.guild = $4 AND {col} >= {lo} AND {col} < {hi} AND {ATTRIBUTED}
         ORDER BY {order} LIMIT $6 OFFSET $7"
    )
}

/// The share of the workspace's resolved history, from its first to its
/// last resolution, that `[from, to)` covers.
fn share(from: DateTime<Utc>, to: DateTime<Utc>, first: DateTime<Utc>, last: DateTime<Utc>) -> f64 {
    let span = (last - first).num_milliseconds();
    if span <= 0 {
        return 1.0;
    }
    let covered = (to.min(last) - from.max(first)).num_milliseconds().max(0);
    covered as f64 / span as f64
}

/// The resolved attributable incidents of both periods: their count and
/// effort in one statement, a range each (with the workspace's first and
/// last resolution, index seeks), then each period's median restore time as the middle one
/// or two of the stored restore times (migration 0030), walked in index
/// order or sorted (see `WALK_SHARE`).
pub(super) async fn resolved(
    conn: &mut Conn,
    b: &Binds,
    previous_from: DateTime<Utc>,
    current: super::Period,
    m: &mut [Measures; 2],
) -> anyhow::Result<()> {
    // One range per period, so that no row tests which period it is in.
    let per_period = |k: i64, range: &str| {
        format!(
            "SELECT CAST({k} AS BIGINT), COUNT(*), CAST(COALESCE(SUM(i.effort_hours), 0) AS DOUBLE PRECISION),
                (SELECT MIN(h.resolved_at) FROM incidents h WHERE h.guild = $4),
                (SELECT MAX(h.resolved_at) FROM incidents h WHERE h.guild = $4)
             FROM incidents i WHERE i.guild = $4 AND i.resolved_at >= {range} AND {ATTRIBUTED}"
        )
    };
    let sql = format!(
        "{} UNION ALL {}",
        per_period(0, "$1 AND i.resolved_at < $5"),
        per_period(1, "$5 AND i.resolved_at < $2")
    );
    let mut counted = [(0i64, 0f64); 2];
    let mut history = None;
    for r in b.query(&sql).fetch_all(&mut *conn).await? {
        let k: i64 = r.try_get(0)?;
        let slot = usize::try_from(k)
            .ok()
            .and_then(|k| counted.get_mut(k))
            .ok_or_else(|| anyhow::anyhow!("period {k}"))?;
        *slot = (r.try_get(1)?, r.try_get(2)?);
        if let (Some(first), Some(last)) = (
            r.try_get::<Option<String>, _>(3)?,
            r.try_get::<Option<String>, _>(4)?,
        ) {
            history = Some((parse_ts(&first)?, parse_ts(&last)?));
        }
    }
    let periods = [(previous_from, current.from), (current.from, current.to)];
    for (k, x) in m.iter_mut().enumerate() {
        let (n, effort) = counted[k];
        if n == 0 {
            continue;
        }
        x.effort_hours = round(effort);
        let (from, to) = periods[k];
        let walk = history.is_some_and(|(first, last)| share(from, to, first, last) >= WALK_SHARE);
        let middle: Vec<f64> = b
            .query(&median_sql(walk, k == 1))
            .bind(2 - n % 2)
            .bind((n - 1) / 2)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        x.time_to_restore_hours = median(middle).map(round);
    }
    Ok(())
}
