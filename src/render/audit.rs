//! An audit entry's before and after values in words, as `/audit log` and
//! the story show them (and as they were stored before they were facts).

use super::deploy::bypass;
use super::human::count;
use crate::domain::audit::{AuditValue, Fact};
use chrono::{DateTime, SecondsFormat, Utc};

/// A time as the trail has always written it (UTC, milliseconds).
fn stamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `: x` when there is an `x`.
fn colon(x: &Option<String>) -> String {
    x.as_ref().map(|x| format!(": {x}")).unwrap_or_default()
}

/// A value in words; text as stored.
pub fn value(v: &AuditValue) -> String {
    match v {
        AuditValue::Text(s) => s.clone(),
        AuditValue::Fact(f) => fact(f),
    }
}

/// Both values of an entry in words.
pub fn worded(before: &Option<AuditValue>, after: &Option<AuditValue>) -> (Option<String>, Option<String>) {
    (before.as_ref().map(value), after.as_ref().map(value))
}

fn fact(f: &Fact) -> String {
    match f {
        Fact::Booking { window, start } => format!("{window} {}", stamp(start)),
        Fact::Freeze { from, to, reason } => format!("{} – {}{}", stamp(from), stamp(to), colon(reason)),
        Fact::Lifted { reason } => format!("lifted{}", colon(reason)),
        Fact::ConfigAudit { env, defects } => {
            format!("{env}: {}", count(*defects as i64, "defect", "defects"))
        }
        Fact::BackedOut { env, reason } => format!("{env}: {reason}"),
        Fact::Issues { env, issues } => format!("{env}: issues — {issues}"),
        Fact::Confirmed { env, notes } => format!(
            "{env}: confirmed{}",
            notes.as_ref().map(|n| format!(" — {n}")).unwrap_or_default()
        ),
        Fact::DeployPlanned { env, attempt, steps } => {
            format!(
                "{env} attempt {attempt}: {}",
                count(*steps as i64, "step", "steps")
            )
        }
        Fact::DeployStarted {
            env,
            attempt,
            bypass: b,
        } => format!(
            "{env} attempt {attempt}{}",
            b.as_ref()
                .map(|b| format!(" — {}", bypass(b)))
                .unwrap_or_default()
        ),
        Fact::DeployStep {
            env,
            step,
            failed,
            note,
        } => format!(
            "{env} step {step} {}{}",
            if *failed { "failed" } else { "done" },
            colon(note)
        ),
        Fact::StatusIn { status, release } => format!("{status} ({release})"),
        Fact::GateAnswer {
            by,
            env,
            git_ref,
            comment,
        } => format!("{by} {env} ({git_ref}): {comment}"),
        Fact::IncidentOpened {
            release,
            severity,
            defect,
            title,
        } => format!("{release} sev {severity} {defect} — {title}"),
        Fact::Resolved { effort, notes } => format!("resolved, {effort} h{}", colon(notes)),
        Fact::KnownError {
            release,
            description,
            workaround,
        } => format!("{release}: {description} — workaround: {workaround}"),
        Fact::Baseline { hash, items } => {
            format!("sha256:{hash} ({})", count(*items as i64, "item", "items"))
        }
        Fact::PollOpened {
            emergency,
            rule,
            quorum,
            deadline,
        } => format!(
            "{} poll, {} quorum {quorum}, deadline {}",
            if *emergency { "ECAB" } else { "CAB" },
            rule.key(),
            deadline.to_rfc3339()
        ),
        Fact::PollClosed {
            close,
            approve,
            reject,
            abstain,
            ignored,
        } => format!(
            "{} — ✅ {approve} ❌ {reject} 🤷 {abstain} (ignored {ignored})",
            close.key()
        ),
        Fact::Recalled { reason } => format!("recalled{}", colon(reason)),
        Fact::Decided { decision, reason } => format!("{}: {reason}", decision.key()),
        Fact::Voted {
            vote,
            reason,
            not_counted,
        } => format!(
            "{}{}{}",
            vote.key(),
            colon(reason),
            not_counted
                .as_ref()
                .map(|w| format!(" (not counted: {w})"))
                .unwrap_or_default()
        ),
        Fact::Preparation { validation, training } => format!(
            "validation: {validation}{}",
            training
                .as_ref()
                .map(|t| format!(" · training: {t}"))
                .unwrap_or_default()
        ),
        Fact::Build { number, notes } => format!("build {number}{}", colon(notes)),
        Fact::Withdrawn { reason } => format!("withdrawn{}", colon(reason)),
        Fact::Subscription { to, via } => format!("{to} via {}", via.key()),
    }
}
