//! The CAB workflow's words: votes given as commands, recalls, decisions
//! after an expiry, reminders, edits, unfreezes and the raw audit log.

use crate::chat::{Outgoing, StateClass};
use crate::domain::audit::AuditEntry;
use crate::domain::audit::AuditValue;
use crate::domain::calendar::Freeze;
use crate::domain::ids::RecordId;
use crate::domain::poll::Settled;
use crate::domain::records::{Release, Rfc};
use crate::domain::rfc::RfcStatus;
use crate::domain::tally::Vote;
use crate::domain::timefmt::show_time;
use crate::domain::workflow::{
    DecideRefusal, FreezeRefusal, PollEnd, ResubmitRefusal, ShapeRefusal, UnfreezeRefusal,
};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

fn board(emergency: bool) -> &'static str {
    if emergency {
        "ECAB"
    } else {
        "CAB"
    }
}

fn ids(list: &[RecordId]) -> String {
    list.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

/// RFCs or environments that cannot make one release.
pub fn shape_refused(r: &ShapeRefusal) -> String {
    match r {
        ShapeRefusal::MixedEmergency { emergency, other } => format!(
            "Emergency and non-emergency RFCs cannot share a release: {} {} emergency, {} {} not. \
             Split them into two releases (the emergency one goes to the ECAB, the other to the CAB).",
            ids(emergency),
            if emergency.len() == 1 { "is" } else { "are" },
            ids(other),
            if other.len() == 1 { "is" } else { "are" },
        ),
        ShapeRefusal::UnknownEnvironment { given, known } => format!(
            "{given:?} is not a known environment. The environments are {} (in promotion order); \
             give some of them in that order, e.g. environments:{}.",
            known.join(", "),
            known.join(",")
        ),
        ShapeRefusal::OutOfOrder { given, known } => format!(
            "Environments {} are not in promotion order ({}): a release is promoted through them in that \
             order, each at most once.",
            given.join(","),
            known.join(" → ")
        ),
    }
}

/// A rejected plan submitted again unchanged.
pub fn resubmit_refused(id: RecordId, r: &ResubmitRefusal) -> String {
    match r {
        ResubmitRefusal::Unchanged { revision } => format!(
            "{id} revision {revision} was rejected and has not changed since: change the plan \
             (/release plan) or the release (/release edit) before submitting it again."
        ),
    }
}

/// The submission answer's warning: the poll outlives the window opening.
pub fn poll_outlives_window(deadline: DateTime<Utc>, window: &str, start: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "\n  ⚠ The vote closes {} — after the booked window {window} opens ({}). \
         The release may miss it; reschedule or ask the voters to be quick.",
        show_time(deadline, tz),
        show_time(start, tz)
    )
}

/// No open poll to vote on or recall.
pub fn no_open_poll(r: &Release) -> String {
    format!("{} has no open CAB vote (state {}).", r.rid(), r.lifecycle.state)
}

/// The answer to `/release vote` on a CAB (or, `emergency`, ECAB) poll.
pub fn vote_recorded(
    r: &Release,
    vote: Vote,
    counted: bool,
    why_not: Option<&str>,
    emergency: bool,
    channel: &str,
) -> Outgoing {
    let status = if counted {
        "it counts".to_string()
    } else {
        let why = match why_not {
            Some("not-a-voter") if emergency => "you are not an ECAB member",
            Some("not-a-voter") => "you are not a CAB member",
            Some("own-release") => "you cannot approve your own release",
            Some("conflicting") => "both ✅ and ❌",
            Some(other) => other,
            None => "not counted",
        };
        format!("it is recorded but does not count ({why})")
    };
    Outgoing::text(format!(
        "Your vote on {}: {} {} — {status}. The poll in #{channel} shows it; voting again replaces it.",
        r.rid(),
        vote.emoji(),
        vote.key()
    ))
}

/// The reasons voters gave, as lines under the poll's tally.
pub fn vote_reasons(reasons: &[(String, Vote, String)]) -> String {
    reasons
        .iter()
        .map(|(who, v, why)| format!("\n  {} {who}: {why}", v.emoji()))
        .collect()
}

/// A poll message once the release manager recalled it.
pub fn poll_recalled(r: &Release, emergency: bool, s: &Settled) -> Outgoing {
    Outgoing::text(format!(
        "{} vote — {} {} ({}) — CLOSED: recalled by {}{}",
        board(emergency),
        r.rid(),
        r.name,
        r.version,
        s.by_name,
        s.reason.as_ref().map(|w| format!(" ({w})")).unwrap_or_default()
    ))
    .class(StateClass::Closed)
    .about([r.rid()])
}

