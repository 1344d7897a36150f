//! A deployment's steps and what recording one of them means.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a deployment ended; stored by its [`key`](DeployOutcome::key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployOutcome {
    /// Verified in its environment.
    Verified,
    /// Backed out.
    BackedOut,
}

impl DeployOutcome {
    /// The stored key (also the word the deployment summaries show).
    pub fn key(self) -> &'static str {
        match self {
            DeployOutcome::Verified => "verified",
            DeployOutcome::BackedOut => "backed-out",
        }
    }

    /// The outcome a stored key names.
    pub fn from_key(key: &str) -> Option<DeployOutcome> {
        [DeployOutcome::Verified, DeployOutcome::BackedOut]
            .into_iter()
            .find(|o| o.key() == key)
    }
}

/// What an emergency deployment started against; stored as JSON by the db edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Bypass {
    /// The calendar rules it bypassed (at least one).
    Rules {
        /// No release window served the environment.
        outside_window: bool,
        /// The freeze it started inside, if any.
        freeze: Option<String>,
    },
    /// A row stored before bypasses were facts: its sentence, shown as stored.
    #[serde(skip)]
    Stored(String),
}

impl Bypass {
    /// The stored form: the rules as JSON, an old sentence as it was.
    pub fn encode(&self) -> String {
        match self {
            Bypass::Stored(s) => s.clone(),
            rules => serde_json::to_string(rules).expect("a bypass serialises"),
        }
    }

    /// A stored bypass: the rules, or an old row's sentence as it was.
    pub fn decode(stored: &str) -> Bypass {
        serde_json::from_str(stored).unwrap_or_else(|_| Bypass::Stored(stored.to_string()))
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    /// Not done yet.
    Pending,
    /// Done.
    Done,
    /// Failed: the deployment is backed out.
    Failed,
}

/// One step of a deployment plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// What the step does.
    pub title: String,
    /// Where it stands.
    pub status: StepStatus,
    /// Who recorded it.
    #[serde(default)]
    pub by: Option<String>,
    /// When.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// A note.
    #[serde(default)]
    pub note: Option<String>,
}

impl Step {
    /// A step not done yet.
    pub fn pending(title: impl Into<String>) -> Step {
        Step {
            title: title.into(),
            status: StepStatus::Pending,
            by: None,
            at: None,
            note: None,
        }
    }
}

/// What recording a step leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// More steps to go.
    Progress,
    /// Every step is done: verify next.
    AllDone,
    /// The step failed: back out.
    Failed,
}

/// Why a step cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    /// No such step.
    NoSuchStep {
        /// The number given.
        n: u32,
        /// How many steps there are.
        of: usize,
    },
    /// The step was recorded already.
    AlreadyRecorded {
        /// The number.
        n: u32,
        /// Its status.
        status: StepStatus,
    },
    /// Steps are done in order.
    OutOfOrder {
        /// The number given.
        n: u32,
        /// The first step still pending.
        first_pending: u32,
    },
}

/// Records step `n` (from 1) as done or failed. Steps are done in order; a
/// failure may be recorded on any pending step.
pub fn record(
    steps: &mut [Step],
    n: u32,
    failed: bool,
    by: &str,
    at: DateTime<Utc>,
    note: Option<String>,
) -> Result<StepOutcome, StepError> {
    let idx = (n as usize)
        .checked_sub(1)
        .filter(|i| *i < steps.len())
        .ok_or(StepError::NoSuchStep { n, of: steps.len() })?;
    if steps[idx].status != StepStatus::Pending {
        return Err(StepError::AlreadyRecorded {
            n,
            status: steps[idx].status,
        });
    }
    if !failed {
        if let Some(first) = steps
            .iter()
            .position(|s| s.status == StepStatus::Pending)
            .filter(|p| *p < idx)
        {
            return Err(StepError::OutOfOrder {
                n,
                first_pending: first as u32 + 1,
            });
        }
    }
    let step = &mut steps[idx];
    step.status = if failed {
        StepStatus::Failed
    } else {
        StepStatus::Done
    };
    step.by = Some(by.to_string());
    step.at = Some(at);
    step.note = note;
    Ok(if failed {
        StepOutcome::Failed
    } else if steps.iter().all(|s| s.status == StepStatus::Done) {
        StepOutcome::AllDone
    } else {
        StepOutcome::Progress
    })
}

