//! CAB and ECAB votes: the poll message and its outcome notices.

use super::{a_or_an, class_of, next_fact};
use crate::chat::{Outgoing, StateClass};
use crate::db::polls::Poll;
use crate::domain::records::{Release, Rfc};
use crate::domain::tally::{Ignored, Outcome, Tally, Vote};
use crate::domain::timefmt::show_time;
use chrono_tz::Tz;

fn outcome_text(o: &Outcome, tally: &Tally, quorum: u32) -> String {
    match o {
        Outcome::Approved { early: true } => "approved early".into(),
        Outcome::Approved { early: false } => "approved".into(),
        Outcome::Rejected { veto: Some(v) } => match tally.veto_role {
            Some(role) => format!("rejected (vetoed by {v}, {})", role.title()),
            None => format!("rejected (veto by {v})"),
        },
        Outcome::Rejected { veto: None } => "rejected".into(),
        Outcome::Expired => {
            let n = tally.cast();
            format!(
                "expired ({n} vote{} of quorum {quorum})",
                if n == 1 { "" } else { "s" }
            )
        }
    }
}

/// Everything a poll message shows.
pub struct PollView<'a> {
    /// The release.
    pub release: &'a Release,
    /// Its RFCs.
    pub rfcs: &'a [Rfc],
    /// The poll.
    pub poll: &'a Poll,
    /// The current count.
    pub tally: &'a Tally,
    /// The outcome, once closed.
    pub outcome: Option<&'a Outcome>,
    /// Display names by user id.
    pub names: &'a dyn Fn(&str) -> String,
    /// Reactions that are not votes, by person (name, emoji).
    pub not_votes: &'a [(String, Vec<String>)],
    /// The calendar's zone.
    pub tz: Tz,
}

/// The poll message (open with its live tally, or closed with its outcome).
pub fn poll(v: &PollView) -> Outgoing {
    let r = v.release;
    let board = if v.poll.rules.emergency { "ECAB" } else { "CAB" };
    let head = match v.outcome {
        None => format!("{board} vote — {} {} ({})", r.rid(), r.name, r.version),
        Some(o) => format!(
            "{board} vote — {} {} ({}) — CLOSED: {}",
            r.rid(),
            r.name,
            r.version,
            outcome_text(o, v.tally, v.poll.rules.quorum)
        ),
    };
    let mut s = head;
    for rfc in v.rfcs {
        s.push_str(&format!("\n  {} {} · risk {}", rfc.rid(), rfc.title, rfc.risk));
    }
    let mut m = Outgoing::text(s);
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "—".into());
    m = m.facts([
        ("Back-out", opt(&r.plan.backout)),
        ("Acceptance", opt(&r.plan.acceptance)),
    ]);
    if let Some(scope) = &r.plan.scope {
        m = m.facts([("Scope", scope.clone())]);
    }
    if let Some(b) = &r.booking {
        m = m.facts([("Scheduled", format!("{} {}", b.window, show_time(b.start, v.tz)))]);
    }
    let mut s = String::new();
    let rules = &v.poll.rules;
    let mut rule = format!("{}, quorum {}", rules.rule.key(), rules.quorum);
    if !rules.veto_roles.is_empty() {
        rule.push_str(&format!(
            ", veto: {}",
            rules
                .veto_roles
                .iter()
                .map(|r| r.key())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if rules.early_approval > 0 {
        rule.push_str(&format!(", early approval at {}", rules.early_approval));
    }
    let when = if v.outcome.is_some() { "closed" } else { "closes" };
    s.push_str(&format!(
        "\n  Rule: {rule} · revision {} · {when} {} ({})",
        v.poll.revision,
        show_time(
            if v.outcome.is_some() {
                v.poll.closed.as_ref().map_or(v.poll.deadline, |c| c.0)
            } else {
                v.poll.deadline
            },
            v.tz
        ),
        v.tz.name()
    ));
    let names = |users: &[String]| -> String {
        if users.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                users.iter().map(|u| (v.names)(u)).collect::<Vec<_>>().join(", ")
            )
        }
    };
    let t = v.tally;
    s.push_str(&format!(
        "\n  ✅ {}{}  ❌ {}{}  🤷 {}{}",
        t.approve.len(),
        names(&t.approve),
        t.reject.len(),
        names(&t.reject),
        t.abstain.len(),
        names(&t.abstain)
    ));
    if let (Some(who), Some(role)) = (&t.veto, t.veto_role) {
        s.push_str(&format!("\n  vetoed by {}, {}", (v.names)(who), role.title()));
    }
    if !t.ignored.is_empty() {
        let ignored: Vec<String> = t
            .ignored
            .iter()
            .map(|(u, why)| {
                let why = match why {
                    Ignored::NotAVoter => format!(
                        "not {} {}",
                        a_or_an(rules.voting_role.title()),
                        rules.voting_role.title()
                    ),
                    Ignored::OwnRelease => "cannot approve their own release".into(),
                    Ignored::Conflicting => "both ✅ and ❌".into(),
                    Ignored::VetoOnly => format!(
                        "may veto, not vote: not {} {}",
                        a_or_an(rules.voting_role.title()),
                        rules.voting_role.title()
                    ),
                };
                format!("{} ({why})", (v.names)(u))
            })
            .collect();
        s.push_str(&format!("\n  ignored: {}", ignored.join(", ")));
    }
    m.push_str(&s);
    if !v.not_votes.is_empty() {
        let who: Vec<String> = v
            .not_votes
            .iter()
            .map(|(name, emoji)| format!("{name} {}", emoji.join(" ")))
            .collect();
        m = m.facts([("not a vote", who.join(", "))]);
    }
    let m = m.about([r.rid()]).class(match v.outcome {
        None => StateClass::Waiting,
        Some(Outcome::Approved { .. }) => StateClass::Success,
        Some(_) => StateClass::Failure,
    });
    if v.outcome.is_some() {
        return m;
    }
    m.offers(Vote::ALL.map(|v| (v.emoji(), v.key())))
}

