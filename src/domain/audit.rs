//! What an audit entry's before and after hold: facts, worded by `render`.

use crate::domain::deployment::Bypass;
use crate::domain::governance::Via;
use crate::domain::poll::{PollClose, PollDecision};
use crate::domain::tally::{Rule, Vote};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One audit entry: who changed what, when, from what to what.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (user id).
    pub actor: String,
    /// Their name.
    pub actor_name: String,
    /// The record (`REL-1`).
    pub record: String,
    /// What was done (`release.submit`).
    pub action: String,
    /// Before.
    pub before: Option<AuditValue>,
    /// After.
    pub after: Option<AuditValue>,
}

/// A before or after value of an audit entry.
#[derive(Debug, Clone, PartialEq)]
pub enum AuditValue {
    /// A fact with its parameters.
    Fact(Fact),
    /// A bare value (a state, a count, a key), or an old row's sentence, shown as stored.
    Text(String),
}

impl From<Fact> for AuditValue {
    fn from(f: Fact) -> AuditValue {
        AuditValue::Fact(f)
    }
}

impl From<String> for AuditValue {
    fn from(s: String) -> AuditValue {
        AuditValue::Text(s)
    }
}

impl From<&str> for AuditValue {
    fn from(s: &str) -> AuditValue {
        AuditValue::Text(s.to_string())
    }
}

impl AuditValue {
    /// The stored form: a fact as JSON, text as it is.
    pub fn encode(&self) -> String {
        match self {
            AuditValue::Fact(f) => serde_json::to_string(f).expect("a fact serialises"),
            AuditValue::Text(s) => s.clone(),
        }
    }

    /// A stored value: a fact if it is one, otherwise the text as stored
    /// (rows written before facts were stored hold sentences).
    pub fn decode(stored: String) -> AuditValue {
        if stored.starts_with("{\"fact\":") {
            if let Ok(f) = serde_json::from_str(&stored) {
                return AuditValue::Fact(f);
            }
        }
        AuditValue::Text(stored)
    }
}

