//! The report's incident passes over both periods: the attributable
//! incidents by defect, severity and week, and the resolved ones' count,
//! effort and median restore time. Each reads one covering index
//! (migrations 0023 and 0030) and aggregates in SQL; none sorts the
//! period's rows to group them, which was most of their time.

use super::{Binds, ATTRIBUTED};
use crate::db::{query_with, ts, Args, Conn};
use crate::domain::incident::DefectType;
use crate::domain::metrics::{median, round, Measures, Week};
use chrono::{DateTime, Duration, Utc};

/// The severities the schema allows (`CHECK (severity BETWEEN 1 AND 4)`).
const SEVERITIES: [i64; 4] = [1, 2, 3, 4];

/// Time ranges per statement: one SELECT each in a compound statement,
/// and SQLite allows at most 500 of those.
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
/// by defect in each week of the current one: one range of the covering
/// index per week (or period), each counted without sorting, in compound
/// statements whose ranges end where the next begins.
pub(super) async fn by_kind(
    conn: &mut Conn,
    b: &Binds,
    previous_from: DateTime<Utc>,
    current: super::Period,
    m: &mut [Measures; 2],
    weeks: &mut [Week],
) -> anyhow::Result<()> {
    let counts: Vec<String> = DefectType::ALL
        .iter()
        .map(|d| format!("COUNT(*) FILTER (WHERE i.defect = '{}')", d.as_str()))
        .chain(
            SEVERITIES
                .iter()
                .map(|s| format!("COUNT(*) FILTER (WHERE i.severity = {s})")),
        )
        .collect();
    let counts = counts.join(", ");
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
        let sql: Vec<String> = (0..chunk.len())
            .map(|j| {
                format!(
                    "SELECT CAST({j} AS BIGINT), {counts} FROM incidents i
                     WHERE i.guild = $4 AND i.opened_at >= {} AND i.opened_at < {} AND {ATTRIBUTED}",
                    edge(j),
                    edge(j + 1)
                )
            })
            .collect();
        let sql = sql.join(" UNION ALL ");
        let mut args = Args::new(conn.backend());
        args.add(edges[first].clone())?;
        args.add(edges[first + chunk.len()].clone())?;
        args.add(b.days)?;
        args.add(b.guild.clone())?;
        for e in &edges[first + 1..first + chunk.len()] {
            args.add(e.clone())?;
        }
        for r in query_with(&sql, args).fetch_all(&mut *conn).await? {
            let j: i64 = r.try_get(0)?;
            let slot = usize::try_from(j)
                .ok()
                .and_then(|j| chunk.get(j))
                .ok_or_else(|| anyhow::anyhow!("range {j} of {}", chunk.len()))?;
            let x = &mut m[usize::from(*slot != Slot::Previous)];
            for (d, defect) in DefectType::ALL.iter().enumerate() {
                let n: i64 = r.try_get(1 + d)?;
                if n > 0 {
                    *x.incidents_by_defect
                        .entry(defect.as_str().to_string())
                        .or_default() += n;
                    if let Slot::Week(k) = slot {
                        *weeks[*k]
                            .incidents_by_defect
                            .entry(defect.as_str().to_string())
                            .or_default() += n;
                    }
                }
            }
            for (s, severity) in SEVERITIES.iter().enumerate() {
                let n: i64 = r.try_get(1 + DefectType::ALL.len() + s)?;
                if n > 0 {
                    *x.incidents_by_severity.entry(severity.to_string()).or_default() += n;
                }
            }
        }
    }
    Ok(())
}

/// The resolved attributable incidents of both periods: their count and
/// effort in one pass, then each period's median restore time as the middle
/// one or two of the stored restore times (migration 0030), sorted from the
/// covering index.
pub(super) async fn resolved(conn: &mut Conn, b: &Binds, m: &mut [Measures; 2]) -> anyhow::Result<()> {
    let r = b
        .query(&format!(
            "SELECT COUNT(*) FILTER (WHERE i.resolved_at < $5),
                CAST(COALESCE(SUM(i.effort_hours) FILTER (WHERE i.resolved_at < $5), 0) AS DOUBLE PRECISION),
                COUNT(*) FILTER (WHERE i.resolved_at >= $5),
                CAST(COALESCE(SUM(i.effort_hours) FILTER (WHERE i.resolved_at >= $5), 0) AS DOUBLE PRECISION)
             FROM incidents i WHERE i.guild = $4 AND i.resolved_at >= $1 AND i.resolved_at < $2 AND {ATTRIBUTED}"
        ))
        .fetch_one(&mut *conn)
        .await?;
    for (k, x) in m.iter_mut().enumerate() {
        let n: i64 = r.try_get(2 * k)?;
        if n == 0 {
            continue;
        }
        x.effort_hours = round(r.try_get(2 * k + 1)?);
        let range = if k == 1 {
            "$5 AND i.resolved_at < $2"
        } else {
            "$1 AND i.resolved_at < $5"
        };
        let middle: Vec<f64> = b
            .query(&format!(
                "SELECT i.restore_hours FROM incidents i
                 WHERE i.guild = $4 AND i.resolved_at >= {range} AND {ATTRIBUTED} ORDER BY i.restore_hours LIMIT $6 OFFSET $7"
            ))
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
