//! What happened to a release, in words: the middle of a state-change notice
//! ("REL-1 … — build 2 recorded by ana — state …") and of a package notice.

use crate::domain::happened::{Happened, PackageChange};

/// `" (why)"`, or nothing.
fn aside(why: Option<&str>) -> String {
    why.map(|w| format!(" ({w})")).unwrap_or_default()
}

/// A release change, as subscribers read it.
pub fn happened(h: &Happened) -> String {
    match h {
        Happened::Submitted => "submitted to the CAB".to_string(),
        Happened::PreApproved { rfcs } => {
            let ids: Vec<String> = rfcs.iter().map(ToString::to_string).collect();
            format!(
                "pre-approved as a standard change ({}: standard only, no CAB vote)",
                ids.join(", ")
            )
        }
        Happened::PreparationRecorded => "preparation recorded".to_string(),
        Happened::BuildRecorded { number } => format!("build {number} recorded"),
        Happened::TestRun { run, passed, notes } => format!(
            "test run {run} {}{}",
            if *passed { "passed" } else { "failed" },
            aside(notes.as_deref())
        ),
        Happened::Authorized { approved, reason } => format!(
            "{}{}",
            if *approved {
                "authorized"
            } else {
                "rejected at authorization"
            },
            aside(reason.as_deref())
        ),
        Happened::Cancelled { reason } => format!("cancelled{}", aside(reason.as_deref())),
        Happened::Closed {
            outcome,
            early,
            handover,
        } => match early {
            Some(reason) => format!(
                "closed early ({reason}) as {} with handover: {handover}",
                outcome.key()
            ),
            None => format!("closed as {} with handover: {handover}", outcome.key()),
        },
        Happened::Replanned => "re-planned after the back-out".to_string(),
        Happened::DeploymentStarted { env, progress_in } => match progress_in {
            Some(channel) => format!("deployment to {env} started (progress in #{channel})"),
            None => format!("deployment to {env} started"),
        },
        Happened::StepsDone { env } => format!("all deployment steps done in {env}"),
        Happened::StepFailed { step, env } => format!("step {step} failed: backed out of {env}"),
        Happened::BackedOut { env, reason } => match reason {
            Some(reason) => format!("backed out of {env}: {reason}"),
            None => format!("backed out of {env}"),
        },
        Happened::Verified { env } => format!("deployment to {env} verified"),
    }
}

/// A package change, as the channel reads it.
pub fn package_change(c: &PackageChange) -> String {
    match c {
        PackageChange::Added { name, version } => format!("{name} {version} added"),
        PackageChange::Updated { name, version } => format!("{name} updated to {version}"),
        PackageChange::Removed { name } => format!("{name} removed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::release::CloseOutcome;

    #[test]
    fn words_the_facts_as_before() {
        let cases = [
            (
                Happened::TestRun {
                    run: 2,
                    passed: false,
                    notes: Some("flaky login".into()),
                },
                "test run 2 failed (flaky login)",
            ),
            (
                Happened::Authorized {
                    approved: false,
                    reason: None,
                },
                "rejected at authorization",
            ),
            (
                Happened::Closed {
                    outcome: CloseOutcome::Successful,
                    early: Some("quiet".into()),
                    handover: "ops".into(),
                },
                "closed early (quiet) as successful with handover: ops",
            ),
            (
                Happened::DeploymentStarted {
                    env: "prod".into(),
                    progress_in: Some("deployments".into()),
                },
                "deployment to prod started (progress in #deployments)",
            ),
            (
                Happened::BackedOut {
                    env: "prod".into(),
                    reason: Some("issues found".into()),
                },
                "backed out of prod: issues found",
            ),
        ];
        for (h, want) in cases {
            assert_eq!(happened(&h), want);
        }
    }
}
