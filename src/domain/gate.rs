//! Gating an outside pipeline (a GitHub deployment protection rule, a GitLab
//! deployment approval) on readiness: which release a deployment names, and
//! what to answer.

use super::calendar::Opening;
use super::readiness::Readiness;

/// What to answer a pipeline waiting on the desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Every check passes.
    Approve,
    /// Only the calendar blocks: approve at this opening (checked again then).
    Wait(Opening),
    /// Something other than time blocks (or no release matches).
    Reject,
}

/// The decision for a readiness.
pub fn decide(r: &Readiness) -> Decision {
    if r.ready() {
        Decision::Approve
    } else if r.only_calendar_blocks() {
        match r.next_opening() {
            Some(o) => Decision::Wait(o.clone()),
            None => Decision::Reject,
        }
    } else {
        Decision::Reject
    }
}

/// The version a git ref names under `pattern` (`v{version}`): the ref may
/// be a bare name, `refs/tags/…` or `refs/heads/…`.
pub fn version_of(git_ref: &str, pattern: &str) -> Option<String> {
    let name = git_ref
        .strip_prefix("refs/tags/")
        .or_else(|| git_ref.strip_prefix("refs/heads/"))
        .unwrap_or(git_ref);
    let (prefix, suffix) = pattern.split_once("{version}")?;
    let version = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
    (!version.is_empty()).then(|| version.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_name_versions_by_the_pattern() {
        assert_eq!(version_of("v2.3.0", "v{version}").as_deref(), Some("2.3.0"));
        assert_eq!(
            version_of("refs/tags/v2.3.0", "v{version}").as_deref(),
            Some("2.3.0")
        );
        assert_eq!(
            version_of("release-2.3.0-rc", "release-{version}-rc").as_deref(),
            Some("2.3.0")
        );
        assert_eq!(version_of("main", "v{version}"), None);
        assert_eq!(version_of("v", "v{version}"), None);
    }
}
