//! What the metrics chart shows, as plain data: the KPI header, the weekly
//! series and their axes. Computed by a pure function from the report, so
//! the chart's content is tested without looking at pixels.

use crate::domain::metrics::Report;
use crate::render::human;

/// Which way a measure moved against the previous period, and whether that is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrow {
    /// It went up.
    Up {
        /// Up is an improvement for this measure.
        good: bool,
    },
    /// It went down.
    Down {
        /// Down is an improvement for this measure.
        good: bool,
    },
    /// Unchanged.
    Same,
    /// The previous period has no data for it: no arrow.
    Unknown,
}

/// One figure of the header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kpi {
    /// What it measures.
    pub label: String,
    /// The figure, large.
    pub value: String,
    /// What it counts, small.
    pub detail: String,
    /// Its trend.
    pub arrow: Arrow,
}

/// One series of bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// Its colour.
    pub rgb: (u8, u8, u8),
    /// One value per week.
    pub values: Vec<i64>,
}

/// A panel of weekly bars on an integer axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bars {
    /// The panel's caption.
    pub caption: String,
    /// Stacked (one bar per week) or grouped (one bar per series per week).
    pub stacked: bool,
    /// The series, in stacking / grouping order; every one is in the legend.
    pub series: Vec<Series>,
    /// The axis top, a multiple of `y_step` above the highest bar.
    pub y_max: i64,
    /// The distance between labelled ticks.
    pub y_step: i64,
    /// Said in the panel when there is nothing to draw.
    pub empty: Option<String>,
}

/// The whole chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The headline.
    pub title: String,
    /// The header row.
    pub kpis: Vec<Kpi>,
    /// The weeks' labels (their first day).
    pub weeks: Vec<String>,
    /// Incidents per week by defect type.
    pub incidents: Bars,
    /// Planned vs verified releases per week.
    pub delivery: Bars,
}

/// The defect types in a fixed order with fixed colours, so a colour means
/// the same defect in every report (colour-blind-safe Okabe–Ito palette).
const DEFECTS: [(&str, (u8, u8, u8)); 7] = [
    ("code", (213, 94, 0)),
    ("configuration", (230, 159, 0)),
    ("data", (0, 114, 178)),
    ("infrastructure", (86, 180, 233)),
    ("documentation", (0, 158, 115)),
    ("process", (204, 121, 167)),
    ("other", (120, 120, 120)),
];

const PLANNED: (u8, u8, u8) = (150, 170, 200);
const VERIFIED: (u8, u8, u8) = (0, 114, 178);

/// An axis over `0..=highest` with about five labelled integer ticks and
/// room above the highest bar.
pub fn axis(highest: i64) -> (i64, i64) {
    let highest = highest.max(0);
    let step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000]
        .into_iter()
        .find(|s| highest / s < 5)
        .unwrap_or_else(|| (highest / 5).max(1));
    (((highest / step) + 1) * step, step)
}

fn arrow(r: &Report, key: &str, up_is_good: bool) -> Arrow {
    match r.trends.get(key).and_then(|t| t.change) {
        None => Arrow::Unknown,
        Some(c) if c > 0.0 => Arrow::Up { good: up_is_good },
        Some(c) if c < 0.0 => Arrow::Down { good: !up_is_good },
        Some(_) => Arrow::Same,
    }
}

fn or_dash(v: Option<f64>, show: fn(f64) -> String) -> String {
    v.map(show).unwrap_or_else(|| "—".into())
}

