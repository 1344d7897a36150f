//! The records the process keeps, as plain data.

use super::ids::RecordId;
use super::release::Lifecycle;
use super::rfc::{RfcStatus, RfcType, Risk};
use chrono::{DateTime, Utc};

/// Who did something: a chat user with the ITIL roles they hold now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Platform user id (the name itself in the console).
    pub id: String,
    /// Display name.
    pub name: String,
    /// ITIL roles held.
    pub roles: super::roles::Roles,
}

/// A request for change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rfc {
    /// Database row id.
    pub row: i64,
    /// Public number (`RFC-n`).
    pub number: i64,
    /// Title.
    pub title: String,
    /// Change type.
    pub rfc_type: RfcType,
    /// Risk.
    pub risk: Risk,
    /// Impact.
    pub impact: String,
    /// Details.
    pub description: Option<String>,
    /// Requester's user id.
    pub requester: String,
    /// Requester's name.
    pub requester_name: String,
    /// Status.
    pub status: RfcStatus,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
}

impl Rfc {
    /// `RFC-n`.
    pub fn rid(&self) -> RecordId {
        RecordId::rfc(self.number)
    }
}

/// The release plan (activity 1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// What the release covers.
    pub scope: Option<String>,
    /// How to back it out.
    pub backout: Option<String>,
    /// Acceptance criteria.
    pub acceptance: Option<String>,
}

impl Plan {
    /// What must still be written before the CAB may see it.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        if self.backout.is_none() {
            m.push("back-out plan");
        }
        if self.acceptance.is_none() {
            m.push("acceptance criteria");
        }
        m
    }
}

/// A booking into a release window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    /// The window's name.
    pub window: String,
    /// Opening start.
    pub start: DateTime<Utc>,
    /// Opening end.
    pub end: DateTime<Utc>,
}

/// A release record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Database row id.
    pub row: i64,
    /// Public number (`REL-n`).
    pub number: i64,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// True when any RFC is an emergency: the ECAB decides.
    pub emergency: bool,
    /// The plan.
    pub plan: Plan,
    /// Target environments in order.
    pub environments: Vec<String>,
    /// State, revision and test runs.
    pub lifecycle: Lifecycle,
    /// The release manager who opened it.
    pub manager: String,
    /// Their name.
    pub manager_name: String,
    /// Who last submitted it to the CAB.
    pub submitter: Option<String>,
    /// Validation report (activity 3).
    pub validation: Option<String>,
    /// Training needs (activity 3).
    pub training: Option<String>,
    /// Builds recorded.
    pub builds: i64,
    /// The package baseline's content hash.
    pub baseline_hash: Option<String>,
    /// The booked window.
    pub booking: Option<Booking>,
    /// Handover to operations (activity 13).
    pub handover: Option<String>,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl Release {
    /// `REL-n`.
    pub fn rid(&self) -> RecordId {
        RecordId::release(self.number)
    }
}

/// A deployment of a release to one environment (one attempt; a re-plan after a back-out is a new one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// Database row id.
    pub row: i64,
    /// The release's row id.
    pub release_row: i64,
    /// The environment.
    pub env: String,
    /// 1 for the first plan, then one more per re-plan.
    pub attempt: i64,
    /// Deployment risks.
    pub risks: Option<String>,
    /// The ordered steps.
    pub steps: Vec<super::deployment::Step>,
    /// Who planned it.
    pub planned_by: String,
    /// When.
    pub planned_at: DateTime<Utc>,
    /// Who started it.
    pub started_by: Option<String>,
    /// When.
    pub started_at: Option<DateTime<Utc>>,
    /// When it was verified or backed out.
    pub finished_at: Option<DateTime<Utc>>,
    /// How it ended (None while planned or running).
    pub outcome: Option<crate::domain::deployment::DeployOutcome>,
    /// Verification notes, issues, back-out reason.
    pub notes: Option<String>,
    /// What an emergency deployment bypassed.
    pub bypass: Option<crate::domain::deployment::Bypass>,
    /// The live progress message.
    pub message_id: Option<i64>,
}

/// An incident attributed to a release in early life support.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// Database row id.
    pub row: i64,
    /// Public number (`INC-n`).
    pub number: i64,
    /// The release's row id.
    pub release_row: i64,
    /// The release's number.
    pub release_number: i64,
    /// The environment.
    pub env: String,
    /// 1 (highest) to 4.
    pub severity: u8,
    /// Defect type.
    pub defect: super::incident::DefectType,
    /// What happened.
    pub title: String,
    /// Who opened it.
    pub opened_by: String,
    /// When.
    pub opened_at: DateTime<Utc>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Effort spent, in hours.
    pub effort_hours: Option<f64>,
    /// Resolution notes.
    pub notes: Option<String>,
}

/// A known error with its workaround.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownError {
    /// Public number (`KE-n`).
    pub number: i64,
    /// The release's row id.
    pub release_row: i64,
    /// The error.
    pub description: String,
    /// The workaround.
    pub workaround: String,
    /// Who recorded it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}
