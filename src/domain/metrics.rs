//! The measurements of the process (the seed's six and the four DORA
//! measures): their shape and the formulas over stored facts.

use crate::domain::deployment::DeployOutcome;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// Configuration items introduced, by what the release did to them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Assets {
    /// New items.
    pub new: i64,
    /// Changed items.
    pub changed: i64,
    /// Retired items.
    pub retired: i64,
}

/// Customer satisfaction from the 1–5 survey.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Csat {
    /// Average score; `null` with no responses.
    pub average: Option<f64>,
    /// How many answered.
    pub responses: i64,
}

/// The measurements over one period. Field names are the report's JSON keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Measures {
    /// Attributable incidents opened in the period, by defect type.
    pub incidents_by_defect: BTreeMap<String, i64>,
    /// The same, by severity (`"1"` … `"4"`).
    pub incidents_by_severity: BTreeMap<String, i64>,
    /// Items in the baselined packages of releases verified in production.
    pub assets_introduced: Assets,
    /// Releases scheduled into windows in the period.
    pub planned: i64,
    /// Releases verified in production in the period.
    pub actual: i64,
    /// Windows that closed with a booked release not deployed.
    pub missed_windows: i64,
    /// Effort on attributable incidents resolved in the period.
    pub effort_hours: f64,
    /// Configuration-management defects found by audits.
    pub config_defects: i64,
    /// Survey answers given in the period.
    pub csat: Csat,
    /// Verified production deployments per week.
    pub deployment_frequency: f64,
    /// Median hours from the first RFC opened to production verified.
    pub lead_time_hours: Option<f64>,
    /// Share (0–1) of production deployments backed out or causing a severity 1–2 incident.
    pub change_failure_rate: Option<f64>,
    /// The production deployments the rate divides by (shown beside it, not a JSON key).
    #[serde(skip)]
    pub production_deployments: i64,
    /// Those of them that failed.
    #[serde(skip)]
    pub change_failures: i64,
    /// Median hours from incident opened to resolved.
    pub time_to_restore_hours: Option<f64>,
    /// Releases closed in the period, by close outcome.
    pub close_outcomes: BTreeMap<String, i64>,
    /// Post-implementation reviews recorded in the period.
    pub reviews: i64,
}

/// Whether a production deployment counts as a change failure: it was
/// backed out, it caused a severity 1–2 incident, or its release was
/// closed as unsuccessful.
pub fn deployment_failed(outcome: DeployOutcome, caused_incident: bool, release_unsuccessful: bool) -> bool {
    outcome == DeployOutcome::BackedOut || caused_incident || release_unsuccessful
}

/// One week of the chart's series.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Week {
    /// The week's first day.
    pub start: NaiveDate,
    /// Incidents by defect type.
    pub incidents_by_defect: BTreeMap<String, i64>,
    /// Releases scheduled into windows that week.
    pub planned: i64,
    /// Releases verified in production that week.
    pub actual: i64,
    /// Average survey score that week.
    pub csat: Option<f64>,
}

/// A measure against the previous period of the same length; `None`
/// (JSON `null`) where a period has no data for it, so "nothing known" never
/// reads as a measured 0.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// This period.
    pub current: Option<f64>,
    /// The period before.
    pub previous: Option<f64>,
    /// current − previous (negative is a reduction), when both are known.
    pub change: Option<f64>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
    /// The measurements.
    #[serde(flatten)]
    pub measures: Measures,
    /// Each numeric measure against the previous period.
    pub trends: BTreeMap<String, Trend>,
    /// Weekly series for the chart.
    pub weeks: Vec<Week>,
}

/// The median, or `None` with no values.
pub fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Events per week over a period of `days` days.
pub fn per_week(events: i64, days: i64) -> f64 {
    if days <= 0 {
        return 0.0;
    }
    round(events as f64 * 7.0 / days as f64)
}

