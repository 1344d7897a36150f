//! Governance wording: pre-approval, segregation of duties, reviews, close
//! outcomes and the refusals that guard a close.

use crate::chat::{Line, Outgoing};
use crate::db::governance::Review;
use crate::domain::governance::Conflict;
use crate::domain::ids::RecordId;
use crate::domain::records::Release;

/// Where render's command hints begin in a line ("next: …", "re-plan with
/// /deploy plan …"): a direct message leaves them out, since commands are
/// typed in the channels, not in a DM.
const HINTS: [&str; 7] = [
    "next:",
    " — change the plan (/",
    "; re-plan with /",
    "close it with /",
    " Reschedule it with /",
    " — reschedule with /",
    "start with /",
];

/// A message as it goes out directly to a person: the same news without
/// its command hints.
pub fn direct(m: &Outgoing) -> Outgoing {
    let mut all: Vec<Line> = std::iter::once(Line::Text(m.title.clone()))
        .chain(m.lines.iter().cloned())
        .collect();
    if all.len() > 1 && all.last() == Some(&Line::Text(String::new())) {
        // A final empty line was never shown as a line of its own.
        all.pop();
    }
    let mut kept = Vec::new();
    for line in all {
        let plain = line.plain();
        match HINTS.iter().filter_map(|h| plain.find(h)).min() {
            None => kept.push(line),
            Some(at) => {
                let rest = plain[..at].trim_end();
                if !rest.trim().is_empty() {
                    kept.push(Line::Text(rest.to_string()));
                }
            }
        }
    }
    let mut kept = kept.into_iter();
    Outgoing {
        title: kept.next().map(|l| l.plain()).unwrap_or_default(),
        lines: kept.collect(),
        ..m.clone()
    }
}

/// Segregation of duties refused an authorization.
pub fn segregation_refused(id: RecordId, c: &Conflict) -> String {
    let why = match c {
        Conflict::ReleaseManager => "you are its release manager".to_string(),
        Conflict::Requester { rfc } => format!("you requested {rfc}"),
    };
    format!(
        "{id} cannot be authorized by you: {why}. Segregation of duties: another change manager must authorize it."
    )
}

/// The audit trail's summary of a review.
pub fn review_summary(findings: &str, actions: Option<&str>) -> String {
    match actions {
        Some(a) => format!("findings: {findings} · actions: {a}"),
        None => format!("findings: {findings}"),
    }
}

/// A review was recorded.
pub fn reviewed(r: &Release, review: &Review) -> Outgoing {
    Outgoing::text(format!(
        "{} post-implementation review recorded by {} — state {}\n  {}",
        r.rid(),
        review.reviewer_name,
        r.lifecycle.state,
        review_summary(&review.findings, review.actions.as_deref())
    ))
    .class(super::class_of(&r.lifecycle.state))
    .about([r.rid()])
}

/// Open incidents block the close.
pub fn incidents_open(id: RecordId, incidents: &[String]) -> String {
    let (which, them) = if incidents.len() == 1 {
        ("an open incident", "it")
    } else {
        ("open incidents", "them")
    };
    format!(
        "{id} cannot be closed: {which} at the blocking severity or worse ({}), early: included. Resolve {them} first.",
        incidents.join(", ")
    )
}

/// A close that needs a review first.
pub fn review_needed(id: RecordId, emergency: bool) -> String {
    let why = if emergency {
        "it is an emergency release"
    } else {
        "it is closing as unsuccessful"
    };
    format!("{id} needs a post-implementation review before it closes: {why}. Record one with /release review id:{id} findings:\"…\"")
}

/// A backed-out release closed as anything but unsuccessful.
pub fn backed_out_not_successful(id: RecordId, env: &str) -> String {
    format!("{id} was backed out of {env}: re-plan the deployment, or close it with outcome:unsuccessful.")
}

/// `/audit record` for an environment never deployed to.
pub fn not_deployed(id: RecordId, env: &str) -> String {
    format!("{id} was never deployed to {env}: only a deployment that happened can be audited.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_messages_carry_no_command_hints() {
        let m = Outgoing::text(
            "REL-1 X — backed out by dan — state Backed out (prod)\n  reason: pager storm\n  \
             the prod lock is released; re-plan with /deploy plan release:REL-1 env:prod\n  next: /deploy plan",
        );
        assert_eq!(
            direct(&m).plain(),
            "REL-1 X — backed out by dan — state Backed out (prod)\n  reason: pager storm\n  the prod lock is released"
        );
        let els = Outgoing::text(
            "Early life support has ended.\n  close it with /release close id:REL-1 handover:\"…\"",
        );
        assert_eq!(direct(&els).plain(), "Early life support has ended.");
        let rejected = Outgoing::text(
            "REL-3 returned to Planning: the CAB rejected revision 1 — change the plan (/release plan) \
             or the release (/release edit) and submit again.",
        );
        assert_eq!(
            direct(&rejected).plain(),
            "REL-3 returned to Planning: the CAB rejected revision 1"
        );
        let plain = Outgoing::text("The CAB approved REL-1 (your RFC-1).");
        assert_eq!(direct(&plain), plain);
    }
}
