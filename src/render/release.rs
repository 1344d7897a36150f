//! Releases: creation, plans, state changes, the full view and lists.

use super::{class_of, next_fact, rfc_brief, short};
use crate::chat::Outgoing;
use crate::domain::records::{AuditEntry, Release, Rfc};
use crate::domain::release::ReleaseState;
use crate::domain::timefmt::show_time;
use chrono_tz::Tz;

/// `REL-1 … created`.
pub fn release_created(r: &Release, rfcs: &[Rfc]) -> Outgoing {
    let emergency = if r.emergency { " · EMERGENCY (ECAB)" } else { "" };
    Outgoing::text(format!(
        "{} {} ({}) created — state {}\n  RFCs: {} · environments: {}{emergency}",
        r.rid(),
        r.name,
        r.version,
        r.lifecycle.state,
        rfc_brief(rfcs),
        r.environments.join(" → "),
    ))
    .facts(next_fact(&r.lifecycle.state))
    .class(class_of(&r.lifecycle.state))
    .about([r.rid()])
}

/// A plan change.
pub fn plan_updated(r: &Release, changed: &[&str]) -> Outgoing {
    let missing = r.plan.missing();
    let status = if missing.is_empty() {
        "ready to submit".to_string()
    } else {
        format!("still missing: {}", missing.join(", "))
    };
    Outgoing::text(format!(
        "{} plan updated (revision {}): {} set — {status}.",
        r.rid(),
        r.lifecycle.revision,
        changed.join(", ")
    ))
    .about([r.rid()])
}

/// A state change, for the actor and for subscribers.
pub fn state_changed(r: &Release, what: &str, by: &str) -> Outgoing {
    Outgoing::text(format!(
        "{} {} — {what} by {by} — state {}",
        r.rid(),
        r.name,
        r.lifecycle.state,
    ))
    .facts(next_fact(&r.lifecycle.state))
    .class(class_of(&r.lifecycle.state))
    .about([r.rid()])
}

/// The submission answer.
pub fn submitted(r: &Release, channel: &str, emergency: bool) -> Outgoing {
    let board = if emergency { "ECAB" } else { "CAB" };
    Outgoing::text(format!(
        "{} submitted to the {board} — state {} (vote in #{channel})",
        r.rid(),
        r.lifecycle.state
    ))
    .class(class_of(&r.lifecycle.state))
    .about([r.rid()])
}

/// One release in full: state, plan, history, next steps.
pub fn release_show(r: &Release, rfcs: &[Rfc], history: &[AuditEntry], tz: Tz) -> Outgoing {
    let head = format!(
        "{} {} ({}) — state {} · revision {} · test runs {}{}",
        r.rid(),
        r.name,
        r.version,
        r.lifecycle.state,
        r.lifecycle.revision,
        r.lifecycle.test_runs,
        if r.emergency { " · EMERGENCY" } else { "" },
    );
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let mut m = Outgoing::text(head)
        .facts([("RFCs", rfc_brief(rfcs))])
        .facts([("environments", r.environments.join(" → "))])
        .facts([("manager", r.manager_name.clone())])
        .facts([
            ("scope", opt(&r.plan.scope)),
            ("back-out", opt(&r.plan.backout)),
            ("acceptance", opt(&r.plan.acceptance)),
        ]);
    if let Some(b) = &r.booking {
        m = m.facts([(
            "window",
            format!(
                "{} {} – {}",
                b.window,
                show_time(b.start, tz),
                show_time(b.end, tz)
            ),
        )]);
    }
    if let Some(h) = &r.baseline_hash {
        m = m.facts([("baseline", short(h))]);
    }
    if let ReleaseState::EarlyLifeSupport { until } = &r.lifecycle.state {
        m = m.line(format!("  early life support until {}", show_time(*until, tz)));
    }
    m = m.line("  history:");
    m.push_str(&history_lines(history, tz));
    m.facts(next_fact(&r.lifecycle.state))
        .class(class_of(&r.lifecycle.state))
        .about([r.rid()])
}

/// Audit entries, one indented line each: when, who, what, before → after.
pub fn history_lines(history: &[AuditEntry], tz: Tz) -> String {
    history
        .iter()
        .map(|e| {
            let change = match (&e.before, &e.after) {
                (Some(b), Some(a)) => format!(": {b} → {a}"),
                (None, Some(a)) => format!(": {a}"),
                _ => String::new(),
            };
            format!(
                "\n    {} {} {}{change}",
                show_time(e.at, tz),
                e.actor_name,
                e.action
            )
        })
        .collect()
}

/// A list of releases.
pub fn release_list(rs: &[Release]) -> Outgoing {
    if rs.is_empty() {
        return Outgoing::text("No releases match.");
    }
    let lines: Vec<String> = rs
        .iter()
        .map(|r| format!("  {} {} ({}) — {}", r.rid(), r.name, r.version, r.lifecycle.state))
        .collect();
    Outgoing::text(format!("{} release(s):\n{}", rs.len(), lines.join("\n")))
}
