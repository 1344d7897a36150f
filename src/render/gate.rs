//! What the desk answers outside pipelines (GitHub, GitLab) and how it
//! announces each decision in the deployments channel.

use crate::chat::Outgoing;
use crate::domain::calendar::Opening;
use crate::domain::gate::Decision;
use crate::domain::records::Release;
use chrono_tz::Tz;

/// An opening as a waiting comment names it: `Thu 22:00`.
pub fn opens(o: &Opening, tz: Tz) -> String {
    o.start.with_timezone(&tz).format("%a %H:%M").to_string()
}

/// The comment sent with a decision. `failing`: `check: detail` of each failing check.
pub fn comment(
    release: Option<&Release>,
    env: &str,
    decision: &Decision,
    failing: &[String],
    tz: Tz,
) -> String {
    let Some(r) = release else {
        return format!("rejected: {}", failing.join("; "));
    };
    match decision {
        Decision::Approve => format!(
            "{} {} ({}) is ready for {env}: approved.",
            r.rid(),
            r.name,
            r.version
        ),
        Decision::Wait(o) => format!("waiting for {}, opens {}", o.window, opens(o, tz)),
        Decision::Reject => format!("{} is not ready for {env}: {}", r.rid(), failing.join("; ")),
    }
}

/// No release matches the deployment's ref.
pub fn no_release_for(git_ref: &str, pattern: &str) -> String {
    format!("no open release has the version that {git_ref:?} names (refs are read as {pattern:?})")
}

/// The decision's key in the audit trail and the API answer.
pub fn decision_key(d: &Decision) -> &'static str {
    match d {
        Decision::Approve => "approved",
        Decision::Wait(_) => "waiting",
        Decision::Reject => "rejected",
    }
}

/// The announcement in the deployments channel.
pub fn announced(
    provider: &str,
    release: Option<&Release>,
    env: &str,
    git_ref: &str,
    decision: &Decision,
    comment: &str,
) -> Outgoing {
    let what = release
        .map(|r| format!("{} {}", r.rid(), r.name))
        .unwrap_or_else(|| format!("ref {git_ref}"));
    let accent = match decision {
        Decision::Approve => "ok",
        Decision::Wait(_) => "warn",
        Decision::Reject => "fail",
    };
    Outgoing::text(format!("{provider} deployment of {what} to {env}: {comment}")).accent(accent)
}
