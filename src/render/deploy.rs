//! Wording of deployments and early life support.

use crate::chat::{Outgoing, StateClass};
use crate::domain::deployment::{bar, Bypass, DeployOutcome, Step, StepError, StepStatus};
use crate::domain::package::Discrepancy;
use crate::domain::records::{Deployment, Incident, KnownError, Release};
use crate::domain::timefmt::show_time;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

fn clock(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

fn elapsed(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let m = (to - from).num_minutes().max(0);
    format!("{}h {:02}m", m / 60, m % 60)
}

/// A deployment plan recorded.
pub fn planned(r: &Release, d: &Deployment) -> Outgoing {
    let steps: Vec<String> = d
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| format!("  {}. {}", i + 1, s.title))
        .collect();
    Outgoing::text(format!(
        "Deployment plan for {} {} → {} (attempt {}){}\n{}\n  start with /deploy start release:{} env:{}",
        r.rid(),
        r.name,
        d.env,
        d.attempt,
        d.risks
            .as_ref()
            .map(|x| format!("\n  risks: {x}"))
            .unwrap_or_default(),
        steps.join("\n"),
        r.rid(),
        d.env
    ))
    .about([r.rid()])
}

/// The live progress message, edited in place at every step.
pub fn progress(r: &Release, d: &Deployment, now: DateTime<Utc>, tz: Tz) -> Outgoing {
    let started = d.started_at.unwrap_or(now);
    let end = d.finished_at.unwrap_or(now);
    let (status, class) = match d.outcome {
        Some(DeployOutcome::Verified) => ("verified".to_string(), StateClass::Success),
        Some(DeployOutcome::BackedOut) => ("BACKED OUT".to_string(), StateClass::Failure),
        _ if d.steps.iter().all(|s| s.status == StepStatus::Done) => {
            ("all steps done — verifying".to_string(), StateClass::Waiting)
        }
        _ => ("deploying".to_string(), StateClass::Deploying),
    };
    let mut s = format!(
        "Deployment — {} {} ({}) → {} · {status}\n  started by {} {} · elapsed {}\n  {}",
        r.rid(),
        r.name,
        r.version,
        d.env,
        d.started_by.as_deref().unwrap_or("?"),
        show_time(started, tz),
        elapsed(started, end),
        bar(&d.steps, 10)
    );
    if let Some(b) = &d.bypass {
        s.push_str(&format!("\n  EMERGENCY: {}", bypass(b)));
    }
    for (i, step) in d.steps.iter().enumerate() {
        s.push_str(&format!("\n  {} {}. {}", mark(step), i + 1, step.title));
        if let (Some(by), Some(at)) = (&step.by, step.at) {
            s.push_str(&format!(" — {by} {}", clock(at, tz)));
        }
        if let Some(n) = &step.note {
            s.push_str(&format!(" ({n})"));
        }
    }
    if let Some(n) = &d.notes {
        s.push_str(&format!("\n  notes: {n}"));
    }
    Outgoing::text(s).class(class).about([r.rid()])
}

fn status_word(s: StepStatus) -> &'static str {
    match s {
        StepStatus::Done => "done",
        StepStatus::Failed => "failed",
        StepStatus::Pending => "pending",
    }
}

fn mark(s: &Step) -> &'static str {
    match s.status {
        StepStatus::Done => "✅",
        StepStatus::Failed => "❌",
        StepStatus::Pending => "⬜",
    }
}

/// A step refusal.
pub fn step_error(e: &StepError) -> String {
    match e {
        StepError::NoSuchStep { n, of } => format!("There is no step {n}: the plan has steps 1 to {of}."),
        StepError::AlreadyRecorded { n, status } => format!("Step {n} is already {}.", status_word(*status)),
        StepError::OutOfOrder { n, first_pending } => {
            format!("Steps are done in order: step {first_pending} comes before step {n}.")
        }
    }
}

/// The answer to a step.
pub fn step_recorded(r: &Release, d: &Deployment, n: u32) -> Outgoing {
    let step = &d.steps[(n as usize)
        .saturating_sub(1)
        .min(d.steps.len().saturating_sub(1))];
    Outgoing::text(format!(
        "{} → {}: step {n} {} — {}",
        r.rid(),
        d.env,
        status_word(step.status),
        bar(&d.steps, 10)
    ))
    .about([r.rid()])
}

