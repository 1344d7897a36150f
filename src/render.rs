//! Every word the bot says, built by pure functions from records.

use crate::chat::Outgoing;
use crate::db::polls::Poll;
use crate::domain::ids::RecordId;
use crate::domain::package::{Item, PackageError};
use crate::domain::records::{AuditEntry, Release, Rfc};
use crate::domain::release::{Refusal, ReleaseState};
use crate::domain::roles::{Role, Roles};
use crate::domain::tally::{Ignored, Outcome, Tally};
use crate::domain::timefmt::show_time;
use chrono_tz::Tz;

fn roles_list(held: &Roles) -> String {
    if held.is_empty() {
        "no release-desk role".to_string()
    } else {
        held.iter().map(|r| r.key()).collect::<Vec<_>>().join(", ")
    }
}

fn a_or_an(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    }
}

/// A refused command: who may run it.
pub fn permission_denied(path: &str, required: &[Role], held: &Roles) -> String {
    let who: Vec<String> = required
        .iter()
        .map(|r| format!("{} {}", a_or_an(r.title()), r.title()))
        .collect();
    format!(
        "Only {} can run {path} (you hold: {}).",
        who.join(" or "),
        roles_list(held)
    )
}

/// A command whose definition declares no roles: refused for everyone.
pub fn undeclared_access(path: &str) -> String {
    format!("{path} declares no roles that may run it, so no one can (default deny). Nothing was changed.")
}

/// A command from a Discord server other than the one the desk serves.
pub fn not_served() -> String {
    "This server is not served by this release desk: nothing was read or changed here.".to_string()
}

/// A record that does not exist.
pub fn not_found(id: RecordId) -> String {
    format!("There is no {id}.")
}

/// Something broke inside; the details are in the log.
pub fn internal_error() -> String {
    "Something went wrong on our side and nothing was changed. The error is logged; please try again."
        .to_string()
}

/// A lifecycle refusal for one release.
pub fn refusal(id: RecordId, r: &Refusal) -> String {
    match r {
        Refusal::NotNow { state, attempted } => {
            let next = state.next_commands();
            let next = if next.is_empty() { "nothing — the release is closed".to_string() } else { next.join(", ") };
            format!("{id} is in state {state}: {attempted} does not apply now.\n  next: {next}")
        }
        Refusal::PlanIncomplete { missing } => format!(
            "{id} cannot be submitted yet: the plan has no {}.\n  Add them with /release plan id:{id} backout:\"…\" acceptance:\"…\"",
            missing.join(" and no ")
        ),
        Refusal::NoBaseline => format!("{id} has no baselined package to build: run /package baseline release:{id} first."),
        Refusal::DeploymentNotPlanned { env } => {
            format!("{id} has no deployment plan for {env}: run /deploy plan release:{id} env:{env} first.")
        }
        Refusal::WrongEnvironment { asked, current } => {
            format!("{id} is at environment {current}, not {asked}.")
        }
        Refusal::ElsNotOver { until } => format!(
            "{id} is in early life support until {}. Close it then, or give early:\"reason\" to close it now.",
            until.to_rfc3339()
        ),
    }
}