/// The answer (and notice) to `/release recall`.
pub fn recalled(r: &Release, emergency: bool, s: &Settled) -> Outgoing {
    Outgoing::text(format!(
        "{} {} — the {} vote was recalled by {}{} — state {}; it may be submitted again as is.",
        r.rid(),
        r.name,
        board(emergency),
        s.by_name,
        s.reason.as_ref().map(|w| format!(" ({w})")).unwrap_or_default(),
        r.lifecycle.state
    ))
    .class(super::class_of(&r.lifecycle.state))
    .about([r.rid()])
}

/// `/release decide` when it does not apply.
pub fn decide_refused(id: RecordId, r: DecideRefusal) -> String {
    match r {
        DecideRefusal::NoPoll => format!("{id} has not been put to the CAB: there is no vote to decide."),
        DecideRefusal::AlreadyDecided => format!("{id}'s expired vote was decided already."),
        DecideRefusal::NotExpired(end) => {
            let how = match end {
                PollEnd::Open => "is still open",
                PollEnd::Approved => "was approved",
                PollEnd::Rejected => "was rejected",
                PollEnd::Recalled => "was recalled",
                PollEnd::Cancelled => "was cancelled",
                PollEnd::Expired => "expired",
            };
            format!(
                "{id}'s latest vote {how}: /release decide is only for a vote that expired without quorum \
                 (and only until the release is submitted again)."
            )
        }
    }
}

fn decision_word(approved: bool) -> &'static str {
    if approved {
        "approved"
    } else {
        "rejected"
    }
}

/// The poll message once a change manager decided it after its expiry.
pub fn poll_decided(r: &Release, emergency: bool, approved: bool, s: &Settled, tz: Tz) -> Outgoing {
    Outgoing::text(format!(
        "{} vote — {} {} ({}) — CLOSED: expired without quorum; {} by {} (change manager) {}: {}",
        board(emergency),
        r.rid(),
        r.name,
        r.version,
        decision_word(approved),
        s.by_name,
        show_time(s.at, tz),
        s.reason.as_deref().unwrap_or("")
    ))
    .class(if approved {
        StateClass::Success
    } else {
        StateClass::Failure
    })
    .about([r.rid()])
}

/// The announcement of a decision after an expiry.
pub fn decided(r: &Release, approved: bool, s: &Settled) -> Outgoing {
    let then = if approved {
        "".to_string()
    } else {
        " Change the plan before submitting it again.".to_string()
    };
    Outgoing::text(format!(
        "{} {} {} by {} (change manager) after the vote expired without quorum: {} — state {}.{then}",
        r.rid(),
        r.name,
        decision_word(approved),
        s.by_name,
        s.reason.as_deref().unwrap_or(""),
        r.lifecycle.state
    ))
    .class(super::class_of(&r.lifecycle.state))
    .about([r.rid()])
}

/// The reminder on the poll's channel before its deadline (no pings).
pub fn reminder(
    r: &Release,
    emergency: bool,
    missing: u32,
    quorum: u32,
    deadline: DateTime<Utc>,
    tz: Tz,
) -> Outgoing {
    let need = format!(
        "{missing} more vote{} needed for quorum ({quorum})",
        if missing == 1 { " is" } else { "s are" }
    );
    Outgoing::text(format!(
        "Reminder: the {} vote on {} {} closes {} — {need}.",
        board(emergency),
        r.rid(),
        r.name,
        show_time(deadline, tz)
    ))
    .class(StateClass::Waiting)
}

/// `/rfc edit`: what changed.
pub fn rfc_edited(rfc: &Rfc, changed: &[&str]) -> Outgoing {
    Outgoing::text(format!(
        "{} {} — {} updated · risk {}",
        rfc.rid(),
        rfc.title,
        changed.join(", "),
        rfc.risk
    ))
    .about([rfc.rid()])
}

/// `/rfc edit` when the RFC or its release is past the point of editing.
pub fn rfc_not_editable(id: RecordId, why: NotEditable<'_>) -> String {
    let why = match why {
        NotEditable::ReleaseMoved(r) => format!("its release {} is in state {}", r.rid(), r.lifecycle.state),
        NotEditable::Status(status) => format!("it is {status}"),
    };
    format!("{id} can no longer be edited: {why}.")
}