/// The outcome notice where the release was submitted, and for subscribers.
pub fn poll_outcome(r: &Release, o: &Outcome, tally: &Tally, quorum: u32, emergency: bool) -> Outgoing {
    let board = if emergency { "ECAB" } else { "CAB" };
    let text = match o {
        Outcome::Approved { .. } => format!(
            "{} approved by the {board} ({} ✅, {} ❌, {} 🤷) — state {}",
            r.rid(),
            tally.approve.len(),
            tally.reject.len(),
            tally.abstain.len(),
            r.lifecycle.state,
        ),
        Outcome::Rejected { veto } => format!(
            "{} returned to Planning: the {board} rejected revision {}{} — change the plan (/release plan) \
             or the release (/release edit) and submit again.",
            r.rid(),
            r.lifecycle.revision,
            veto.as_ref()
                .map(|v| match tally.veto_role {
                    Some(role) => format!(" (vetoed by {v}, {})", role.title()),
                    None => format!(" (veto by {v})"),
                })
                .unwrap_or_default(),
        ),
        Outcome::Expired => format!(
            "{} returned to Planning: the {board} vote expired without quorum ({} of {quorum}). Change managers notified.",
            r.rid(),
            tally.cast()
        ),
    };
    let m = Outgoing::text(text)
        .class(class_of(&r.lifecycle.state))
        .about([r.rid()]);
    match o {
        Outcome::Approved { .. } => m.facts(next_fact(&r.lifecycle.state)),
        _ => m,
    }
}

/// Tells change managers that a poll expired.
pub fn expired_for_change_managers(r: &Release, tally: &Tally, quorum: u32) -> Outgoing {
    Outgoing::text(format!(
        "Change managers: the vote on {} {} expired with {} of {quorum} votes. The release is back in Planning; \
         resubmit it or decide how to proceed.",
        r.rid(),
        r.name,
        tally.cast()
    ))
    .class(StateClass::Waiting)
    .about([r.rid()])
}

/// The DM to an RFC's requester.
pub fn requester_decision(r: &Release, rfc: &Rfc, o: &Outcome, emergency: bool) -> Outgoing {
    let board = if emergency { "ECAB" } else { "CAB" };
    let (id, name, yours) = (r.rid(), &r.name, rfc.rid());
    Outgoing::text(match o {
        Outcome::Approved { .. } => format!("The {board} approved {id} {name} (your {yours})."),
        Outcome::Rejected { .. } => {
            format!("The {board} rejected {id} {name} (your {yours}); it is back in planning.")
        }
        Outcome::Expired => {
            format!("The {board} vote on {id} {name} (your {yours}) expired without quorum.")
        }
    })
}

/// The poll message once its release is cancelled.
pub fn poll_cancelled(r: &Release, emergency: bool) -> Outgoing {
    let board = if emergency { "ECAB" } else { "CAB" };
    Outgoing::text(format!(
        "{board} vote — {} {} ({}) — CLOSED: cancelled with the release",
        r.rid(),
        r.name,
        r.version
    ))
    .class(StateClass::Closed)
    .about([r.rid()])
}
