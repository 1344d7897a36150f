//! `[ha]`: several instances on one PostgreSQL database, one of them the
//! leader (the service decides which; see the README, "Two instances").

use super::{one, ConfigError};
use crate::domain::timefmt::parse_duration;
use serde::Deserialize;
use std::time::Duration;

/// The shortest `takeover`: the standbys' attempts and the leader's own
/// checks are fractions of it, and below a second they would be most of
/// what the database does.
pub const MIN_TAKEOVER: Duration = Duration::from_secs(1);
/// The longest `takeover`: past an hour a dead leader is an outage, not a failover.
pub const MAX_TAKEOVER: Duration = Duration::from_secs(3600);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHa {
    pub(super) takeover: String,
}

/// Checks `ha.takeover` (a bad value into `errs`; the default then stands in).
pub(super) fn validate(ha: &RawHa, errs: &mut Vec<ConfigError>) -> Duration {
    let text = ha.takeover.trim();
    let parsed = parse_duration(text)
        .ok()
        .and_then(|d| d.to_std().ok())
        .filter(|d| (MIN_TAKEOVER..=MAX_TAKEOVER).contains(d));
    parsed.unwrap_or_else(|| {
        errs.push(one(
            "ha.takeover",
            format!("{text:?}"),
            "a duration from 1s to 1h such as \"15s\" (how soon a standby takes over after the leader's session ends)",
        ));
        Duration::from_secs(15)
    })
}
