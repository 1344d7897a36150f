//! The metrics report as text, JSON, CSV and a chart; one release's report.

use crate::chat::{Attachment, Outgoing};
use crate::domain::metrics::{Report, Week};
use crate::domain::records::{AuditEntry, Deployment, Incident, Release};
use chrono_tz::Tz;
use plotters::prelude::*;
use std::sync::Once;

fn opt(v: Option<f64>, unit: &str) -> String {
    v.map(|x| format!("{x}{unit}")).unwrap_or_else(|| "—".into())
}

fn counts(map: &std::collections::BTreeMap<String, i64>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    map.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The report as a table.
pub fn text(r: &Report) -> String {
    let m = &r.measures;
    let trend = |k: &str| {
        {
            r.trends.get(k).map(|t| {
                if t.change == 0.0 {
                    " (=)".to_string()
                } else {
                    format!(
                        " ({}{} vs previous period)",
                        if t.change > 0.0 { "+" } else { "" },
                        t.change
                    )
                }
            })
        }
        .unwrap_or_default()
    };
    let rows = [
        (
            "incidents by defect",
            format!("{}{}", counts(&m.incidents_by_defect), trend("incidents")),
        ),
        ("incidents by severity", counts(&m.incidents_by_severity)),
        (
            "assets introduced",
            format!(
                "new {}, changed {}, retired {}",
                m.assets_introduced.new, m.assets_introduced.changed, m.assets_introduced.retired
            ),
        ),
        (
            "planned vs actual",
            format!(
                "{} planned, {} verified in production{}",
                m.planned,
                m.actual,
                trend("actual")
            ),
        ),
        (
            "missed windows",
            format!("{}{}", m.missed_windows, trend("missed_windows")),
        ),
        (
            "effort on incidents",
            format!("{} h{}", m.effort_hours, trend("effort_hours")),
        ),
        (
            "configuration defects",
            format!("{}{}", m.config_defects, trend("config_defects")),
        ),
        (
            "customer satisfaction",
            format!(
                "{} from {} response(s)",
                opt(m.csat.average, "/5"),
                m.csat.responses
            ),
        ),
        (
            "deployment frequency",
            format!(
                "{} per week{}",
                m.deployment_frequency,
                trend("deployment_frequency")
            ),
        ),
        ("lead time (median)", opt(m.lead_time_hours, " h")),
        ("change failure rate", opt(m.change_failure_rate, "")),
        ("time to restore (median)", opt(m.time_to_restore_hours, " h")),
        ("close outcomes", counts(&m.close_outcomes)),
        ("reviews", m.reviews.to_string()),
    ];
    let mut s = format!("Release metrics {} – {}\n", r.from, r.to);
    for (k, v) in rows {
        s.push_str(&format!("  {k:<26} {v}\n"));
    }
    s.trim_end().to_string()
}

/// The report as JSON, with the keys of PRODUCT.md §7.
pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The report as CSV: one `metric,value` row per figure.
pub fn csv(r: &Report) -> String {
    let m = &r.measures;
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut rows: Vec<(String, String)> = vec![
        ("from".into(), r.from.to_string()),
        ("to".into(), r.to.to_string()),
    ];
    for (k, v) in &m.incidents_by_defect {
        rows.push((format!("incidents_by_defect.{k}"), v.to_string()));
    }
    for (k, v) in &m.incidents_by_severity {
        rows.push((format!("incidents_by_severity.{k}"), v.to_string()));
    }
    rows.extend([
        (
            "assets_introduced.new".into(),
            m.assets_introduced.new.to_string(),
        ),
        (
            "assets_introduced.changed".into(),
            m.assets_introduced.changed.to_string(),
        ),
        (
            "assets_introduced.retired".into(),
            m.assets_introduced.retired.to_string(),
        ),
        ("planned".into(), m.planned.to_string()),
        ("actual".into(), m.actual.to_string()),
        ("missed_windows".into(), m.missed_windows.to_string()),
        ("effort_hours".into(), m.effort_hours.to_string()),
        ("config_defects".into(), m.config_defects.to_string()),
        ("csat.average".into(), num(m.csat.average)),
        ("csat.responses".into(), m.csat.responses.to_string()),
        ("deployment_frequency".into(), m.deployment_frequency.to_string()),
        ("lead_time_hours".into(), num(m.lead_time_hours)),
        ("change_failure_rate".into(), num(m.change_failure_rate)),
        ("time_to_restore_hours".into(), num(m.time_to_restore_hours)),
    ]);
    for (k, v) in &m.close_outcomes {
        rows.push((format!("close_outcomes.{k}"), v.to_string()));
    }
    rows.push(("reviews".into(), m.reviews.to_string()));
    for (k, t) in &r.trends {
        rows.push((format!("previous.{k}"), t.previous.to_string()));
    }
    let mut out = String::from("metric,value\n");
    for (k, v) in rows {
        out.push_str(&format!("{k},{v}\n"));
    }
    out
}

/// The font every chart uses, shipped with the binary: no system fonts needed.
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono.ttf");

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            tracing::error!("the embedded chart font could not be loaded");
        }
    });
}