/// A package refusal.
pub fn package_refusal(id: RecordId, e: &PackageError) -> String {
    match e {
        PackageError::Baselined { hash } => format!(
            "The package of {id} is baselined ({}) and frozen. It can change again only after a failed test.",
            short(hash)
        ),
        PackageError::NotNow { state } => format!("The package of {id} cannot change in state {state}."),
        PackageError::Empty => format!("The package of {id} is empty: add items with /package add first."),
        PackageError::UnknownItem { item } => format!("The package of {id} has no item {item}."),
        PackageError::Incompatible { problems } => {
            format!(
                "The package of {id} cannot be baselined:\n{}",
                problems
                    .iter()
                    .map(|p| format!("  - {p}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        }
    }
}

fn short(hash: &str) -> String {
    format!("sha256:{}", &hash[..hash.len().min(12)])
}

/// `RFC-1 opened`.
pub fn rfc_opened(r: &Rfc) -> Outgoing {
    Outgoing::text(format!(
        "{} opened by {} — {}\n  type {} · risk {} · impact: {}",
        r.rid(),
        r.requester_name,
        r.title,
        r.rfc_type,
        r.risk,
        r.impact
    ))
    .accent("open")
}

/// One RFC in full.
pub fn rfc_show(r: &Rfc, releases: &[i64], tz: Tz) -> Outgoing {
    let mut s = format!(
        "{} {} — {}\n  type {} · risk {} · requested by {} on {}\n  impact: {}",
        r.rid(),
        r.title,
        r.status,
        r.rfc_type,
        r.risk,
        r.requester_name,
        show_time(r.created_at, tz),
        r.impact
    );
    if let Some(d) = &r.description {
        s.push_str(&format!("\n  description: {d}"));
    }
    if !releases.is_empty() {
        let ids: Vec<String> = releases
            .iter()
            .map(|n| RecordId::release(*n).to_string())
            .collect();
        s.push_str(&format!("\n  releases: {}", ids.join(", ")));
    }
    Outgoing::text(s)
}

/// A list of RFCs.
pub fn rfc_list(rfcs: &[Rfc]) -> Outgoing {
    if rfcs.is_empty() {
        return Outgoing::text("No RFCs match.");
    }
    let lines: Vec<String> = rfcs
        .iter()
        .map(|r| {
            format!(
                "  {} {} — {} · {} · {} risk",
                r.rid(),
                r.title,
                r.status,
                r.rfc_type,
                r.risk
            )
        })
        .collect();
    Outgoing::text(format!("{} RFC(s):\n{}", rfcs.len(), lines.join("\n")))
}

/// An RFC withdrawn.
pub fn rfc_withdrawn(r: &Rfc, by: &str, reason: Option<&str>) -> Outgoing {
    let why = reason.map(|w| format!(": {w}")).unwrap_or_default();
    Outgoing::text(format!("{} withdrawn by {by}{why}", r.rid())).accent("closed")
}

fn next_line(state: &ReleaseState) -> String {
    let next = state.next_commands();
    if next.is_empty() {
        "  next: nothing — the release is closed".into()
    } else {
        format!("  next: {}", next.join(", "))
    }
}

fn rfc_brief(rfcs: &[Rfc]) -> String {
    rfcs.iter()
        .map(|r| format!("{} ({}, {} risk)", r.rid(), r.rfc_type, r.risk))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `REL-1 … created`.
pub fn release_created(r: &Release, rfcs: &[Rfc]) -> Outgoing {
    let emergency = if r.emergency { " · EMERGENCY (ECAB)" } else { "" };
    Outgoing::text(format!(
        "{} {} ({}) created — state {}\n  RFCs: {} · environments: {}{emergency}\n{}",
        r.rid(),
        r.name,
        r.version,
        r.lifecycle.state,
        rfc_brief(rfcs),
        r.environments.join(" → "),
        next_line(&r.lifecycle.state)
    ))
    .accent(r.lifecycle.state.key())
}

/// A plan change.
pub fn plan_updated(r: &Release, changed: &[&str]) -> Outgoing {
    let missing = r.plan.missing();
    let status = if missing.is_empty() {
        "ready to submit".to_string()
    } else {
        format!("still missing: {}", missing.join(", "))
    };
    Outgoing::text(format!(
        "{} plan updated (revision {}): {} set — {status}.",
        r.rid(),
        r.lifecycle.revision,
        changed.join(", ")
    ))
}

/// A state change, for the actor and for subscribers.
pub fn state_changed(r: &Release, what: &str, by: &str) -> Outgoing {
    Outgoing::text(format!(
        "{} {} — {what} by {by} — state {}\n{}",
        r.rid(),
        r.name,
        r.lifecycle.state,
        next_line(&r.lifecycle.state)
    ))
    .accent(r.lifecycle.state.key())
}

/// The submission answer.
pub fn submitted(r: &Release, channel: &str, emergency: bool) -> Outgoing {
    let board = if emergency { "ECAB" } else { "CAB" };
    Outgoing::text(format!(
        "{} submitted to the {board} — state {} (vote in #{channel})",
        r.rid(),
        r.lifecycle.state
    ))
    .accent(r.lifecycle.state.key())
}

/// One release in full: state, plan, history, next steps.
pub fn release_show(r: &Release, rfcs: &[Rfc], history: &[AuditEntry], tz: Tz) -> Outgoing {
    let mut s = format!(
        "{} {} ({}) — state {} · revision {} · test runs {}{}\n  RFCs: {}\n  environments: {}\n  manager: {}",
        r.rid(),
        r.name,
        r.version,
        r.lifecycle.state,
        r.lifecycle.revision,
        r.lifecycle.test_runs,
        if r.emergency { " · EMERGENCY" } else { "" },
        rfc_brief(rfcs),
        r.environments.join(" → "),
        r.manager_name,
    );
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    s.push_str(&format!(
        "\n  scope: {} · back-out: {} · acceptance: {}",
        opt(&r.plan.scope),
        opt(&r.plan.backout),
        opt(&r.plan.acceptance)
    ));
    if let Some(b) = &r.booking {
        s.push_str(&format!(
            "\n  window: {} {} – {}",
            b.window,
            show_time(b.start, tz),
            show_time(b.end, tz)
        ));
    }
    if let Some(h) = &r.baseline_hash {
        s.push_str(&format!("\n  baseline: {}", short(h)));
    }
    if let ReleaseState::EarlyLifeSupport { until } = &r.lifecycle.state {
        s.push_str(&format!("\n  early life support until {}", show_time(*until, tz)));
    }
    s.push_str("\n  history:");
    s.push_str(&history_lines(history, tz));
    s.push('\n');
    s.push_str(&next_line(&r.lifecycle.state));
    Outgoing::text(s).accent(r.lifecycle.state.key())
}

/// Audit entries, one indented line each: when, who, what, before → after.
pub fn history_lines(history: &[AuditEntry], tz: Tz) -> String {
    history
        .iter()
        .map(|e| {
            let change = match (&e.before, &e.after) {
                (Some(b), Some(a)) => format!(": {b} → {a}"),
                (None, Some(a)) => format!(": {a}"),
                _ => String::new(),
            };
            format!(
                "\n    {} {} {}{change}",
                show_time(e.at, tz),
                e.actor_name,
                e.action
            )
        })
        .collect()
}

/// A list of releases.
pub fn release_list(rs: &[Release]) -> Outgoing {
    if rs.is_empty() {
        return Outgoing::text("No releases match.");
    }
    let lines: Vec<String> = rs
        .iter()
        .map(|r| format!("  {} {} ({}) — {}", r.rid(), r.name, r.version, r.lifecycle.state))
        .collect();
    Outgoing::text(format!("{} release(s):\n{}", rs.len(), lines.join("\n")))
}

fn package_lines(items: &[Item]) -> String {
    items
        .iter()
        .map(|i| {
            let req = if i.requires.is_empty() {
                String::new()
            } else {
                format!(
                    " · requires {}",
                    i.requires
                        .iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            };
            format!("  {} {} ({}, {}){req}", i.name, i.version, i.kind, i.change)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The package and its baseline.
pub fn package_show(r: &Release, items: &[Item]) -> Outgoing {
    let baseline = match &r.baseline_hash {
        Some(h) => format!("baselined {}", short(h)),
        None => "not baselined".to_string(),
    };
    if items.is_empty() {
        return Outgoing::text(format!("Package of {}: empty — {baseline}.", r.rid()));
    }
    Outgoing::text(format!(
        "Package of {} — {} item(s), {baseline}:\n{}",
        r.rid(),
        items.len(),
        package_lines(items)
    ))
}

/// An item added or changed.
pub fn package_changed(r: &Release, what: &str, items: &[Item], baseline_cleared: bool) -> Outgoing {
    let note = if baseline_cleared {
        "\n  The previous baseline no longer applies: baseline again before the next build."
    } else {
        ""
    };
    Outgoing::text(format!(
        "{} package: {what}. {} item(s) now.{note}",
        r.rid(),
        items.len()
    ))
}

/// A package frozen.
pub fn baselined(r: &Release, hash: &str, items: &[Item]) -> Outgoing {
    Outgoing::text(format!(
        "{} package baselined: {} item(s), all constraints met.\n  content hash sha256:{hash}\n{}",
        r.rid(),
        items.len(),
        package_lines(items)
    ))
    .accent("ok")
}

/// Release notes: RFCs, package items by change, known errors with
/// workarounds, deployments with dates — as text and as a Markdown file.
pub fn release_notes(
    r: &Release,
    rfcs: &[Rfc],
    items: &[Item],
    known: &[crate::domain::records::KnownError],
    deployments: &[crate::domain::records::Deployment],
    tz: Tz,
) -> Outgoing {
    let mut md = format!(
        "# Release notes — {} {} ({})\n\nState: {}\n",
        r.rid(),
        r.name,
        r.version,
        r.lifecycle.state
    );
    md.push_str("\n## Changes requested\n\n");
    for rfc in rfcs {
        md.push_str(&format!("- {} {} ({} risk)\n", rfc.rid(), rfc.title, rfc.risk));
    }
    md.push_str("\n## Package\n\n");
    if items.is_empty() {
        md.push_str("Empty.\n");
    }
    for change in crate::domain::package::Change::ALL {
        let of: Vec<&Item> = items.iter().filter(|i| i.change == *change).collect();
        if !of.is_empty() {
            md.push_str(&format!("{}:\n", change));
            for i in of {
                md.push_str(&format!("- {} {} ({})\n", i.name, i.version, i.kind));
            }
        }
    }
    md.push_str("\n## Known errors\n\n");
    if known.is_empty() {
        md.push_str("None recorded.\n");
    }
    for k in known {
        md.push_str(&format!(
            "- KE-{}: {} — workaround: {}\n",
            k.number, k.description, k.workaround
        ));
    }
    md.push_str("\n## Deployments\n\n");
    if deployments.is_empty() {
        md.push_str("None yet.\n");
    }
    for d in deployments {
        let when = match (d.started_at, d.finished_at) {
            (Some(s), Some(f)) => format!("{} – {}", show_time(s, tz), show_time(f, tz)),
            (Some(s), None) => format!("since {}", show_time(s, tz)),
            _ => "planned".to_string(),
        };
        md.push_str(&format!(
            "- {} (attempt {}): {} {}\n",
            d.env,
            d.attempt,
            d.outcome.as_deref().unwrap_or("in progress"),
            when
        ));
    }
    let text: Vec<&str> = md
        .lines()
        .map(|l| l.trim_start_matches('#').trim_start())
        .collect();
    let text = text.join("\n");
    Outgoing {
        text: text.trim_end().to_string(),
        attachment: Some(crate::chat::Attachment {
            name: format!("release-notes-{}.md", r.rid()),
            content: md.into_bytes(),
        }),
        ..Default::default()
    }
}

fn outcome_text(o: &Outcome, tally: &Tally, quorum: u32) -> String {
    match o {
        Outcome::Approved { early: true } => "approved early".into(),
        Outcome::Approved { early: false } => "approved".into(),
        Outcome::Rejected { veto: Some(v) } => format!("rejected (veto by {v})"),
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
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "—".into());
    s.push_str(&format!(
        "\n  Back-out: {} · Acceptance: {}",
        opt(&r.plan.backout),
        opt(&r.plan.acceptance)
    ));
    if let Some(scope) = &r.plan.scope {
        s.push_str(&format!("\n  Scope: {scope}"));
    }
    if let Some(b) = &r.booking {
        s.push_str(&format!(
            "\n  Scheduled: {} {}",
            b.window,
            show_time(b.start, v.tz)
        ));
    }
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
                };
                format!("{} ({why})", (v.names)(u))
            })
            .collect();
        s.push_str(&format!("\n  ignored: {}", ignored.join(", ")));
    }
    Outgoing::text(s).accent(match v.outcome {
        None => "open",
        Some(Outcome::Approved { .. }) => "ok",
        Some(_) => "fail",
    })
}

/// The outcome notice where the release was submitted, and for subscribers.
pub fn poll_outcome(r: &Release, o: &Outcome, tally: &Tally, quorum: u32, emergency: bool) -> Outgoing {
    let board = if emergency { "ECAB" } else { "CAB" };
    let text = match o {
        Outcome::Approved { .. } => format!(
            "{} approved by the {board} ({} ✅, {} ❌, {} 🤷) — state {}\n{}",
            r.rid(),
            tally.approve.len(),
            tally.reject.len(),
            tally.abstain.len(),
            r.lifecycle.state,
            next_line(&r.lifecycle.state)
        ),
        Outcome::Rejected { veto } => format!(
            "{} returned to Planning: the {board} rejected it{} — revise the plan (revision {}) and submit again.",
            r.rid(),
            veto.as_ref().map(|v| format!(" (veto by {v})")).unwrap_or_default(),
            r.lifecycle.revision
        ),
        Outcome::Expired => format!(
            "{} returned to Planning: the {board} vote expired without quorum ({} of {quorum}). Change managers notified.",
            r.rid(),
            tally.cast()
        ),
    };
    Outgoing::text(text).accent(r.lifecycle.state.key())
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
    .accent("warn")
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
    .accent("closed")
}

/// Subscribed.
pub fn subscribed(target: &str, via: &str, new: bool) -> Outgoing {
    let where_ = if via == "dm" {
        "by direct message"
    } else {
        "in this channel"
    };
    if new {
        Outgoing::text(format!("Subscribed to {target}: you will be told {where_}."))
    } else {
        Outgoing::text(format!("You were already subscribed to {target} {where_}."))
    }
}

/// Unsubscribed.
pub fn unsubscribed(target: &str, via: &str, existed: bool) -> Outgoing {
    let where_ = if via == "dm" {
        "by direct message"
    } else {
        "in a channel"
    };
    if existed {
        Outgoing::text(format!("Unsubscribed from {target} ({where_})."))
    } else {
        Outgoing::text(format!("You had no subscription to {target} {where_}."))
    }
}

pub mod calendar;
pub mod deploy;
pub mod gate;
pub mod readiness;
pub mod refusal;
pub mod report;
