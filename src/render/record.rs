//! One release's record told as a story (`/release show`, `/report
//! release`): where it stands, what is next, the plan, the vote, builds and
//! tests, deployments, incidents, then how it got here.

use super::{class_of, human, next_fact, rfc_brief, short, story};
use crate::chat::Outgoing;
use crate::domain::audit::AuditEntry;
use crate::domain::deployment::{DeployOutcome, StepStatus};
use crate::domain::records::{Deployment, Incident, Release, Rfc};
use crate::domain::release::ReleaseState;
use crate::domain::timefmt::show_time;
use chrono_tz::Tz;

/// How many of the latest story lines `/release show` tells.
const STORY_LINES: usize = 30;

/// Everything a release's record shows besides the release itself.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Its RFCs.
    pub rfcs: &'a [Rfc],
    /// Its audit trail, oldest first.
    pub history: &'a [AuditEntry],
    /// Its deployments, every attempt.
    pub deployments: &'a [Deployment],
    /// Its incidents.
    pub incidents: &'a [Incident],
    /// The bot's own name in the trail, not named as an actor.
    pub bot: &'a str,
    /// The calendar's zone.
    pub tz: Tz,
}

fn board(r: &Release) -> &'static str {
    if r.emergency {
        "ECAB"
    } else {
        "CAB"
    }
}

/// The vote's outcome: the last poll closed or decided, or the one still open.
fn vote(r: &Release, history: &[AuditEntry], tz: Tz) -> String {
    let last = history.iter().rev().find(|e| {
        matches!(
            e.action.as_str(),
            "poll.open" | "poll.close" | "poll.decide" | "release.pre-approved"
        )
    });
    let Some(e) = last else {
        return "not submitted yet".into();
    };
    let after = e.after.as_ref().map(super::audit::value);
    let after = story::humanise(after.as_deref().unwrap_or("—"), tz);
    let when = show_time(e.at, tz);
    match e.action.as_str() {
        "release.pre-approved" => format!("pre-approved as a standard change, {when}"),
        "poll.open" => format!("open since {when} — {after}"),
        "poll.decide" => format!("expired without quorum, then decided {after}, {when}"),
        _ => format!("{} {after}, {when}", board(r)),
    }
}

/// Builds, test runs (and how many failed) and the baseline.
fn builds(r: &Release, history: &[AuditEntry]) -> String {
    let building = ReleaseState::Building.to_string();
    let failed = history
        .iter()
        .filter(|e| {
            e.action == "release.test" && e.after.as_ref().map(super::audit::value) == Some(building.clone())
        })
        .count() as i64;
    let mut s = format!(
        "{} · {}",
        human::count(r.builds, "build", "builds"),
        human::count(r.lifecycle.test_runs, "test run", "test runs")
    );
    if failed > 0 {
        s.push_str(&format!(" ({failed} failed)"));
    }
    s.push_str(&match &r.baseline_hash {
        Some(h) => format!(" · baseline {}", short(h)),
        None => " · no baseline".into(),
    });
    s
}

/// One deployment attempt: where it got to.
fn deployment(d: &Deployment, tz: Tz) -> String {
    let done = d.steps.iter().filter(|s| s.status == StepStatus::Done).count();
    let steps = d.steps.len();
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| show_time(t, tz)).unwrap_or_default();
    let what = match (d.outcome, d.started_at) {
        (Some(DeployOutcome::Verified), _) => format!("verified {}", when(d.finished_at)),
        (Some(DeployOutcome::BackedOut), _) => format!(
            "backed out {}{}",
            when(d.finished_at),
            d.notes.as_deref().map(|n| format!(" — {n}")).unwrap_or_default()
        ),
        (None, Some(t)) if done == steps => {
            format!("all {steps} steps done since {}, verifying", show_time(t, tz))
        }
        (None, Some(t)) => format!(
            "deploying since {}, {done} of {} done",
            show_time(t, tz),
            human::count(steps as i64, "step", "steps")
        ),
        (None, None) => format!("planned, {}", human::count(steps as i64, "step", "steps")),
    };
    let attempt = if d.attempt > 1 {
        format!(" (attempt {})", d.attempt)
    } else {
        String::new()
    };
    format!("{}{attempt} {what}", d.env)
}

fn incident(i: &Incident) -> String {
    format!(
        "INC-{} sev {} {} in {} — {} — {}",
        i.number,
        i.severity,
        i.defect,
        i.env,
        i.title,
        story::restored(i.opened_at, i.resolved_at, i.effort_hours)
    )
}