/// The chart: incidents by defect type per week, planned vs actual, CSAT. PNG bytes.
pub fn chart(r: &Report) -> anyhow::Result<Vec<u8>> {
    register_font();
    let (w, h) = (900u32, 900u32);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        let panels = root.split_evenly((3, 1));
        let weeks: &[Week] = &r.weeks;
        let n = weeks.len().max(1) as f64;
        let label = |i: &f64| {
            weeks
                .get(*i as usize)
                .map(|w| w.start.format("%d %b").to_string())
                .unwrap_or_default()
        };
        let defects: std::collections::BTreeSet<&String> =
            weeks.iter().flat_map(|w| w.incidents_by_defect.keys()).collect();
        let max_inc = weeks
            .iter()
            .flat_map(|w| w.incidents_by_defect.values())
            .copied()
            .max()
            .unwrap_or(0)
            .max(1) as f64;
        let mut c = ChartBuilder::on(&panels[0])
            .caption(
                format!("Incidents by defect type per week, {} – {}", r.from, r.to),
                ("sans-serif", 18),
            )
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(40)
            .build_cartesian_2d(0f64..n, 0f64..max_inc * 1.15)?;
        c.configure_mesh()
            .x_label_formatter(&label)
            .x_labels(weeks.len().clamp(2, 12))
            .draw()?;
        for (k, d) in defects.iter().enumerate() {
            let color = Palette99::pick(k).to_rgba();
            let pts: Vec<(f64, f64)> = weeks
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    (
                        i as f64 + 0.5,
                        *w.incidents_by_defect.get(*d).unwrap_or(&0) as f64,
                    )
                })
                .collect();
            c.draw_series(LineSeries::new(pts, color.stroke_width(2)))?
                .label(d.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
        }
        if !defects.is_empty() {
            c.configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()?;
        }
        let max_pa = weeks
            .iter()
            .map(|w| w.planned.max(w.actual))
            .max()
            .unwrap_or(0)
            .max(1) as f64;
        let mut c = ChartBuilder::on(&panels[1])
            .caption(
                "Planned vs actual (verified in production) per week",
                ("sans-serif", 18),
            )
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(40)
            .build_cartesian_2d(0f64..n, 0f64..max_pa * 1.15)?;
        c.configure_mesh()
            .x_label_formatter(&label)
            .x_labels(weeks.len().clamp(2, 12))
            .draw()?;
        let planned: Vec<(f64, f64)> = weeks
            .iter()
            .enumerate()
            .map(|(i, w)| (i as f64 + 0.5, w.planned as f64))
            .collect();
        let actual: Vec<(f64, f64)> = weeks
            .iter()
            .enumerate()
            .map(|(i, w)| (i as f64 + 0.5, w.actual as f64))
            .collect();
        c.draw_series(LineSeries::new(planned, BLUE.stroke_width(2)))?
            .label("planned")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE.stroke_width(2)));
        c.draw_series(LineSeries::new(actual, GREEN.stroke_width(2)))?
            .label("actual")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], GREEN.stroke_width(2)));
        c.configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
        let mut c = ChartBuilder::on(&panels[2])
            .caption("Customer satisfaction (1–5) per week", ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(40)
            .build_cartesian_2d(0f64..n, 0f64..5.5f64)?;
        c.configure_mesh()
            .x_label_formatter(&label)
            .x_labels(weeks.len().clamp(2, 12))
            .draw()?;
        let csat: Vec<(f64, f64)> = weeks
            .iter()
            .enumerate()
            .filter_map(|(i, w)| w.csat.map(|s| (i as f64 + 0.5, s)))
            .collect();
        c.draw_series(LineSeries::new(csat.clone(), RED.stroke_width(2)))?;
        c.draw_series(csat.into_iter().map(|p| Circle::new(p, 4, RED.filled())))?;
        root.present()?;
    }
    let img = image::RgbImage::from_raw(w, h, buf).ok_or_else(|| anyhow::anyhow!("chart buffer size"))?;
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageOutputFormat::Png)?;
    Ok(png.into_inner())
}

/// `/report metrics`: the table, with the chart attached.
pub fn metrics(r: &Report) -> Outgoing {
    let attachment = match chart(r) {
        Ok(png) => Some(Attachment {
            name: "release-metrics.png".into(),
            content: png,
        }),
        Err(e) => {
            tracing::error!(error = %e, "chart failed");
            None
        }
    };
    Outgoing {
        attachment,
        ..Outgoing::text(text(r))
    }
}

/// `/report release`: one release's timeline and figures.
pub fn release(
    r: &Release,
    history: &[AuditEntry],
    deployments: &[Deployment],
    incidents: &[Incident],
    csat: (Option<f64>, i64),
    tz: Tz,
) -> Outgoing {
    let effort: f64 = incidents.iter().filter_map(|i| i.effort_hours).sum();
    let backed_out = deployments
        .iter()
        .filter(|d| d.outcome == Some(crate::domain::deployment::DeployOutcome::BackedOut))
        .count();
    let mut s = format!(
        "Report — {} {} ({}) — {}\n  revision {} · test runs {} · builds {} · deployments {} ({} backed out)\n  incidents {} ({} open) · effort {} h · satisfaction {} from {} response(s)",
        r.rid(),
        r.name,
        r.version,
        r.lifecycle.state,
        r.lifecycle.revision,
        r.lifecycle.test_runs,
        r.builds,
        deployments.len(),
        backed_out,
        incidents.len(),
        incidents.iter().filter(|i| i.resolved_at.is_none()).count(),
        effort,
        opt(csat.0.map(crate::domain::metrics::round), "/5"),
        csat.1
    );
    s.push_str("\n  timeline:");
    s.push_str(&super::history_lines(history, tz));
    Outgoing::text(s)
}