/// Posted where deployments are followed when a deployment is backed out.
pub fn backed_out(r: &Release, env: &str, reason: &str, by: &str) -> Outgoing {
    Outgoing::text(format!(
        "Back-out — {} {} ({}) from {env}, by {by}\n  reason: {reason}\n  back-out plan: {}\n  the {env} lock is released; re-plan with /deploy plan release:{} env:{env}",
        r.rid(),
        r.name,
        r.version,
        r.plan.backout.as_deref().unwrap_or("— (none recorded)"),
        r.rid()
    ))
    .class(StateClass::Failure)
    .about([r.rid()])
}

/// What a verification found, as the notes say.
pub fn issues_found(notes: Option<&str>) -> &str {
    notes.unwrap_or("no details given")
}

/// The back-out reason of a failed step (kept in the deployment's notes, as
/// a verification's is).
pub fn step_failed(n: u32, title: &str, note: Option<&str>) -> String {
    format!(
        "step {n} ({title}) failed{}",
        note.map(|x| format!(": {x}")).unwrap_or_default()
    )
}

/// The back-out reason of a verification that found `issues`.
pub fn backed_out_by_verification(issues: &str) -> String {
    format!("verification found issues: {issues}")
}

/// What an emergency deployment bypassed: `started outside any release
/// window and inside the freeze x`; an old row's sentence as stored.
pub fn bypass(b: &Bypass) -> String {
    match b {
        Bypass::Stored(s) => s.clone(),
        Bypass::Rules {
            outside_window,
            freeze,
        } => {
            let mut what = Vec::new();
            if *outside_window {
                what.push("outside any release window".to_string());
            }
            if let Some(f) = freeze {
                what.push(format!("inside the freeze {f}"));
            }
            format!("started {}", what.join(" and "))
        }
    }
}

/// Announced when an emergency release deploys outside the calendar's rules.
pub fn emergency(r: &Release, env: &str, bypassed: &str) -> Outgoing {
    Outgoing::text(format!(
        "EMERGENCY deployment: {} {} to {env} {bypassed}.",
        r.rid(),
        r.name
    ))
    .class(StateClass::Waiting)
    .about([r.rid()])
}

/// The customer-satisfaction survey.
pub fn survey(r: &Release) -> Outgoing {
    Outgoing::text(format!(
        "How satisfied are you with {} {} ({})? React 1️⃣ (poor) to 5️⃣ (excellent); your latest answer counts.",
        r.rid(),
        r.name,
        r.version
    ))
    .about([r.rid()])
    .offers(crate::domain::survey::EMOJI.iter().zip(["1", "2", "3", "4", "5"]).map(|(e, n)| (*e, n)))
}

/// `/deploy status`.
pub fn status(r: &Release, deployments: &[Deployment], only: Option<&str>, tz: Tz) -> Outgoing {
    let mut s = format!("{} {} — state {}", r.rid(), r.name, r.lifecycle.state);
    for env in r
        .environments
        .iter()
        .filter(|e| only.is_none_or(|o| o.eq_ignore_ascii_case(e)))
    {
        let of: Vec<&Deployment> = deployments
            .iter()
            .filter(|d| d.env.eq_ignore_ascii_case(env))
            .collect();
        match of.last() {
            None => s.push_str(&format!("\n  {env}: not planned")),
            Some(d) => {
                let what = match (d.outcome, d.started_at) {
                    (Some(DeployOutcome::Verified), _) => format!(
                        "verified {}",
                        d.finished_at.map(|t| show_time(t, tz)).unwrap_or_default()
                    ),
                    (Some(o), _) => format!(
                        "{} {}",
                        o.key(),
                        d.finished_at.map(|t| show_time(t, tz)).unwrap_or_default()
                    ),
                    (None, Some(t)) => format!("deploying since {} {}", show_time(t, tz), bar(&d.steps, 10)),
                    (None, None) => format!(
                        "planned ({})",
                        super::human::count(d.steps.len() as i64, "step", "steps")
                    ),
                };
                s.push_str(&format!("\n  {env}: {what} · attempt {}", d.attempt));
            }
        }
    }
    Outgoing::text(s).about([r.rid()])
}