/// What an audited change did, with its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "kebab-case")]
pub enum Fact {
    /// A release window booking.
    Booking {
        /// The window.
        window: String,
        /// When its opening starts.
        start: DateTime<Utc>,
    },
    /// A freeze's period.
    Freeze {
        /// From.
        from: DateTime<Utc>,
        /// To.
        to: DateTime<Utc>,
        /// Why.
        reason: Option<String>,
    },
    /// A freeze lifted.
    Lifted {
        /// Why.
        reason: Option<String>,
    },
    /// A configuration audit's result.
    ConfigAudit {
        /// The environment.
        env: String,
        /// Discrepancies found.
        defects: usize,
    },
    /// A deployment's back-out reason.
    BackedOut {
        /// The environment.
        env: String,
        /// Why.
        reason: String,
    },
    /// A verification that found issues.
    Issues {
        /// The environment.
        env: String,
        /// What was found.
        issues: String,
    },
    /// A verification that confirmed the deployment.
    Confirmed {
        /// The environment.
        env: String,
        /// Notes.
        notes: Option<String>,
    },
    /// A deployment planned.
    DeployPlanned {
        /// The environment.
        env: String,
        /// Which attempt.
        attempt: i64,
        /// How many steps.
        steps: usize,
    },
    /// A deployment started.
    DeployStarted {
        /// The environment.
        env: String,
        /// Which attempt.
        attempt: i64,
        /// What an emergency bypassed.
        bypass: Option<Bypass>,
    },
    /// A deployment step recorded.
    DeployStep {
        /// The environment.
        env: String,
        /// The step's number (from 1).
        step: u32,
        /// Failed rather than done.
        failed: bool,
        /// Note.
        note: Option<String>,
    },
    /// An RFC's status, with the release it belongs to.
    StatusIn {
        /// The status.
        status: String,
        /// The release (`REL-1`).
        release: String,
    },
    /// An answer to a deployment gate.
    GateAnswer {
        /// Who answered.
        by: String,
        /// The environment.
        env: String,
        /// The git ref asked about.
        git_ref: String,
        /// Their comment.
        comment: String,
    },
    /// An incident opened.
    IncidentOpened {
        /// The release (`REL-1`).
        release: String,
        /// Severity 1–4.
        severity: u8,
        /// Defect type.
        defect: String,
        /// Title.
        title: String,
    },
    /// An incident resolved.
    Resolved {
        /// Effort in hours.
        effort: f64,
        /// Notes.
        notes: Option<String>,
    },
    /// A known error recorded.
    KnownError {
        /// The release (`REL-1`).
        release: String,
        /// The error.
        description: String,
        /// Its workaround.
        workaround: String,
    },
    /// A package baselined.
    Baseline {
        /// The hash (hex).
        hash: String,
        /// Items in the package.
        items: usize,
    },
    /// A poll opened.
    PollOpened {
        /// ECAB rather than CAB.
        emergency: bool,
        /// Majority or unanimous.
        rule: Rule,
        /// Votes needed.
        quorum: u32,
        /// Closes.
        deadline: DateTime<Utc>,
    },
    /// A poll closed by its count.
    PollClosed {
        /// How.
        close: PollClose,
        /// Approvals counted.
        approve: usize,
        /// Rejections counted.
        reject: usize,
        /// Abstentions counted.
        abstain: usize,
        /// Votes ignored.
        ignored: usize,
    },
    /// A poll recalled.
    Recalled {
        /// Why.
        reason: Option<String>,
    },
    /// An expired poll decided.
    Decided {
        /// The decision.
        decision: PollDecision,
        /// Why.
        reason: String,
    },
    /// A vote given by command.
    Voted {
        /// Which.
        vote: Vote,
        /// The voter's reason.
        reason: Option<String>,
        /// Why it does not count (an ignore key).
        not_counted: Option<String>,
    },
    /// Preparation recorded.
    Preparation {
        /// Validation.
        validation: String,
        /// Training.
        training: Option<String>,
    },
    /// A build recorded.
    Build {
        /// The build's number.
        number: i64,
        /// Notes.
        notes: Option<String>,
    },
    /// An RFC withdrawn.
    Withdrawn {
        /// Why.
        reason: Option<String>,
    },
    /// A subscription.
    Subscription {
        /// What to (as shown).
        to: String,
        /// How.
        via: Via,
    },
}

impl Fact {
    /// A booking of `window`'s opening at `start`.
    pub fn booking(window: &str, start: DateTime<Utc>) -> Fact {
        Fact::Booking {
            window: window.to_string(),
            start,
        }
    }

    /// A freeze from `from` to `to`, and why.
    pub fn freeze(from: DateTime<Utc>, to: DateTime<Utc>, reason: Option<String>) -> Fact {
        Fact::Freeze { from, to, reason }
    }

    /// An RFC's `status` within `release`.
    pub fn status_in(status: impl ToString, release: impl ToString) -> Fact {
        Fact::StatusIn {
            status: status.to_string(),
            release: release.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_fact_round_trips_and_text_or_an_old_sentence_decodes_as_stored() {
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap();
        for f in [
            Fact::Booking {
                window: "daily".into(),
                start: at,
            },
            Fact::PollClosed {
                close: PollClose::Expired,
                approve: 1,
                reject: 0,
                abstain: 2,
                ignored: 0,
            },
            Fact::DeployStarted {
                env: "prod".into(),
                attempt: 2,
                bypass: Some(Bypass::Rules {
                    outside_window: true,
                    freeze: Some("year-end".into()),
                }),
            },
            Fact::Resolved {
                effort: 1.5,
                notes: None,
            },
        ] {
            let v = AuditValue::from(f);
            assert_eq!(AuditValue::decode(v.encode()), v);
        }
        for old in [
            "open",
            "3",
            "daily 2026-03-02T09:30:00.000Z",
            "{\"fact\":\"no-such\"}",
            "{not json",
        ] {
            assert_eq!(AuditValue::decode(old.into()), AuditValue::Text(old.into()));
        }
    }
}
