//! Renders the metrics chart of a made-up six-week period, the example
//! shown in the README: `cargo run --example chart -- docs/chart.png [preview.png]`
//! (the second file: the chart at Discord's preview width, 400 px).

use chrono::{Duration, NaiveDate};
use release_desk::domain::metrics::{trends, Csat, Measures, Report, Week};
use std::collections::BTreeMap;

fn tally(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn main() -> anyhow::Result<()> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "docs/chart.png".into());
    let from = NaiveDate::from_ymd_opt(2026, 11, 2).expect("a date");
    let incidents = [
        vec![("code", 2), ("configuration", 1)],
        vec![("code", 1)],
        vec![("configuration", 2), ("data", 1), ("infrastructure", 1)],
        vec![],
        vec![("code", 1), ("documentation", 1)],
        vec![("process", 1)],
    ];
    let (planned, actual) = ([2, 1, 3, 2, 2, 1], [1, 1, 2, 2, 1, 1]);
    let weeks: Vec<Week> = (0..6)
        .map(|k| Week {
            start: from + Duration::days(7 * k as i64),
            incidents_by_defect: tally(&incidents[k]),
            planned: planned[k],
            actual: actual[k],
            csat: Some(4.0),
        })
        .collect();
    let current = Measures {
        incidents_by_defect: tally(&[
            ("code", 4),
            ("configuration", 3),
            ("data", 1),
            ("infrastructure", 1),
            ("documentation", 1),
            ("process", 1),
        ]),
        incidents_by_severity: tally(&[("1", 1), ("2", 3), ("3", 5), ("4", 2)]),
        planned: 11,
        actual: 8,
        effort_hours: 31.5,
        csat: Csat {
            average: Some(4.2),
            responses: 14,
        },
        deployment_frequency: 1.33,
        lead_time_hours: Some(61.0),
        change_failure_rate: Some(0.25),
        production_deployments: 8,
        change_failures: 2,
        time_to_restore_hours: Some(3.5),
        ..Default::default()
    };
    let previous = Measures {
        incidents_by_defect: tally(&[("code", 6), ("configuration", 2)]),
        planned: 9,
        actual: 6,
        effort_hours: 40.0,
        csat: Csat {
            average: Some(3.9),
            responses: 10,
        },
        deployment_frequency: 1.0,
        lead_time_hours: Some(80.0),
        change_failure_rate: Some(0.333),
        time_to_restore_hours: Some(2.0),
        ..Default::default()
    };
    let report = Report {
        from,
        to: from + Duration::days(41),
        trends: trends(&current, &previous),
        measures: current,
        weeks,
    };
    let png = release_desk::render::report::chart(&report)?;
    std::fs::write(&out, &png)?;
    println!("wrote {out}");
    // How Discord previews it: about 400 px wide.
    if let Some(preview) = std::env::args().nth(2) {
        let img = image::load_from_memory(&png)?;
        img.resize(400, 400, image::imageops::FilterType::Triangle)
            .save_with_format(&preview, image::ImageFormat::Png)?;
        println!("wrote {preview}");
    }
    Ok(())
}
