//! What happened to a release, as facts: handlers say which change it was,
//! `render` words it for the people told.

use super::ids::RecordId;
use super::release::CloseOutcome;
use semver::Version;

/// A change of a release that subscribers and the actor hear of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Happened {
    /// Submitted to the CAB for its vote.
    Submitted,
    /// Pre-approved as a standard change: these RFCs, all standard.
    PreApproved {
        /// The RFCs that made it standard.
        rfcs: Vec<RecordId>,
    },
    /// Preparation (validation, training) recorded.
    PreparationRecorded,
    /// A build of the baselined package recorded.
    BuildRecorded {
        /// Its number, counting from 1.
        number: i64,
    },
    /// A test run recorded.
    TestRun {
        /// Its number, counting from 1.
        run: i64,
        /// Whether it passed.
        passed: bool,
        /// What the tester noted.
        notes: Option<String>,
    },
    /// The change manager's decision.
    Authorized {
        /// Approved, or rejected at authorization.
        approved: bool,
        /// Why, when given.
        reason: Option<String>,
    },
    /// Cancelled before deployment.
    Cancelled {
        /// Why, when given.
        reason: Option<String>,
    },
    /// Closed with its outcome.
    Closed {
        /// The outcome.
        outcome: CloseOutcome,
        /// The reason for closing before early life support ended.
        early: Option<String>,
        /// The handover to operations.
        handover: String,
    },
    /// A deployment planned again after its back-out.
    Replanned,
    /// A deployment started.
    DeploymentStarted {
        /// Where.
        env: String,
        /// The channel its progress is shown in, when the reader is elsewhere.
        progress_in: Option<String>,
    },
    /// Every step of a deployment done.
    StepsDone {
        /// Where.
        env: String,
    },
    /// A step failed and the deployment was backed out.
    StepFailed {
        /// The step's number, counting from 1.
        step: u32,
        /// Where.
        env: String,
    },
    /// A deployment backed out.
    BackedOut {
        /// Where.
        env: String,
        /// Why, when the verification found issues.
        reason: Option<String>,
    },
    /// A deployment verified.
    Verified {
        /// Where.
        env: String,
    },
}

/// A change of a release's package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageChange {
    /// An item added.
    Added {
        /// The item.
        name: String,
        /// Its version.
        version: Version,
    },
    /// An item's version changed.
    Updated {
        /// The item.
        name: String,
        /// Its new version.
        version: Version,
    },
    /// An item removed.
    Removed {
        /// The item.
        name: String,
    },
}