/// `/release show`: the record as a story; the raw trail is `/audit log`.
pub fn release_show(r: &Release, rec: Record<'_>) -> Outgoing {
    let tz = rec.tz;
    let head = format!(
        "{} {} ({}) — {}{}",
        r.rid(),
        r.name,
        r.version,
        r.lifecycle.state,
        if r.emergency { " · EMERGENCY" } else { "" },
    );
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let mut m = Outgoing::text(head)
        .facts(next_fact(&r.lifecycle.state))
        .facts([("RFCs", rfc_brief(rec.rfcs))])
        .facts([
            ("environments", r.environments.join(" → ")),
            ("manager", r.manager_name.clone()),
            ("revision", r.lifecycle.revision.to_string()),
        ])
        .facts([
            ("scope", dash(&r.plan.scope)),
            ("back-out", dash(&r.plan.backout)),
            ("acceptance", dash(&r.plan.acceptance)),
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
    m = m
        .facts([("vote", vote(r, rec.history, tz))])
        .facts([("builds and tests", builds(r, rec.history))]);
    let deployments: Vec<String> = rec.deployments.iter().map(|d| deployment(d, tz)).collect();
    m = m.facts([(
        "deployments",
        if deployments.is_empty() {
            "none yet".to_string()
        } else {
            deployments.join(" · ")
        },
    )]);
    if rec.incidents.is_empty() {
        m = m.facts([("incidents", "none")]);
    } else {
        m = m.line("  incidents:");
        for i in rec.incidents {
            m = m.line(format!("    {}", incident(i)));
        }
    }
    if let ReleaseState::EarlyLifeSupport { until } = &r.lifecycle.state {
        m = m.line(format!("  early life support until {}", show_time(*until, tz)));
    }
    m = m.line("  story:");
    let lines = story::lines(rec.history, board(r), rec.bot, tz);
    // A long-lived release keeps its latest chapters here; all of it is in /audit log.
    let skip = lines.len().saturating_sub(STORY_LINES);
    if skip > 0 {
        m = m.line(format!(
            "    … {} before these",
            human::count(skip as i64, "earlier event", "earlier events")
        ));
    }
    for l in &lines[skip..] {
        m = m.line(format!("    {l}"));
    }
    m.facts([("full trail", format!("/audit log id:{}", r.rid()))])
        .class(class_of(&r.lifecycle.state))
        .about([r.rid()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::release::Lifecycle;
    use chrono::{TimeZone, Utc};

    fn release() -> Release {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        Release {
            row: 1,
            number: 1,
            name: "Payments".into(),
            version: "2.3.0".into(),
            emergency: false,
            plan: Default::default(),
            environments: vec!["staging".into(), "prod".into()],
            lifecycle: Lifecycle {
                state: ReleaseState::Building,
                revision: 2,
                test_runs: 3,
            },
            manager: "rm".into(),
            manager_name: "rm".into(),
            submitter: None,
            validation: None,
            training: None,
            builds: 1,
            baseline_hash: Some("ab".repeat(32)),
            booking: None,
            handover: None,
            created_at: at,
            updated_at: at,
        }
    }

    fn entry(minute: u32, action: &str, before: &str, after: &str) -> AuditEntry {
        AuditEntry {
            at: Utc.with_ymd_and_hms(2026, 12, 1, 9, minute, 0).unwrap(),
            actor: "bob".into(),
            actor_name: "bob".into(),
            record: "REL-1".into(),
            action: action.into(),
            before: Some(before.into()),
            after: Some(after.into()),
        }
    }

    fn show(history: &[AuditEntry]) -> String {
        release_show(
            &release(),
            Record {
                rfcs: &[],
                history,
                deployments: &[],
                incidents: &[],
                bot: "release-desk",
                tz: chrono_tz::Europe::London,
            },
        )
        .plain()
    }

    #[test]
    fn builds_and_tests_count_the_failed_runs_from_the_trail() {
        let history = [
            entry(0, "release.test", "Testing", "Building"),
            entry(1, "release.test", "Testing", "Building"),
            entry(2, "release.test", "Testing", "Awaiting authorization"),
        ];
        let s = show(&history);
        assert!(
            s.contains("builds and tests: 1 build · 3 test runs (2 failed) · baseline sha256:abababababab"),
            "{s}"
        );
        assert!(s.contains("vote: not submitted yet"), "{s}");
        assert!(s.contains("full trail: /audit log id:REL-1"), "{s}");
    }

    #[test]
    fn a_long_story_keeps_its_latest_events() {
        let history: Vec<AuditEntry> = (0..35)
            .map(|i| entry(i, "release.build-recorded", "", &format!("build {i}")))
            .collect();
        let s = show(&history);
        assert!(s.contains("    … 5 earlier events before these\n"), "{s}");
        assert!(!s.contains("build recorded: build 4 —"), "{s}");
        assert!(s.contains("build recorded: build 5 —"), "{s}");
        assert!(s.contains("build recorded: build 34 —"), "{s}");
    }
}