/// The chart's content for report `r`.
pub fn layout(r: &Report) -> Layout {
    let m = &r.measures;
    let rate = m
        .change_failure_rate
        .map(human::percent)
        .unwrap_or_else(|| "—".into());
    let kpis = vec![
        Kpi {
            label: "Deployment frequency".into(),
            value: format!("{}/wk", human::number(m.deployment_frequency)),
            detail: "to production".into(),
            arrow: arrow(r, "deployment_frequency", true),
        },
        Kpi {
            label: "Lead time".into(),
            value: or_dash(m.lead_time_hours, human::hours),
            detail: "median".into(),
            arrow: arrow(r, "lead_time_hours", false),
        },
        Kpi {
            label: "Change failure rate".into(),
            value: rate,
            detail: format!("{} of {} in prod", m.change_failures, m.production_deployments),
            arrow: arrow(r, "change_failure_rate", false),
        },
        Kpi {
            label: "Time to restore".into(),
            value: or_dash(m.time_to_restore_hours, human::hours),
            detail: "median".into(),
            arrow: arrow(r, "time_to_restore_hours", false),
        },
        Kpi {
            label: "Satisfaction".into(),
            value: or_dash(m.csat.average, |a| format!("{}/5", human::number(a))),
            detail: human::count(m.csat.responses, "response", "responses"),
            arrow: arrow(r, "csat_average", true),
        },
        Kpi {
            label: "Planned vs actual".into(),
            value: format!("{} / {}", m.planned, m.actual),
            detail: "planned / done".into(),
            arrow: arrow(r, "actual", true),
        },
    ];
    let weeks: Vec<String> = r
        .weeks
        .iter()
        .map(|w| w.start.format("%-d %b").to_string())
        .collect();

    let series: Vec<Series> = DEFECTS
        .iter()
        .map(|(name, rgb)| Series {
            name: (*name).into(),
            rgb: *rgb,
            values: r
                .weeks
                .iter()
                .map(|w| w.incidents_by_defect.get(*name).copied().unwrap_or(0))
                .collect(),
        })
        // A defect type with no incident has no bar; one the fixed list does not know still gets one.
        .chain(
            r.weeks
                .iter()
                .flat_map(|w| w.incidents_by_defect.keys())
                .filter(|k| !DEFECTS.iter().any(|(d, _)| d == k))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .map(|k| Series {
                    name: k.clone(),
                    rgb: (60, 60, 60),
                    values: r
                        .weeks
                        .iter()
                        .map(|w| w.incidents_by_defect.get(k).copied().unwrap_or(0))
                        .collect(),
                }),
        )
        .filter(|s| s.values.iter().any(|v| *v > 0))
        .collect();
    let highest = (0..r.weeks.len())
        .map(|i| series.iter().map(|s| s.values[i]).sum::<i64>())
        .max()
        .unwrap_or(0);
    let (y_max, y_step) = axis(highest);
    let incidents = Bars {
        caption: "Incidents per week, by defect type".into(),
        stacked: true,
        empty: series
            .is_empty()
            .then(|| "no incidents in the period".to_string()),
        series,
        y_max,
        y_step,
    };

    let planned: Vec<i64> = r.weeks.iter().map(|w| w.planned).collect();
    let verified: Vec<i64> = r.weeks.iter().map(|w| w.actual).collect();
    let highest = planned.iter().chain(&verified).copied().max().unwrap_or(0);
    let (y_max, y_step) = axis(highest);
    let delivery = Bars {
        caption: "Releases per week: planned vs verified".into(),
        stacked: false,
        empty: (highest == 0).then(|| "nothing planned or verified in the period".to_string()),
        series: vec![
            Series {
                name: "planned".into(),
                rgb: PLANNED,
                values: planned,
            },
            Series {
                name: "verified in production".into(),
                rgb: VERIFIED,
                values: verified,
            },
        ],
        y_max,
        y_step,
    };
    Layout {
        title: format!("Release metrics · {}", human::period(r.from, r.to)),
        kpis,
        weeks,
        incidents,
        delivery,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::metrics::{trends, Csat, Measures, Week};
    use chrono::NaiveDate;

    fn tally(pairs: &[(&str, i64)]) -> std::collections::BTreeMap<String, i64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn axes_are_integers_with_room_above_the_highest_bar() {
        assert_eq!(axis(0), (1, 1));
        assert_eq!(axis(1), (2, 1));
        assert_eq!(axis(4), (5, 1));
        assert_eq!(axis(5), (6, 2));
        assert_eq!(axis(9), (10, 2));
        assert_eq!(axis(10), (15, 5));
        assert_eq!(axis(37), (40, 10));
        assert_eq!(axis(120), (125, 25));
    }

    /// The whole layout of a two-week report, written out: the snapshot of
    /// what the chart shows.
    #[test]
    fn the_layout_of_a_report() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let current = Measures {
            incidents_by_defect: tally(&[("code", 3), ("data", 1), ("legacy", 1)]),
            planned: 3,
            actual: 2,
            csat: Csat {
                average: Some(4.5),
                responses: 2,
            },
            deployment_frequency: 1.0,
            lead_time_hours: Some(111.5),
            change_failure_rate: Some(0.667),
            production_deployments: 3,
            change_failures: 2,
            time_to_restore_hours: Some(14.0),
            ..Default::default()
        };
        let previous = Measures {
            actual: 2,
            deployment_frequency: 1.5,
            lead_time_hours: Some(200.0),
            ..Default::default()
        };
        let r = Report {
            from: day(1),
            to: day(14),
            trends: trends(&current, &previous),
            measures: current,
            weeks: vec![
                Week {
                    start: day(1),
                    incidents_by_defect: tally(&[("code", 2), ("data", 1), ("legacy", 1)]),
                    planned: 1,
                    actual: 2,
                    csat: Some(4.5),
                },
                Week {
                    start: day(8),
                    incidents_by_defect: tally(&[("code", 1)]),
                    planned: 2,
                    actual: 0,
                    csat: None,
                },
            ],
        };
        let kpi = |label: &str, value: &str, detail: &str, arrow| Kpi {
            label: label.into(),
            value: value.into(),
            detail: detail.into(),
            arrow,
        };
        let series = |name: &str, rgb, values: &[i64]| Series {
            name: name.into(),
            rgb,
            values: values.to_vec(),
        };
        assert_eq!(
            layout(&r),
            Layout {
                title: "Release metrics · 1 Dec 2026 – 14 Dec 2026".into(),
                kpis: vec![
                    kpi(
                        "Deployment frequency",
                        "1/wk",
                        "to production",
                        Arrow::Down { good: false }
                    ),
                    kpi("Lead time", "4 d 15 h", "median", Arrow::Down { good: true }),
                    // No rate, restore time or survey in the previous period: no arrow.
                    kpi("Change failure rate", "67 %", "2 of 3 in prod", Arrow::Unknown),
                    kpi("Time to restore", "14 h", "median", Arrow::Unknown),
                    kpi("Satisfaction", "4.5/5", "2 responses", Arrow::Unknown),
                    kpi("Planned vs actual", "3 / 2", "planned / done", Arrow::Same),
                ],
                weeks: vec!["1 Dec".into(), "8 Dec".into()],
                incidents: Bars {
                    caption: "Incidents per week, by defect type".into(),
                    stacked: true,
                    // The fixed defect order and colours, then a type the list does not know.
                    series: vec![
                        series("code", (213, 94, 0), &[2, 1]),
                        series("data", (0, 114, 178), &[1, 0]),
                        series("legacy", (60, 60, 60), &[1, 0]),
                    ],
                    // Four in the first week's stack.
                    y_max: 5,
                    y_step: 1,
                    empty: None,
                },
                delivery: Bars {
                    caption: "Releases per week: planned vs verified".into(),
                    stacked: false,
                    series: vec![
                        series("planned", PLANNED, &[1, 2]),
                        series("verified in production", VERIFIED, &[2, 0]),
                    ],
                    y_max: 3,
                    y_step: 1,
                    empty: None,
                },
            }
        );
    }

    #[test]
    fn an_empty_period_says_so_in_each_panel() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let r = Report {
            from: day,
            to: day,
            trends: trends(&Measures::default(), &Measures::default()),
            measures: Measures::default(),
            weeks: vec![Week {
                start: day,
                ..Default::default()
            }],
        };
        let l = layout(&r);
        assert!(l.incidents.series.is_empty());
        assert_eq!(l.incidents.empty.as_deref(), Some("no incidents in the period"));
        assert_eq!((l.incidents.y_max, l.incidents.y_step), (1, 1));
        assert!(l.delivery.empty.is_some());
        assert!(l.kpis.iter().all(|k| k.arrow == Arrow::Unknown));
        assert_eq!(l.kpis[1].value, "—");
    }
}
