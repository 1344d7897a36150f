//! Refusals: access, missing records, lifecycle and package rules.

use super::{a_or_an, roles_list, short};
use crate::domain::ids::RecordId;
use crate::domain::package::PackageError;
use crate::domain::release::Refusal;
use crate::domain::roles::{Role, Roles};

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

/// A lifecycle refusal for one release; times in the calendar's zone `tz`.
pub fn refusal(id: RecordId, r: &Refusal, tz: chrono_tz::Tz) -> String {
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
            crate::domain::timefmt::show_time(*until, tz)
        ),
        Refusal::IncidentsOpen { incidents } => super::governance::incidents_open(id, incidents),
        Refusal::ReviewNeeded { emergency } => super::governance::review_needed(id, *emergency),
        Refusal::BackedOutNotSuccessful { env } => super::governance::backed_out_not_successful(id, env),
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
