//! A CAB poll and its vote ledger, as records.

use crate::domain::roles::Roles;
use crate::domain::tally::{Outcome, PollRules, Vote};
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
    /// Closed, with how it ended.
    pub closed: Option<(DateTime<Utc>, PollClose)>,
    /// After an expiry, a change manager's decision.
    pub decision: Option<PollDecision>,
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
    /// What the row records.
    pub action: VoteAction,
    /// When.
    pub at: DateTime<Utc>,
    /// Whether it counted.
    pub counted: bool,
    /// Why not.
    pub reason: Option<String>,
    /// The voter's own reason (`/release vote … reason:`).
    pub note: Option<String>,
}

/// What a ledger row records; stored by its [`key`](VoteAction::key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteAction {
    /// A reaction added.
    Add,
    /// A reaction removed.
    Remove,
    /// A vote given with `/release vote`.
    Command,
    /// The final count from the platform (not a vote by itself).
    Count,
}

impl VoteAction {
    /// Every action, for round trips.
    pub const ALL: [VoteAction; 4] = [
        VoteAction::Add,
        VoteAction::Remove,
        VoteAction::Command,
        VoteAction::Count,
    ];

    /// The stored key.
    pub fn key(self) -> &'static str {
        match self {
            VoteAction::Add => "add",
            VoteAction::Remove => "remove",
            VoteAction::Command => "command",
            VoteAction::Count => "count",
        }
    }

    /// The action a stored key names.
    pub fn from_key(key: &str) -> Option<VoteAction> {
        VoteAction::ALL.into_iter().find(|a| a.key() == key)
    }
}

/// How a poll was closed; stored by its [`key`](PollClose::key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PollClose {
    /// The CAB approved.
    Approved,
    /// The CAB rejected.
    Rejected,
    /// The deadline passed without quorum.
    Expired,
    /// The release manager withdrew it.
    Recalled,
    /// The release was cancelled.
    Cancelled,
}

impl PollClose {
    /// Every way a poll closes, for round trips.
    pub const ALL: [PollClose; 5] = [
        PollClose::Approved,
        PollClose::Rejected,
        PollClose::Expired,
        PollClose::Recalled,
        PollClose::Cancelled,
    ];

    /// The stored key.
    pub fn key(self) -> &'static str {
        match self {
            PollClose::Approved => "approved",
            PollClose::Rejected => "rejected",
            PollClose::Expired => "expired",
            PollClose::Recalled => "recalled",
            PollClose::Cancelled => "cancelled",
        }
    }

    /// The close a stored key names.
    pub fn from_key(key: &str) -> Option<PollClose> {
        PollClose::ALL.into_iter().find(|c| c.key() == key)
    }
}

impl From<&Outcome> for PollClose {
    fn from(o: &Outcome) -> PollClose {
        match o {
            Outcome::Approved { .. } => PollClose::Approved,
            Outcome::Rejected { .. } => PollClose::Rejected,
            Outcome::Expired => PollClose::Expired,
        }
    }
}

/// A change manager's decision on a poll that expired; stored by its
/// [`key`](PollDecision::key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PollDecision {
    /// Approved: the release goes on to Preparing.
    Approved,
    /// Rejected: the release goes back to Planning.
    Rejected,
}

impl PollDecision {
    /// The decision for `approve`.
    pub fn of(approve: bool) -> PollDecision {
        if approve {
            PollDecision::Approved
        } else {
            PollDecision::Rejected
        }
    }

    /// The stored key.
    pub fn key(self) -> &'static str {
        match self {
            PollDecision::Approved => "approved",
            PollDecision::Rejected => "rejected",
        }
    }

    /// The decision a stored key names.
    pub fn from_key(key: &str) -> Option<PollDecision> {
        [PollDecision::Approved, PollDecision::Rejected]
            .into_iter()
            .find(|d| d.key() == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_close_and_decision_round_trips_through_its_key_and_nothing_else_decodes() {
        for c in PollClose::ALL {
            assert_eq!(PollClose::from_key(c.key()), Some(c));
        }
        let keys: std::collections::BTreeSet<&str> = PollClose::ALL.iter().map(|c| c.key()).collect();
        assert_eq!(keys.len(), PollClose::ALL.len());
        assert_eq!(PollClose::from_key("Approved"), None);
        assert_eq!(PollClose::from_key("open"), None);
        for d in [PollDecision::Approved, PollDecision::Rejected] {
            assert_eq!(PollDecision::from_key(d.key()), Some(d));
        }
        assert_eq!(PollDecision::of(true), PollDecision::Approved);
        assert_eq!(PollDecision::of(false), PollDecision::Rejected);
        assert_eq!(PollDecision::from_key("expired"), None);
    }

    #[test]
    fn every_action_round_trips_through_its_key_and_nothing_else_decodes() {
        for a in VoteAction::ALL {
            assert_eq!(VoteAction::from_key(a.key()), Some(a));
        }
        let keys: std::collections::BTreeSet<&str> = VoteAction::ALL.iter().map(|a| a.key()).collect();
        assert_eq!(keys.len(), VoteAction::ALL.len());
        assert_eq!(VoteAction::from_key("Add"), None);
        assert_eq!(VoteAction::from_key(""), None);
    }
}
