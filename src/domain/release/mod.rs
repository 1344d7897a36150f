//! The release lifecycle of the seed's 14 activities, as a state machine.
//! Where a release stands is in `state`; what moves it, in `transition`.

mod state;
#[cfg(test)]
mod tests;
mod transition;

pub use state::{ReleaseState, STATE_KEYS};
pub use transition::{transition, Event, Facts, Lifecycle, Refusal};

use chrono::{DateTime, Duration, Utc};
use std::fmt;

/// How a release ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closure {
    /// Deployed, supported through early life, handed over to operations.
    Completed,
    /// Rejected by the change manager at authorization.
    Rejected,
    /// Withdrawn before deployment.
    Cancelled,
    /// Closed with the outcome `unsuccessful` (after a back-out, or a failed early life).
    Unsuccessful,
}

/// What a close records about the change (PRODUCT §2), counted in the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CloseOutcome {
    /// The change did what it was meant to.
    Successful,
    /// It did, with issues worth recording.
    SuccessfulWithIssues,
    /// It failed: a post-implementation review is required first.
    Unsuccessful,
}

impl CloseOutcome {
    /// The three outcomes, in the order `/release close` offers them.
    pub const ALL: [CloseOutcome; 3] = [
        CloseOutcome::Successful,
        CloseOutcome::SuccessfulWithIssues,
        CloseOutcome::Unsuccessful,
    ];

    /// The option value and stored form.
    pub fn key(self) -> &'static str {
        match self {
            CloseOutcome::Successful => "successful",
            CloseOutcome::SuccessfulWithIssues => "successful-with-issues",
            CloseOutcome::Unsuccessful => "unsuccessful",
        }
    }

    /// Parses the option value or stored form.
    pub fn from_key(key: &str) -> Option<Self> {
        CloseOutcome::ALL.into_iter().find(|o| o.key() == key)
    }
}

impl std::str::FromStr for CloseOutcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        CloseOutcome::from_key(&s.to_ascii_lowercase())
            .ok_or_else(|| "successful, successful-with-issues or unsuccessful".to_string())
    }
}
