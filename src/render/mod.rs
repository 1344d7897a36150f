//! Every word the bot says, built by pure functions from records into
//! message models (`chat::Outgoing`): one module per area.

use crate::chat::StateClass;
use crate::domain::records::Rfc;
use crate::domain::release::ReleaseState;
use crate::domain::roles::Roles;

pub(crate) fn roles_list(held: &Roles) -> String {
    if held.is_empty() {
        "no release-desk role".to_string()
    } else {
        held.iter().map(|r| r.key()).collect::<Vec<_>>().join(", ")
    }
}

pub(crate) fn a_or_an(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    }
}

pub(crate) fn short(hash: &str) -> String {
    format!("sha256:{}", &hash[..hash.len().min(12)])
}

/// The commands that move a release on, as the fact `next`.
pub(crate) fn next_fact(state: &ReleaseState) -> [(&'static str, String); 1] {
    let next = state.next_commands();
    let value = if next.is_empty() {
        "nothing — the release is closed".to_string()
    } else {
        next.join(", ")
    };
    [("next", value)]
}

/// How a release in `state` stands, for a platform's colour.
pub fn class_of(state: &ReleaseState) -> StateClass {
    match state {
        ReleaseState::Planning | ReleaseState::Preparing | ReleaseState::Building | ReleaseState::Testing => {
            StateClass::Working
        }
        ReleaseState::PlanReview | ReleaseState::AwaitingAuthorization | ReleaseState::Verifying { .. } => {
            StateClass::Waiting
        }
        ReleaseState::DeploymentPlanning { .. } | ReleaseState::Deploying { .. } => StateClass::Deploying,
        ReleaseState::BackedOut { .. } => StateClass::Failure,
        ReleaseState::EarlyLifeSupport { .. } => StateClass::Success,
        ReleaseState::Closed(_) => StateClass::Closed,
    }
}

pub(crate) fn rfc_brief(rfcs: &[Rfc]) -> String {
    rfcs.iter()
        .map(|r| format!("{} ({}, {} risk)", r.rid(), r.rfc_type, r.risk))
        .collect::<Vec<_>>()
        .join(", ")
}

mod access;
mod package;
mod poll;
mod record;
mod release;
mod rfc;

pub use access::*;
pub use package::*;
pub use poll::*;
pub use record::*;
pub use release::*;
pub use rfc::*;

pub mod audit;
pub mod calendar;
pub mod chart;
pub mod choices;
pub mod config;
pub mod console;
pub mod deploy;
pub mod form;
pub mod gate;
pub mod governance;
pub mod happened;
pub mod help;
pub mod human;
pub mod migrate_db;
pub mod readiness;
pub mod refusal;
pub mod report;
pub mod story;
pub mod summary;
pub mod workflow;

pub use governance::direct;