/// Failures over all, or `None` with nothing to divide by.
pub fn rate(failed: i64, all: i64) -> Option<f64> {
    (all > 0).then(|| round(failed as f64 / all as f64))
}

/// Rounds to 3 decimals, so reports read cleanly and compare exactly.
pub fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The numeric measures that get a trend line; `None` where the measure
/// is undefined (an average, median or rate with nothing to compute it from).
pub fn trend_values(m: &Measures) -> Vec<(&'static str, Option<f64>)> {
    let total = |b: &BTreeMap<String, i64>| b.values().sum::<i64>() as f64;
    vec![
        ("incidents", Some(total(&m.incidents_by_defect))),
        ("planned", Some(m.planned as f64)),
        ("actual", Some(m.actual as f64)),
        ("missed_windows", Some(m.missed_windows as f64)),
        ("effort_hours", Some(m.effort_hours)),
        ("config_defects", Some(m.config_defects as f64)),
        ("csat_average", m.csat.average),
        ("deployment_frequency", Some(m.deployment_frequency)),
        ("lead_time_hours", m.lead_time_hours),
        ("change_failure_rate", m.change_failure_rate),
        ("time_to_restore_hours", m.time_to_restore_hours),
    ]
}

/// Each measure against the previous period. A previous period in which
/// nothing at all was recorded has no data for any measure.
pub fn trends(current: &Measures, previous: &Measures) -> BTreeMap<String, Trend> {
    let previous_empty = *previous == Measures::default();
    trend_values(current)
        .into_iter()
        .zip(trend_values(previous))
        .map(|((k, c), (_, p))| {
            let p = p.filter(|_| !previous_empty);
            let change = c.zip(p).map(|(c, p)| round(c - p));
            (
                k.to_string(),
                Trend {
                    current: c,
                    previous: p,
                    change,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_fails_by_back_out_incident_or_unsuccessful_close() {
        assert!(!deployment_failed(DeployOutcome::Verified, false, false));
        assert!(deployment_failed(DeployOutcome::BackedOut, false, false));
        assert!(deployment_failed(DeployOutcome::Verified, true, false));
        assert!(deployment_failed(DeployOutcome::Verified, false, true));
    }

    #[test]
    fn medians_rates_and_weeks() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5.0]), Some(5.0));
        assert_eq!(median(vec![9.0, 1.0, 5.0]), Some(5.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(rate(1, 3), Some(0.333));
        assert_eq!(rate(0, 0), None);
        assert_eq!(per_week(3, 14), 1.5);
        assert_eq!(per_week(3, 0), 0.0);
    }

    #[test]
    fn trends_say_how_much_went_down() {
        let now = Measures {
            effort_hours: 3.5,
            config_defects: 1,
            ..Default::default()
        };
        let before = Measures {
            effort_hours: 10.0,
            config_defects: 4,
            ..Default::default()
        };
        let t = trends(&now, &before);
        assert_eq!(
            t["effort_hours"],
            Trend {
                current: Some(3.5),
                previous: Some(10.0),
                change: Some(-6.5)
            }
        );
        assert_eq!(t["config_defects"].change, Some(-3.0));
        // Measured counts of 0 are data; an undefined median is not.
        assert_eq!(t["actual"].previous, Some(0.0));
        assert_eq!(t["lead_time_hours"].previous, None);
        assert_eq!(t["lead_time_hours"].change, None);
    }

    #[test]
    fn a_previous_period_without_records_has_no_figures() {
        let now = Measures {
            planned: 2,
            lead_time_hours: Some(5.0),
            ..Default::default()
        };
        let t = trends(&now, &Measures::default());
        assert!(
            t.values().all(|t| t.previous.is_none() && t.change.is_none()),
            "{t:?}"
        );
        assert_eq!(t["planned"].current, Some(2.0));
        assert_eq!(t["lead_time_hours"].current, Some(5.0));
        assert_eq!(t["csat_average"].current, None);
    }
}
