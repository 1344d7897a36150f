//! The typed command surface: every slash command as a [`Command`] value,
//! built from a checked [`parse::Invocation`] whatever platform it came from.

mod build;
pub mod parse;
mod paths;
mod reader;
pub mod spec;
mod workflow;

pub use paths::PATHS;
use reader::Reader;

pub use crate::domain::governance::Via;
use crate::domain::ids::RecordId;
use crate::domain::incident::DefectType;
use crate::domain::package::{Change, ItemKind, Requirement};
use crate::domain::rfc::{RfcStatus, RfcType, Risk};
use chrono::{DateTime, NaiveDate, Utc};
use semver::Version;

/// What `/subscribe` follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every release.
    All,
    /// One release.
    Release(RecordId),
}

/// Where `/release schedule` books the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleAt {
    /// The next free opening of the named window.
    Window(String),
    /// A given time inside an opening.
    At(DateTime<Utc>),
}

/// Every command, with its options typed.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum Command {
    RfcNew {
        title: String,
        rfc_type: RfcType,
        risk: Risk,
        impact: String,
        description: Option<String>,
    },
    RfcShow {
        id: RecordId,
    },
    RfcList {
        status: Option<RfcStatus>,
    },
    RfcWithdraw {
        id: RecordId,
        reason: Option<String>,
    },
    ReleaseNew {
        name: String,
        version: Version,
        rfcs: Vec<RecordId>,
        environments: Option<Vec<String>>,
    },
    ReleasePlan {
        id: RecordId,
        scope: Option<String>,
        backout: Option<String>,
        acceptance: Option<String>,
    },
    ReleaseSchedule {
        id: RecordId,
        at: ScheduleAt,
    },
    ReleaseSubmit {
        id: RecordId,
    },
    ReleasePrepare {
        id: RecordId,
        validation: String,
        training: Option<String>,
    },
    ReleaseBuild {
        id: RecordId,
        notes: Option<String>,
    },
    ReleaseTest {
        id: RecordId,
        passed: bool,
        notes: Option<String>,
    },
    ReleaseAuthorize {
        id: RecordId,
        approve: bool,
        reason: Option<String>,
    },
    ReleaseCancel {
        id: RecordId,
        reason: Option<String>,
    },
    ReleaseClose {
        id: RecordId,
        handover: String,
        early: Option<String>,
        outcome: crate::domain::release::CloseOutcome,
    },
    // Governance (helper D).
    ReleaseReview {
        id: RecordId,
        findings: String,
        actions: Option<String>,
    },
    ReleaseShow {
        id: RecordId,
    },
    ReleaseList {
        state: Option<String>,
    },
    ReleaseNotes {
        id: RecordId,
    },
    PackageAdd {
        release: RecordId,
        item: String,
        version: Version,
        kind: ItemKind,
        change: Change,
        requires: Vec<Requirement>,
    },
    PackageRemove {
        release: RecordId,
        item: String,
    },
    PackageBaseline {
        release: RecordId,
    },
    PackageShow {
        release: RecordId,
    },
    DeployPlan {
        release: RecordId,
        env: String,
        risks: Option<String>,
        steps: Option<Vec<String>>,
    },
    DeployStart {
        release: RecordId,
        env: String,
    },
    DeployStep {
        release: RecordId,
        env: String,
        step: u32,
        failed: bool,
        note: Option<String>,
    },
    DeployBackout {
        release: RecordId,
        env: String,
        reason: String,
    },
    DeployVerify {
        release: RecordId,
        env: String,
        confirmed: bool,
        notes: Option<String>,
    },
    DeployStatus {
        release: RecordId,
        env: Option<String>,
    },
    IncidentNew {
        release: RecordId,
        severity: u8,
        defect: DefectType,
        title: String,
        env: Option<String>,
    },
    IncidentResolve {
        id: RecordId,
        effort: f64,
        notes: Option<String>,
    },
    IncidentList {
        release: Option<RecordId>,
    },
    KnownErrorAdd {
        release: RecordId,
        description: String,
        workaround: String,
    },
    AuditRecord {
        release: RecordId,
        env: String,
        found: Vec<(String, Version)>,
    },
    CalendarShow {
        days: u32,
    },
    CalendarFreeze {
        name: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        reason: Option<String>,
    },
    CalendarIcs {
        days: u32,
    },
    Subscribe {
        target: Target,
        via: Via,
    },
    Unsubscribe {
        target: Target,
        via: Via,
    },
    ReportMetrics {
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    },
    ReportRelease {
        id: RecordId,
    },
    // The CAB workflow (src/command/workflow.rs parses these).
    RfcEdit {
        id: RecordId,
        title: Option<String>,
        risk: Option<Risk>,
        impact: Option<String>,
        description: Option<String>,
    },
    ReleaseEdit {
        id: RecordId,
        name: Option<String>,
        version: Option<Version>,
        rfcs: Option<Vec<RecordId>>,
        environments: Option<Vec<String>>,
    },
    ReleaseUnschedule {
        id: RecordId,
    },
    ReleaseVote {
        id: RecordId,
        vote: crate::domain::tally::Vote,
        reason: Option<String>,
    },
    ReleaseRecall {
        id: RecordId,
        reason: Option<String>,
    },
    ReleaseDecide {
        id: RecordId,
        approve: bool,
        reason: String,
    },
    CalendarUnfreeze {
        name: String,
        reason: Option<String>,
    },
    AuditLog {
        id: RecordId,
        limit: u32,
    },
}

#[cfg(test)]
mod tests;