/// An incident opened.
pub fn incident_opened(i: &Incident, r: &Release) -> Outgoing {
    Outgoing::text(format!(
        "INC-{} opened on {} {} ({}) — severity {} · {} defect\n  {}",
        i.number,
        r.rid(),
        r.name,
        i.env,
        i.severity,
        i.defect,
        i.title
    ))
    .class(if i.severity <= 2 {
        StateClass::Failure
    } else {
        StateClass::Waiting
    })
}

/// An incident resolved.
pub fn incident_resolved(i: &Incident, by: &str, effort: f64) -> Outgoing {
    Outgoing::text(format!(
        "INC-{} resolved by {by} — {} of effort · {}",
        i.number,
        super::human::hours(effort),
        i.title
    ))
    .class(StateClass::Success)
}

/// `/incident list`.
pub fn incident_list(list: &[Incident], tz: Tz) -> Outgoing {
    if list.is_empty() {
        return Outgoing::text("No incidents.");
    }
    let lines: Vec<String> = list
        .iter()
        .map(|i| {
            let state = match (i.resolved_at, i.effort_hours) {
                (Some(t), Some(h)) => format!(
                    "resolved {} ({} effort)",
                    show_time(t, tz),
                    super::human::hours(h)
                ),
                _ => "open".to_string(),
            };
            format!(
                "  INC-{} REL-{} {} · sev {} · {} · {} — {state}",
                i.number, i.release_number, i.env, i.severity, i.defect, i.title
            )
        })
        .collect();
    Outgoing::text(format!(
        "{}:\n{}",
        super::human::count(list.len() as i64, "incident", "incidents"),
        lines.join("\n")
    ))
}

/// A known error recorded.
pub fn known_error_added(k: &KnownError, r: &Release) -> Outgoing {
    Outgoing::text(format!(
        "KE-{} recorded on {} {}: {}\n  workaround: {}",
        k.number,
        r.rid(),
        r.name,
        k.description,
        k.workaround
    ))
    .about([r.rid()])
}

/// The reminder when early life support ends.
pub fn els_ended(r: &Release, incidents: &[Incident], known: &[KnownError]) -> Outgoing {
    let open = incidents.iter().filter(|i| i.resolved_at.is_none()).count();
    let mut by_sev = std::collections::BTreeMap::new();
    for i in incidents {
        *by_sev.entry(i.severity.to_string()).or_insert(0i64) += 1;
    }
    let effort: f64 = incidents.iter().filter_map(|i| i.effort_hours).sum();
    let counted = if incidents.is_empty() {
        "none".to_string()
    } else {
        format!(
            "{} ({open} open) — {}",
            incidents.len(),
            super::human::severities(&by_sev)
        )
    };
    Outgoing::text(format!(
        "Early life support of {} {} has ended.\n  incidents: {counted} · effort {} · known errors: {}\n  close it with /release close id:{} handover:\"…\"",
        r.rid(),
        r.name,
        super::human::hours(effort),
        known.len(),
        r.rid()
    ))
    .class(StateClass::Success)
    .about([r.rid()])
}

/// An audit's result.
pub fn audit_result(r: &Release, env: &str, found: &[Discrepancy]) -> Outgoing {
    if found.is_empty() {
        return Outgoing::text(format!("Audit of {} in {env}: matches the baseline.", r.rid()))
            .class(StateClass::Success);
    }
    let lines: Vec<String> = found
        .iter()
        .map(|d| match d {
            Discrepancy::Missing { item, expected } => format!("  missing: {item} {expected}"),
            Discrepancy::Extra { item, found } => format!("  not in the baseline: {item} {found}"),
            Discrepancy::OtherVersion {
                item,
                expected,
                found,
            } => format!("  {item}: {found} deployed, {expected} baselined"),
        })
        .collect();
    Outgoing::text(format!(
        "Audit of {} in {env}: {} recorded\n{}",
        r.rid(),
        super::human::count(
            found.len() as i64,
            "configuration defect",
            "configuration defects"
        ),
        lines.join("\n")
    ))
    .class(StateClass::Waiting)
    .about([r.rid()])
}
