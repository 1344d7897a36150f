//! A release's audit trail told as a story: human event names, times in
//! the calendar's zone, short hashes, no whole before → after plans. The
//! raw trail stays available through `/audit log`.

use super::human;
use crate::domain::audit::AuditEntry;
use crate::domain::release::{Closure, ReleaseState};
use crate::domain::timefmt::show_time;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// How one kind of audit entry reads: a state change names its new state,
/// a record of facts shows its (humanised) value.
enum Reads {
    /// A lifecycle transition: `what → new state`.
    Moved(&'static str),
    /// A fact: `what: value`.
    Fact(&'static str),
    /// A plan or identity edit: which parts changed.
    Changed(&'static str),
    /// Told already elsewhere in the record (a transition, the deployments).
    Skip,
}

fn reads(action: &str, board: &str) -> Reads {
    use Reads::*;
    // The ECAB stands in for the CAB on emergencies; the phrases name the right one.
    let cab = |ecab: &'static str, cab: &'static str| if board == "ECAB" { ecab } else { cab };
    match action {
        "release.new" => Moved("release opened"),
        "release.plan" => Changed("plan updated"),
        "release.edit" => Changed("release edited"),
        "release.submit" => Moved("submitted for approval"),
        "release.pre-approved" => Moved("pre-approved as a standard change"),
        "release.cab-approved" => Moved(cab("approved by the ECAB", "approved by the CAB")),
        "release.cab-rejected" => Moved(cab("rejected by the ECAB", "rejected by the CAB")),
        "release.cab-expired" => Moved("vote expired without quorum"),
        "release.recall" => Moved("vote recalled"),
        "release.decide" => Moved("expired vote decided"),
        "release.prepare" => Moved("preparation done"),
        "release.build" => Moved("build delivered for testing"),
        "release.test" => Moved("test run"),
        "release.authorize" => Moved("authorization decided"),
        "release.cancel" => Moved("cancelled"),
        "release.deploy-plan" => Moved("deployment planned"),
        "release.deploy-start" => Moved("deployment started"),
        "release.deploy-steps-done" => Moved("all deployment steps done"),
        "release.deploy-backout" => Moved("backed out"),
        "release.deploy-verify" => Moved("verification recorded"),
        "release.close" => Moved("closed"),
        "release.review" => Fact("post-implementation review"),
        "release.close-outcome" => Fact("close outcome"),
        "release.preparation" => Fact("preparation recorded"),
        "release.build-recorded" => Fact("build recorded"),
        "release.revision" => Fact("revision "),
        "release.schedule" => Fact("booked into "),
        "release.unschedule" => Fact("gave up its window "),
        "release.missed-window" => Fact("missed its window "),
        "poll.open" => Fact("vote opened"),
        "poll.close" => Fact("vote closed"),
        "poll.vote" => Fact("vote cast"),
        "poll.decide" => Fact("expired vote decided"),
        "package.add" => Fact("package item added"),
        "package.remove" => Fact("package item removed"),
        "package.baseline" => Fact("package baselined"),
        "package.baseline-cleared" => Fact("package baseline cleared (the package changed)"),
        "deployment.plan" => Fact("deployment planned"),
        "deployment.step" => Skip,
        "deployment.backout" => Fact("back-out reason"),
        "deployment.verify" => Fact("verification"),
        // Told by the release's transitions and its deployments' progress.
        "deployment.start" => Skip,
        "audit.record" => Fact("configuration audit"),
        "incident.new" => Fact("incident opened"),
        "incident.resolve" => Fact("incident resolved"),
        "known-error.add" => Fact("known error recorded"),
        "survey.answer" => Fact("satisfaction answer"),
        "survey.withdraw" => Fact("satisfaction answer withdrawn"),
        _ => Fact(""),
    }
}

/// A stored value with its RFC 3339 times shown in `tz`; hashes `short`ened when asked.
fn rewrite_words(value: &str, tz: Tz, shorten: bool) -> String {
    value
        .split(' ')
        .map(|w| {
            let core = w.trim_end_matches([',', ';', ')', '.']);
            let tail = &w[core.len()..];
            if let Ok(t) = DateTime::parse_from_rfc3339(core) {
                format!("{}{tail}", show_time(t.with_timezone(&Utc), tz))
            } else if let Some(h) = core.strip_prefix("sha256:").filter(|h| shorten && h.len() > 12) {
                format!("{}{tail}", super::short(h))
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A stored value with its times in the calendar's zone, otherwise as
/// stored (the raw trail of `/audit log`).
pub fn local_times(value: &str, tz: Tz) -> String {
    rewrite_words(value, tz, false)
}

/// A stored value made readable: times in `tz`, hashes to 12 characters,
/// no `(ignored 0)`, nouns agreeing with their counts.
pub fn humanise(value: &str, tz: Tz) -> String {
    let mut s = rewrite_words(value, tz, true).replace(" (ignored 0)", "");
    if let Some(i) = s.find("(ignored ") {
        s.replace_range(i..i + "(ignored ".len(), "(");
        if let Some(j) = s[i..].find(')') {
            s.insert_str(i + j, " ignored");
        }
    }
    for (one, many) in [("item", "items"), ("step", "steps"), ("defect", "defect(s)")] {
        s = s
            .replace(&format!(" 1 {many}"), &format!(" 1 {one}"))
            .replace(&format!("(1 {many}"), &format!("(1 {one}"));
        if many.ends_with("(s)") {
            s = s.replace(many, &format!("{one}s"));
        }
    }
    s
}

/// Which `key: value` parts of a ` · `-joined description changed.
fn changed_parts(before: &str, after: &str) -> Vec<String> {
    let parts = |s: &str| -> Vec<(String, String)> {
        s.split(" · ")
            .map(|p| match p.split_once(": ") {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (p.to_string(), String::new()),
            })
            .collect()
    };
    let old = parts(before);
    parts(after)
        .into_iter()
        .filter(|(k, v)| !old.iter().any(|(ok, ov)| ok == k && ov == v))
        .map(|(k, _)| k)
        .collect()
}

/// One entry as a line of the story, or `None` when the entry adds nothing
/// to it (a transition that did not move, a duplicate of its neighbour).
pub fn line(e: &AuditEntry, board: &str, bot: &str, tz: Tz) -> Option<String> {
    let by = if e.actor_name == bot {
        String::new()
    } else {
        format!(" — {}", e.actor_name)
    };
    let (before, after) = super::audit::worded(&e.before, &e.after);
    let what = match reads(&e.action, board) {
        Reads::Skip => return None,
        Reads::Moved(name) => match (&before, &after) {
            (Some(b), Some(a)) if b == a => return None,
            (_, Some(a)) => format!("{} → {}", outcome_name(&e.action, a, name), state_of(a)),
            _ => name.to_string(),
        },
        Reads::Changed(name) => match (&before, &after) {
            (Some(b), Some(a)) if b == a => return None,
            (Some(b), Some(a)) if a.contains(" · ") || b.contains(" · ") => {
                let parts = changed_parts(b, a);
                if parts.is_empty() {
                    name.to_string()
                } else {
                    format!("{name}: {}", parts.join(", "))
                }
            }
            (Some(_), Some(a)) | (None, Some(a)) => format!("{name} → {}", humanise(a, tz)),
            _ => name.to_string(),
        },
        Reads::Fact(name) => {
            // A name ending in a space runs on into its value; others are labels.
            let name = match name {
                "" => format!("{}: ", e.action),
                n if n.ends_with(' ') => n.to_string(),
                n => format!("{n}: "),
            };
            match (&before, &after) {
                (_, Some(a)) if e.action == "release.revision" => {
                    format!("{name}{} → {a}", before.as_deref().unwrap_or("—"))
                }
                (_, Some(a)) => format!("{name}{}", humanise(a, tz)),
                (Some(b), None) => format!("{name}{}", humanise(b, tz)),
                (None, None) => name.trim_end_matches([':', ' ']).to_string(),
            }
        }
    };
    Some(format!("{}  {what}{by}", show_time(e.at, tz)))
}

/// A decision's name from where it led: a test that sent the release back
/// to Building failed, an authorization that closed it refused it.
fn outcome_name<'a>(action: &str, after: &str, name: &'a str) -> &'a str {
    let back = |s: ReleaseState| after == s.to_string();
    match action {
        "release.test" if back(ReleaseState::Building) => "test failed",
        "release.test" => "test passed",
        "release.authorize" if back(ReleaseState::Closed(Closure::Rejected)) => "authorization refused",
        "release.authorize" => "authorized",
        "release.deploy-verify" if after.starts_with("Backed out") => "verification found issues",
        "release.deploy-verify" => "verified",
        _ => name,
    }
}

/// A new state as written in `release.new`'s `name version — State`.
fn state_of(after: &str) -> &str {
    after.rsplit(" — ").next().unwrap_or(after)
}

/// The whole story, one line per entry that tells something.
pub fn lines(history: &[AuditEntry], board: &str, bot: &str, tz: Tz) -> Vec<String> {
    history.iter().filter_map(|e| line(e, board, bot, tz)).collect()
}

/// `INC-1`'s figures line for a release's record: `restored in 2 h, 30 min effort`.
pub fn restored(opened: DateTime<Utc>, resolved: Option<DateTime<Utc>>, effort: Option<f64>) -> String {
    match resolved {
        None => "open".into(),
        Some(r) => {
            let took = (r - opened).num_minutes() as f64 / 60.0;
            let effort = effort
                .map(|h| format!(", {} effort", human::hours(h)))
                .unwrap_or_default();
            format!("resolved in {}{effort}", human::hours(took))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(action: &str, before: Option<&str>, after: Option<&str>) -> AuditEntry {
        AuditEntry {
            at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
            actor: "rm".into(),
            actor_name: "rm".into(),
            record: "REL-1".into(),
            action: action.into(),
            before: before.map(Into::into),
            after: after.map(Into::into),
        }
    }

    fn say(action: &str, before: Option<&str>, after: Option<&str>) -> Option<String> {
        line(
            &entry(action, before, after),
            "CAB",
            "release-desk",
            chrono_tz::Europe::London,
        )
        .map(|l| l["Tue 1 Dec 2026 09:00  ".len()..].to_string())
    }

    #[test]
    fn transitions_read_as_events_and_their_new_state() {
        assert_eq!(
            say("release.cab-rejected", Some("Plan review"), Some("Planning")).as_deref(),
            Some("rejected by the CAB → Planning — rm")
        );
        assert_eq!(
            say("release.new", None, Some("Payments 2.3.0 — Planning")).as_deref(),
            Some("release opened → Planning — rm")
        );
        assert_eq!(say("release.plan", Some("Planning"), Some("Planning")), None);
        assert_eq!(
            say("release.test", Some("Testing"), Some("Building")).as_deref(),
            Some("test failed → Building — rm")
        );
        assert_eq!(
            say("release.test", Some("Testing"), Some("Awaiting authorization")).as_deref(),
            Some("test passed → Awaiting authorization — rm")
        );
        assert_eq!(
            say(
                "release.schedule",
                None,
                Some("weekly-prod 2026-12-03T22:00:00.000Z")
            )
            .as_deref(),
            Some("booked into weekly-prod Thu 3 Dec 2026 22:00 — rm")
        );
        assert_eq!(
            say("release.revision", Some("1"), Some("2")).as_deref(),
            Some("revision 1 → 2 — rm")
        );
        assert_eq!(say("deployment.start", None, Some("staging attempt 1")), None);
    }

    #[test]
    fn plans_name_what_changed_not_the_whole_plan() {
        assert_eq!(
            say(
                "release.plan",
                Some("scope: — · back-out: — · acceptance: —"),
                Some("scope: — · back-out: old certs · acceptance: handshake ok")
            )
            .as_deref(),
            Some("plan updated: back-out, acceptance — rm")
        );
    }

    #[test]
    fn values_lose_raw_times_long_hashes_and_empty_counts() {
        let tz = chrono_tz::Europe::London;
        assert_eq!(
            humanise("weekly-prod 2026-12-03T22:00:00.000Z", tz),
            "weekly-prod Thu 3 Dec 2026 22:00"
        );
        assert_eq!(
            humanise(
                "CAB poll, majority quorum 3, deadline 2026-12-03T09:00:00+00:00",
                tz
            ),
            "CAB poll, majority quorum 3, deadline Thu 3 Dec 2026 09:00"
        );
        assert_eq!(
            humanise("approved — ✅ 2 ❌ 0 🤷 1 (ignored 0)", tz),
            "approved — ✅ 2 ❌ 0 🤷 1"
        );
        assert_eq!(
            humanise("approved — ✅ 2 ❌ 0 🤷 1 (ignored 3)", tz),
            "approved — ✅ 2 ❌ 0 🤷 1 (3 ignored)"
        );
        assert_eq!(
            humanise(&format!("sha256:{} (1 items)", "ab".repeat(32)), tz),
            "sha256:abababababab (1 item)"
        );
        assert_eq!(
            humanise("staging attempt 1: 1 steps", tz),
            "staging attempt 1: 1 step"
        );
        assert_eq!(humanise("prod: 2 defect(s)", tz), "prod: 2 defects");
        let hash = format!("sha256:{} (3 items)", "ab".repeat(32));
        assert_eq!(local_times(&hash, tz), hash);
        assert_eq!(
            local_times("weekly-prod 2026-12-03T22:00:00.000Z", tz),
            "weekly-prod Thu 3 Dec 2026 22:00"
        );
    }

    #[test]
    fn the_bot_is_not_named_as_an_actor() {
        let mut e = entry(
            "poll.close",
            Some("open"),
            Some("approved — ✅ 2 ❌ 0 🤷 0 (ignored 0)"),
        );
        e.actor_name = "release-desk".into();
        assert_eq!(
            line(&e, "ECAB", "release-desk", chrono_tz::Europe::London).as_deref(),
            Some("Tue 1 Dec 2026 09:00  vote closed: approved — ✅ 2 ❌ 0 🤷 0")
        );
    }
}
