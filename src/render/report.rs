//! The metrics report as text, JSON, CSV and a chart; one release's report.

use super::human;
use crate::chat::{Attachment, Outgoing};
use crate::domain::metrics::Report;
use crate::domain::records::Release;

/// `▲ 2`, `▼ 2 h 30 min`, `=`: how a measure moved, in its own unit.
fn moved(change: f64, unit: fn(f64) -> String) -> String {
    if change == 0.0 {
        "= previous period".into()
    } else {
        let arrow = if change > 0.0 { "▲" } else { "▼" };
        format!("{arrow} {} vs previous period", unit(change.abs()))
    }
}

/// The trend of measure `key` as a parenthesised suffix, or nothing when
/// the previous period has no data for it.
fn trend(r: &Report, key: &str, unit: fn(f64) -> String) -> String {
    r.trends
        .get(key)
        .and_then(|t| t.change)
        .map(|c| format!(" ({})", moved(c, unit)))
        .unwrap_or_default()
}

fn whole(x: f64) -> String {
    human::number(x)
}

fn known(v: Option<f64>, show: fn(f64) -> String) -> String {
    v.map(show).unwrap_or_else(|| "— (no data)".into())
}

/// The change failure rate and what it counts: (`33 %`, `1 of 3 production deployments`).
pub fn failure_rate_parts(m: &crate::domain::metrics::Measures) -> (String, String) {
    match m.change_failure_rate {
        Some(rate) => (
            human::percent(rate),
            format!(
                "{} of {}",
                m.change_failures,
                human::count(
                    m.production_deployments,
                    "production deployment",
                    "production deployments"
                )
            ),
        ),
        None => ("—".into(), "no production deployment".into()),
    }
}

/// The change failure rate with what it counts: `33 % — 1 of 3 production deployments`.
pub fn failure_rate(m: &crate::domain::metrics::Measures) -> String {
    let (rate, of) = failure_rate_parts(m);
    if m.change_failure_rate.is_some() {
        format!("{rate} — {of}")
    } else {
        format!("— ({of})")
    }
}

/// The report as a table.
pub fn text(r: &Report) -> String {
    let m = &r.measures;
    let incidents: i64 = m.incidents_by_defect.values().sum();
    let rows = [
        (
            "incidents",
            format!(
                "{}{}{}",
                incidents,
                if incidents > 0 {
                    format!(" — {}", human::tally(&m.incidents_by_defect))
                } else {
                    String::new()
                },
                trend(r, "incidents", whole)
            ),
        ),
        (
            "incidents by severity",
            human::severities(&m.incidents_by_severity),
        ),
        (
            "assets introduced",
            format!(
                "{} new · {} changed · {} retired",
                m.assets_introduced.new, m.assets_introduced.changed, m.assets_introduced.retired
            ),
        ),
        (
            "planned vs actual",
            format!(
                "{} planned, {} verified in production{}",
                m.planned,
                m.actual,
                trend(r, "actual", whole)
            ),
        ),
        (
            "missed windows",
            format!("{}{}", m.missed_windows, trend(r, "missed_windows", whole)),
        ),
        (
            "effort on incidents",
            format!(
                "{}{}",
                human::hours(m.effort_hours),
                trend(r, "effort_hours", human::hours)
            ),
        ),
        (
            "configuration defects",
            format!("{}{}", m.config_defects, trend(r, "config_defects", whole)),
        ),
        (
            "customer satisfaction",
            match m.csat.average {
                Some(a) => format!(
                    "{}/5 from {}",
                    human::number(a),
                    human::count(m.csat.responses, "response", "responses")
                ),
                None => "— (no responses)".into(),
            },
        ),
        (
            "deployment frequency",
            format!(
                "{} per week{}",
                human::number(m.deployment_frequency),
                trend(r, "deployment_frequency", whole)
            ),
        ),
        ("lead time (median)", known(m.lead_time_hours, human::hours)),
        ("change failure rate", failure_rate(m)),
        (
            "time to restore (median)",
            known(m.time_to_restore_hours, human::hours),
        ),
        ("close outcomes", human::tally(&m.close_outcomes)),
        ("reviews", m.reviews.to_string()),
    ];
    let mut s = format!("Release metrics {}\n", human::period(r.from, r.to));
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
        rows.push((format!("previous.{k}"), num(t.previous)));
    }
    let mut out = String::from("metric,value\n");
    for (k, v) in rows {
        out.push_str(&format!("{k},{v}\n"));
    }
    out
}

pub use super::chart::chart;

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

/// `/report release`: one release's figures and its story.
pub fn release(r: &Release, rec: super::Record<'_>, csat: (Option<f64>, i64)) -> Outgoing {
    let (deployments, incidents) = (rec.deployments, rec.incidents);
    let effort: f64 = incidents.iter().filter_map(|i| i.effort_hours).sum();
    let backed_out = deployments
        .iter()
        .filter(|d| d.outcome == Some(crate::domain::deployment::DeployOutcome::BackedOut))
        .count() as i64;
    let open = incidents.iter().filter(|i| i.resolved_at.is_none()).count();
    let satisfaction = match csat.0 {
        Some(a) => format!(
            "{}/5 from {}",
            human::number(a),
            human::count(csat.1, "response", "responses")
        ),
        None => "no responses".into(),
    };
    let mut m = Outgoing::text(format!(
        "Report — {} {} ({}) — {}",
        r.rid(),
        r.name,
        r.version,
        r.lifecycle.state
    ))
    .facts([
        ("revision", r.lifecycle.revision.to_string()),
        ("test runs", r.lifecycle.test_runs.to_string()),
        ("builds", r.builds.to_string()),
        (
            "deployments",
            format!("{} ({backed_out} backed out)", deployments.len()),
        ),
    ])
    .facts([
        ("incidents", format!("{} ({open} open)", incidents.len())),
        ("effort", human::hours(effort)),
        ("satisfaction", satisfaction),
    ])
    .line("  timeline:");
    let board = if r.emergency { "ECAB" } else { "CAB" };
    for l in super::story::lines(rec.history, board, rec.bot, rec.tz) {
        m = m.line(format!("    {l}"));
    }
    m.about([r.rid()])
}
