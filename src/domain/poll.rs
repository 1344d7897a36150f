//! A CAB poll and its vote ledger, as records.

use crate::domain::roles::Roles;
use crate::domain::tally::{PollRules, Vote};
use chrono::{DateTime, Utc};

/// A stored poll.
#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    /// Row id.
    pub id: i64,
    /// The guild it belongs to.
    pub guild: String,
    /// The release's row id.
    pub release_row: i64,
    /// The plan revision voted on.
    pub revision: i64,
    /// The bot message carrying the poll.
    pub message_id: i64,
    /// The rules it runs under.
    pub rules: PollRules,
    /// Who submitted the release.
    pub submitter: String,
    /// Where the outcome is announced.
    pub notify_channel: String,
    /// Opened.
    pub opened_at: DateTime<Utc>,
    /// Closes.
    pub deadline: DateTime<Utc>,
    /// Closed, with outcome.
    pub closed: Option<(DateTime<Utc>, String)>,
    /// After an expiry, a change manager's decision (`approved`, `rejected`).
    pub decision: Option<String>,
    /// Who recalled or decided the poll, and why.
    pub settled: Option<Settled>,
}

/// A person's act that ended or decided a poll: a recall or a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    /// Their user id.
    pub by: String,
    /// Their name.
    pub by_name: String,
    /// The reason they gave.
    pub reason: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// One ledger row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteEvent {
    /// Who.
    pub user: String,
    /// Their name.
    pub user_name: String,
    /// Their ITIL roles then.
    pub roles: Roles,
    /// Which vote.
    pub vote: Vote,
    /// `add`, `remove`, `count` (the final count from the platform) or
    /// `command` (a vote given with `/release vote`).
    pub action: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Whether it counted.
    pub counted: bool,
    /// Why not.
    pub reason: Option<String>,
    /// The voter's own reason (`/release vote … reason:`).
    pub note: Option<String>,
}