/// Steps done, out of all.
pub fn progress(steps: &[Step]) -> (usize, usize) {
    (
        steps.iter().filter(|s| s.status == StepStatus::Done).count(),
        steps.len(),
    )
}

/// A text progress bar: `[██████░░░░] 6/10`.
pub fn bar(steps: &[Step], width: usize) -> String {
    let (done, all) = progress(steps);
    let filled = (done * width).checked_div(all).unwrap_or(0);
    format!(
        "[{}{}] {done}/{all}",
        "█".repeat(filled),
        "░".repeat(width - filled)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bypass_round_trips_and_an_old_sentence_decodes_as_stored() {
        for b in [
            Bypass::Rules {
                outside_window: true,
                freeze: None,
            },
            Bypass::Rules {
                outside_window: false,
                freeze: Some("year-end".into()),
            },
        ] {
            assert!(b.encode().starts_with('{'), "{}", b.encode());
            assert_eq!(Bypass::decode(&b.encode()), b);
        }
        let old = "started outside any release window";
        assert_eq!(Bypass::decode(old), Bypass::Stored(old.into()));
        assert_eq!(Bypass::Stored(old.into()).encode(), old);
    }

    #[test]
    fn an_outcome_round_trips_through_its_key_and_nothing_else_decodes() {
        for o in [DeployOutcome::Verified, DeployOutcome::BackedOut] {
            assert_eq!(DeployOutcome::from_key(o.key()), Some(o));
        }
        assert_ne!(DeployOutcome::Verified.key(), DeployOutcome::BackedOut.key());
        assert_eq!(DeployOutcome::from_key("backed_out"), None);
        assert_eq!(DeployOutcome::from_key(""), None);
    }
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 22, 0, 0).unwrap()
    }

    fn three() -> Vec<Step> {
        vec![Step::pending("a"), Step::pending("b"), Step::pending("c")]
    }

    #[test]
    fn steps_go_in_order_to_all_done() {
        let mut s = three();
        assert_eq!(
            record(&mut s, 1, false, "d", at(), None),
            Ok(StepOutcome::Progress)
        );
        assert_eq!(
            record(&mut s, 3, false, "d", at(), None),
            Err(StepError::OutOfOrder {
                n: 3,
                first_pending: 2
            })
        );
        assert_eq!(
            record(&mut s, 2, false, "d", at(), None),
            Ok(StepOutcome::Progress)
        );
        assert_eq!(bar(&s, 9), "[██████░░░] 2/3");
        assert_eq!(
            record(&mut s, 3, false, "d", at(), Some("ok".into())),
            Ok(StepOutcome::AllDone)
        );
        assert_eq!(
            record(&mut s, 3, false, "d", at(), None),
            Err(StepError::AlreadyRecorded {
                n: 3,
                status: StepStatus::Done
            })
        );
        assert_eq!(s[2].note.as_deref(), Some("ok"));
    }

    #[test]
    fn a_failure_can_be_recorded_on_any_pending_step() {
        let mut s = three();
        assert_eq!(record(&mut s, 2, true, "d", at(), None), Ok(StepOutcome::Failed));
        assert_eq!(
            record(&mut s, 4, false, "d", at(), None),
            Err(StepError::NoSuchStep { n: 4, of: 3 })
        );
        assert_eq!(
            record(&mut s, 0, false, "d", at(), None),
            Err(StepError::NoSuchStep { n: 0, of: 3 })
        );
        assert_eq!(bar(&s, 10), "[░░░░░░░░░░] 0/3");
    }
}
