//! Releases: creation, plans, state changes, the full view and lists.

use super::{class_of, next_fact, rfc_brief};
use crate::chat::Outgoing;
use crate::domain::happened::Happened;
use crate::domain::records::{Release, Rfc};

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
pub fn state_changed(r: &Release, what: &Happened, by: &str) -> Outgoing {
    Outgoing::text(format!(
        "{} {} — {} by {by} — state {}",
        r.rid(),
        r.name,
        super::happened::happened(what),
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

/// A list of releases.
pub fn release_list(rs: &[Release]) -> Outgoing {
    if rs.is_empty() {
        return Outgoing::text("No releases match.");
    }
    let lines: Vec<String> = rs
        .iter()
        .map(|r| format!("  {} {} ({}) — {}", r.rid(), r.name, r.version, r.lifecycle.state))
        .collect();
    Outgoing::text(format!(
        "{}:\n{}",
        super::human::count(rs.len() as i64, "release", "releases"),
        lines.join("\n")
    ))
}
