//! Why a command was refused, in words. Each function names what was asked
//! and what would work instead.

use crate::domain::ids::RecordId;
use crate::domain::records::{Deployment, Release};
use crate::domain::release::ReleaseState;
use crate::domain::rfc::RfcStatus;
use crate::domain::timefmt::show_time;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// `/release schedule` on a release that is deploying or done.
pub fn cannot_reschedule(id: RecordId, state: &ReleaseState) -> String {
    format!("{id} is in state {state}: it can no longer be rescheduled.")
}

/// A time in the past.
pub fn in_the_past(t: DateTime<Utc>, tz: Tz) -> String {
    format!("{} is in the past.", show_time(t, tz))
}

/// Booking the opening the release already has.
pub fn already_scheduled(id: RecordId) -> String {
    format!("{id} is already scheduled into that opening.")
}

/// An environment the release does not target.
pub fn not_a_target(r: &Release, env: &str) -> String {
    format!(
        "{} does not target {env}; its environments are {}.",
        r.rid(),
        r.environments.join(", ")
    )
}

/// The calendar gate is closed.
pub fn gate_closed(id: RecordId, env: &str, why: &str) -> String {
    format!("{id} cannot start deploying to {env} now: {why}")
}

/// Another deployment holds the environment's lock.
pub fn env_locked(env: &str, holder: &Release, d: &Deployment, tz: Tz) -> String {
    format!(
        "{env} is locked: {} {} is deploying there (since {}). One deployment per environment at a time.",
        holder.rid(),
        holder.name,
        d.started_at.map(|t| show_time(t, tz)).unwrap_or_default()
    )
}

/// No deployment under way.
pub fn nothing_running(r: &Release, env: &str) -> String {
    format!("{} has no deployment running in {env}.", r.rid())
}

/// An audit without a baseline.
pub fn no_baseline_to_audit(id: RecordId) -> String {
    format!("{id} has no baseline to audit against.")
}

/// An incident on a release never deployed.
pub fn never_deployed(r: &Release) -> String {
    format!(
        "{} has not been deployed anywhere yet: incidents are attributed to deployed releases.",
        r.rid()
    )
}

/// An incident in an environment the release has not reached.
pub fn not_deployed_to(r: &Release, env: &str, deployed: &[String]) -> String {
    format!(
        "{} has not been deployed to {env}; it was deployed to {}.",
        r.rid(),
        deployed.join(", ")
    )
}

/// Resolving an incident twice.
pub fn already_resolved(id: RecordId) -> String {
    format!("{id} is already resolved.")
}

/// An RFC that cannot join a new release.
pub fn rfc_not_open(id: RecordId, status: RfcStatus) -> String {
    format!("{id} is {status} — only open RFCs can go into a new release.")
}

/// Withdrawing someone else's RFC.
pub fn not_your_rfc(id: RecordId, requester: &str) -> String {
    format!("Only the requester of {id} ({requester}) or a release manager can withdraw it.")
}

/// Withdrawing twice.
pub fn already_withdrawn(id: RecordId) -> String {
    format!("{id} is already withdrawn.")
}

/// Withdrawing an RFC that is in a release.
pub fn rfc_in_use(id: RecordId, status: RfcStatus, release: Option<i64>) -> String {
    let rel = release
        .map(|n| format!(" (in {})", RecordId::release(n)))
        .unwrap_or_default();
    format!("{id} is {status}{rel} and cannot be withdrawn; only open RFCs can. Cancel the release first if it must go.")
}

/// A report period the wrong way round.
pub fn period_backwards(from: NaiveDate, to: NaiveDate) -> String {
    format!("The period starts ({from}) after it ends ({to}).")
}