/// Why an RFC can no longer be edited.
#[derive(Debug, Clone, Copy)]
pub enum NotEditable<'a> {
    /// Its release has moved past planning.
    ReleaseMoved(&'a Release),
    /// Its own status (withdrawn, implemented, …) forbids it.
    Status(RfcStatus),
}

/// `/rfc edit` by somebody else.
pub fn rfc_not_yours(id: RecordId, requester: &str) -> String {
    format!("Only {id}'s requester ({requester}) or a release manager can edit it.")
}

/// An edit that changes nothing.
pub fn nothing_to_change(id: RecordId) -> String {
    format!("Nothing to change on {id}: give at least one option with a new value.")
}

/// `/release edit`: what changed, at which revision.
pub fn release_edited(r: &Release, changed: &[&str]) -> Outgoing {
    Outgoing::text(format!(
        "{} {} ({}) — {} updated · revision {} · environments {}",
        r.rid(),
        r.name,
        r.version,
        changed.join(", "),
        r.lifecycle.revision,
        r.environments.join(" → ")
    ))
    .class(super::class_of(&r.lifecycle.state))
    .about([r.rid()])
}

/// `/release unschedule`: the window given up.
pub fn unscheduled(r: &Release, window: &str, start: DateTime<Utc>, tz: Tz) -> Outgoing {
    Outgoing::text(format!(
        "{} {} — gave up its booking in {window} ({}); it is not scheduled now.",
        r.rid(),
        r.name,
        show_time(start, tz)
    ))
    .about([r.rid()])
}

/// `/release edit` changing the last environment of a booked release.
pub fn booked_elsewhere(id: RecordId) -> String {
    format!(
        "{id} is booked into a window for its last environment: give it up with /release unschedule \
         before changing which environment comes last."
    )
}

/// `/release unschedule` without a booking.
pub fn not_scheduled(id: RecordId) -> String {
    format!("{id} is not scheduled into a window.")
}

/// `/calendar freeze` refused.
pub fn freeze_refused(r: &FreezeRefusal, tz: Tz) -> String {
    match r {
        FreezeRefusal::InThePast { to } => format!(
            "That freeze ended {} — a freeze in the past changes nothing.",
            show_time(*to, tz)
        ),
        FreezeRefusal::NameTaken { existing } => format!(
            "A freeze named {:?} is already declared ({} – {}). Choose another name, or lift it first \
             with /calendar unfreeze.",
            existing.name,
            show_time(existing.from, tz),
            show_time(existing.to, tz)
        ),
    }
}

/// `/calendar unfreeze` refused.
pub fn unfreeze_refused(name: &str, r: &UnfreezeRefusal) -> String {
    match r {
        UnfreezeRefusal::FromConfig => format!(
            "The freeze {name:?} comes from the configuration (calendar.freezes): it stays until the \
             configuration changes."
        ),
        UnfreezeRefusal::NotFound { current } if current.is_empty() => {
            format!("There is no current freeze named {name:?} declared in chat.")
        }
        UnfreezeRefusal::NotFound { current } => format!(
            "There is no current freeze named {name:?} declared in chat; those are: {}.",
            current.join(", ")
        ),
    }
}

/// `/calendar unfreeze`: the freeze lifted.
pub fn unfrozen(f: &Freeze, by: &str, reason: Option<&str>, tz: Tz) -> Outgoing {
    Outgoing::text(format!(
        "Freeze {} ({} – {}) lifted by {by}{}.",
        f.name,
        show_time(f.from, tz),
        show_time(f.to, tz),
        reason.map(|r| format!(" ({r})")).unwrap_or_default()
    ))
}

/// `/audit log`: the raw trail of one record, newest last.
pub fn audit_log(id: RecordId, entries: &[AuditEntry], total: usize, tz: Tz) -> Outgoing {
    if entries.is_empty() {
        return Outgoing::text(format!("{id} has no audit entries."));
    }
    let shown = if entries.len() < total {
        format!(" (last {} of {total})", entries.len())
    } else {
        String::new()
    };
    // Raw values, but no raw RFC 3339 times: those read in the calendar's zone.
    let dash = |v: &Option<AuditValue>| {
        v.as_ref()
            .map(|v| super::story::local_times(&super::audit::value(v), tz))
            .unwrap_or_else(|| "—".into())
    };
    let mut s = format!("Audit log of {id}{shown}");
    for e in entries {
        s.push_str(&format!(
            "\n  {} · {} · {} · {} → {}",
            show_time(e.at, tz),
            e.actor_name,
            e.action,
            dash(&e.before),
            dash(&e.after)
        ));
    }
    Outgoing::text(s)
}
