//! The release lifecycle of the seed's 14 activities, as a state machine.

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

/// Where a release stands; each variant carries what only that state has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseState {
    /// Being planned (activity 1); also where a revision starts after the CAB.
    Planning,
    /// Submitted; a CAB or ECAB poll is open (activity 2).
    PlanReview,
    /// Approved by the CAB; validation and training being prepared (activity 3).
    Preparing,
    /// The package is being baselined and built (activity 4).
    Building,
    /// A build is under test (activities 5–6).
    Testing,
    /// Tested; waiting for the change manager (activity 7).
    AwaitingAuthorization,
    /// Planning the deployment to `env` (activity 8).
    DeploymentPlanning {
        /// The target environment.
        env: String,
    },
    /// Deploying to `env` (activity 9).
    Deploying {
        /// The target environment.
        env: String,
    },
    /// All steps done in `env`; being verified (activity 11).
    Verifying {
        /// The target environment.
        env: String,
    },
    /// The deployment to `env` failed or was backed out (activity 10).
    BackedOut {
        /// The environment backed out of.
        env: String,
    },
    /// Deployed to the last environment; supported until `until` (activity 12).
    EarlyLifeSupport {
        /// When early life support ends.
        until: DateTime<Utc>,
    },
    /// Finished (activity 13), or rejected, or cancelled.
    Closed(Closure),
}

/// Every state key, as `/release list state:` accepts them.
pub const STATE_KEYS: [&str; 12] = [
    "planning",
    "plan-review",
    "preparing",
    "building",
    "testing",
    "awaiting-authorization",
    "deployment-planning",
    "deploying",
    "verifying",
    "backed-out",
    "early-life-support",
    "closed",
];

impl ReleaseState {
    /// The stable key stored in the database and used by filters.
    pub fn key(&self) -> &'static str {
        match self {
            ReleaseState::Planning => "planning",
            ReleaseState::PlanReview => "plan-review",
            ReleaseState::Preparing => "preparing",
            ReleaseState::Building => "building",
            ReleaseState::Testing => "testing",
            ReleaseState::AwaitingAuthorization => "awaiting-authorization",
            ReleaseState::DeploymentPlanning { .. } => "deployment-planning",
            ReleaseState::Deploying { .. } => "deploying",
            ReleaseState::Verifying { .. } => "verifying",
            ReleaseState::BackedOut { .. } => "backed-out",
            ReleaseState::EarlyLifeSupport { .. } => "early-life-support",
            ReleaseState::Closed(_) => "closed",
        }
    }

    /// The environment a deployment state is about.
    pub fn env(&self) -> Option<&str> {
        match self {
            ReleaseState::DeploymentPlanning { env }
            | ReleaseState::Deploying { env }
            | ReleaseState::Verifying { env }
            | ReleaseState::BackedOut { env } => Some(env),
            _ => None,
        }
    }

    /// The closure, for closed releases.
    pub fn closure(&self) -> Option<Closure> {
        match self {
            ReleaseState::Closed(c) => Some(*c),
            _ => None,
        }
    }

    /// Rebuilds a stored state; anything unexpected is an error, never a guess.
    pub fn decode(
        key: &str,
        env: Option<&str>,
        until: Option<DateTime<Utc>>,
        closure: Option<&str>,
    ) -> Result<Self, String> {
        let need_env = || {
            env.map(str::to_string)
                .ok_or_else(|| format!("state {key} without an environment"))
        };
        Ok(match key {
            "planning" => ReleaseState::Planning,
            "plan-review" => ReleaseState::PlanReview,
            "preparing" => ReleaseState::Preparing,
            "building" => ReleaseState::Building,
            "testing" => ReleaseState::Testing,
            "awaiting-authorization" => ReleaseState::AwaitingAuthorization,
            "deployment-planning" => ReleaseState::DeploymentPlanning { env: need_env()? },
            "deploying" => ReleaseState::Deploying { env: need_env()? },
            "verifying" => ReleaseState::Verifying { env: need_env()? },
            "backed-out" => ReleaseState::BackedOut { env: need_env()? },
            "early-life-support" => ReleaseState::EarlyLifeSupport {
                until: until.ok_or("early-life-support without an end")?,
            },
            "closed" => ReleaseState::Closed(match closure {
                Some("completed") => Closure::Completed,
                Some("rejected") => Closure::Rejected,
                Some("cancelled") => Closure::Cancelled,
                Some("unsuccessful") => Closure::Unsuccessful,
                other => return Err(format!("closed with unknown closure {other:?}")),
            }),
            other => return Err(format!("unknown release state {other:?}")),
        })
    }

    /// The closure's stored text.
    pub fn closure_key(&self) -> Option<&'static str> {
        self.closure().map(|c| match c {
            Closure::Completed => "completed",
            Closure::Rejected => "rejected",
            Closure::Cancelled => "cancelled",
            Closure::Unsuccessful => "unsuccessful",
        })
    }

    /// The commands that fit this state, for refusals and `/release show`.
    pub fn next_commands(&self) -> Vec<&'static str> {
        match self {
            ReleaseState::Planning => vec![
                "/release plan",
                "/release schedule",
                "/release submit",
                "/release cancel",
            ],
            ReleaseState::PlanReview => vec!["/release vote", "/release recall", "/release cancel"],
            ReleaseState::Preparing => vec!["/release prepare", "/release cancel"],
            ReleaseState::Building => vec![
                "/package add",
                "/package baseline",
                "/release build",
                "/release cancel",
            ],
            ReleaseState::Testing => vec!["/release test", "/release cancel"],
            ReleaseState::AwaitingAuthorization => vec!["/release authorize", "/release cancel"],
            ReleaseState::DeploymentPlanning { .. } => {
                vec!["/deploy plan", "/deploy start", "/release cancel"]
            }
            ReleaseState::Deploying { .. } => vec!["/deploy step", "/deploy backout"],
            ReleaseState::Verifying { .. } => vec!["/deploy verify", "/deploy backout"],
            ReleaseState::BackedOut { .. } => vec![
                "/deploy plan",
                "/release review",
                "/release close outcome:unsuccessful",
                "/release cancel",
            ],
            ReleaseState::EarlyLifeSupport { .. } => vec![
                "/incident new",
                "/known-error add",
                "/deploy backout",
                "/release review",
                "/release close",
            ],
            ReleaseState::Closed(_) => vec![],
        }
    }

    /// Whether the change manager has authorized deployment (and nothing has closed it since).
    pub fn is_authorized(&self) -> bool {
        matches!(
            self,
            ReleaseState::DeploymentPlanning { .. }
                | ReleaseState::Deploying { .. }
                | ReleaseState::Verifying { .. }
                | ReleaseState::BackedOut { .. }
                | ReleaseState::EarlyLifeSupport { .. }
                | ReleaseState::Closed(Closure::Completed)
        )
    }

    /// Whether deployment to `last_env` (the production environment) has at
    /// least started: a booked window closing later than this is not missed.
    pub fn reached(&self, last_env: &str) -> bool {
        match self {
            ReleaseState::Deploying { env } | ReleaseState::Verifying { env } => {
                env.eq_ignore_ascii_case(last_env)
            }
            ReleaseState::EarlyLifeSupport { .. } | ReleaseState::Closed(Closure::Completed) => true,
            _ => false,
        }
    }

    /// Whether the release may still be rescheduled.
    pub fn can_schedule(&self) -> bool {
        !matches!(
            self,
            ReleaseState::Deploying { .. }
                | ReleaseState::Verifying { .. }
                | ReleaseState::EarlyLifeSupport { .. }
                | ReleaseState::Closed(_)
        )
    }
}

impl fmt::Display for ReleaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReleaseState::Planning => f.write_str("Planning"),
            ReleaseState::PlanReview => f.write_str("Plan review"),
            ReleaseState::Preparing => f.write_str("Preparing"),
            ReleaseState::Building => f.write_str("Building"),
            ReleaseState::Testing => f.write_str("Testing"),
            ReleaseState::AwaitingAuthorization => f.write_str("Awaiting authorization"),
            ReleaseState::DeploymentPlanning { env } => write!(f, "Deployment planning ({env})"),
            ReleaseState::Deploying { env } => write!(f, "Deploying ({env})"),
            ReleaseState::Verifying { env } => write!(f, "Verifying ({env})"),
            ReleaseState::BackedOut { env } => write!(f, "Backed out ({env})"),
            ReleaseState::EarlyLifeSupport { .. } => f.write_str("Early life support"),
            ReleaseState::Closed(Closure::Completed) => f.write_str("Closed (completed)"),
            ReleaseState::Closed(Closure::Rejected) => f.write_str("Closed (rejected)"),
            ReleaseState::Closed(Closure::Cancelled) => f.write_str("Closed (cancelled)"),
            ReleaseState::Closed(Closure::Unsuccessful) => f.write_str("Closed (unsuccessful)"),
        }
    }
}

/// Something that may move a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `/release plan`: the plan changes (no state change).
    UpdatePlan,
    /// `/release submit`: the plan goes to the CAB.
    Submit,
    /// The CAB approved.
    CabApproved,
    /// The CAB rejected: revise the plan.
    CabRejected,
    /// The poll closed without quorum: revise the plan.
    CabExpired,
    /// `/release edit`: name, version, RFCs or environments change (no state change).
    Edit,
    /// `/release recall`: the release manager withdraws the open poll.
    Recall,
    /// `/release decide`: a change manager decides a poll that expired without quorum.
    Decide {
        /// Approve (→ Preparing) or reject (stays in Planning).
        approved: bool,
    },
    /// `/release prepare`.
    Prepare,
    /// `/release build`.
    Build,
    /// `/release test`.
    Test {
        /// Whether the run passed.
        passed: bool,
    },
    /// `/release authorize`.
    Authorize {
        /// Approve or reject.
        approved: bool,
    },
    /// `/release cancel`.
    Cancel,
    /// `/deploy plan`.
    PlanDeployment {
        /// The environment.
        env: String,
    },
    /// `/deploy start`.
    StartDeployment {
        /// The environment.
        env: String,
    },
    /// The last deployment step was done.
    StepsDone {
        /// The environment.
        env: String,
    },
    /// `/deploy backout`, or a failed step.
    BackOut {
        /// The environment.
        env: String,
    },
    /// `/deploy verify`.
    Verify {
        /// The environment.
        env: String,
        /// Confirmed, or issues found.
        confirmed: bool,
    },
    /// `/release close`.
    Close {
        /// Closing before early life support ends (with a reason).
        early: bool,
        /// What the close records about the change.
        outcome: CloseOutcome,
    },
    // Governance (helper D): standard changes and reviews.
    /// `/release submit` of a release whose RFCs are all standard: pre-approved, no CAB.
    PreApprove,
    /// `/release review`: a post-implementation review (no state change).
    Review,
}

impl Event {
    /// The command users type for this event (automatic events name the process step).
    pub fn command(&self) -> &'static str {
        match self {
            Event::UpdatePlan => "/release plan",
            Event::Submit => "/release submit",
            Event::CabApproved | Event::CabRejected | Event::CabExpired => "the CAB decision",
            Event::Edit => "/release edit",
            Event::Recall => "/release recall",
            Event::Decide { .. } => "/release decide",
            Event::Prepare => "/release prepare",
            Event::Build => "/release build",
            Event::Test { .. } => "/release test",
            Event::Authorize { .. } => "/release authorize",
            Event::Cancel => "/release cancel",
            Event::PlanDeployment { .. } => "/deploy plan",
            Event::StartDeployment { .. } => "/deploy start",
            Event::StepsDone { .. } => "/deploy step",
            Event::BackOut { .. } => "/deploy backout",
            Event::Verify { .. } => "/deploy verify",
            Event::Close { .. } => "/release close",
            Event::PreApprove => "/release submit",
            Event::Review => "/release review",
        }
    }
}

/// What the lifecycle tracks besides the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    /// The current state.
    pub state: ReleaseState,
    /// Plan revision, from 1; grows when a plan a poll has seen changes
    /// (see [`crate::domain::workflow::revision_after_change`]).
    pub revision: i64,
    /// Test runs recorded; only grows.
    pub test_runs: i64,
}

/// Facts about the release that some transitions depend on.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// Target environments, in order.
    pub environments: &'a [String],
    /// Parts of the plan still missing (`back-out plan`, `acceptance criteria`).
    pub missing_plan: Vec<&'static str>,
    /// Whether the package has a baseline.
    pub baselined: bool,
    /// Whether the deployment to the state's environment has a plan.
    pub deployment_planned: bool,
    /// Now.
    pub now: DateTime<Utc>,
    /// How long early life support lasts.
    pub els: Duration,
    /// Whether the release is an emergency (closing needs a review).
    pub emergency: bool,
    /// Whether a post-implementation review has been recorded.
    pub reviewed: bool,
    /// Open incidents at the blocking severity or worse (their ids), which block a close.
    pub blocking_incidents: Vec<String>,
}

/// Why a lifecycle event was refused. Nothing changes on a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The event does not fit the state.
    NotNow {
        /// The state the release is in.
        state: ReleaseState,
        /// What was attempted.
        attempted: &'static str,
    },
    /// Submission needs a complete plan.
    PlanIncomplete {
        /// What is missing.
        missing: Vec<&'static str>,
    },
    /// A build needs a baselined package.
    NoBaseline,
    /// A deployment needs a plan first.
    DeploymentNotPlanned {
        /// The environment.
        env: String,
    },
    /// The command names another environment than the one the release is at.
    WrongEnvironment {
        /// What was asked.
        asked: String,
        /// Where the release stands.
        current: String,
    },
    /// Early life support has not ended.
    ElsNotOver {
        /// When it ends.
        until: DateTime<Utc>,
    },
    /// Open incidents at the blocking severity or worse: the service is not fit to hand over.
    IncidentsOpen {
        /// Their ids.
        incidents: Vec<String>,
    },
    /// An emergency release, or one closed as unsuccessful, needs a review first.
    ReviewNeeded {
        /// Because it is an emergency (else: because the outcome is unsuccessful).
        emergency: bool,
    },
    /// A backed-out release can only be closed as unsuccessful.
    BackedOutNotSuccessful {
        /// The environment backed out of.
        env: String,
    },
}

/// Applies one lifecycle event, or says why not.
pub fn transition(current: &Lifecycle, event: &Event, facts: &Facts) -> Result<Lifecycle, Refusal> {
    use ReleaseState as S;
    let not_now = || Refusal::NotNow {
        state: current.state.clone(),
        attempted: event.command(),
    };
    let same_env = |env: &str, at: &str| {
        if env.eq_ignore_ascii_case(at) {
            Ok(())
        } else {
            Err(Refusal::WrongEnvironment {
                asked: env.to_string(),
                current: at.to_string(),
            })
        }
    };
    let mut next = current.clone();
    next.state = match (&current.state, event) {
        (S::Closed(_), _) => return Err(not_now()),
        (S::Planning, Event::UpdatePlan) => S::Planning,
        (S::Planning, Event::Submit) => {
            if !facts.missing_plan.is_empty() {
                return Err(Refusal::PlanIncomplete {
                    missing: facts.missing_plan.clone(),
                });
            }
            S::PlanReview
        }
        (S::PlanReview, Event::CabApproved) => S::Preparing,
        // The revision stays: a rejected plan must change before it goes
        // again, and that change starts the next revision.
        (S::PlanReview, Event::CabRejected | Event::CabExpired | Event::Recall) => S::Planning,
        (S::Planning, Event::Edit) => S::Planning,
        (S::Planning, Event::Decide { approved: true }) => S::Preparing,
        (S::Planning, Event::Decide { approved: false }) => S::Planning,
        (S::Preparing, Event::Prepare) => S::Building,
        (S::Building, Event::Build) => {
            if !facts.baselined {
                return Err(Refusal::NoBaseline);
            }
            S::Testing
        }
        (S::Testing, Event::Test { passed }) => {
            next.test_runs += 1;
            if *passed {
                S::AwaitingAuthorization
            } else {
                S::Building
            }
        }
        (S::AwaitingAuthorization, Event::Authorize { approved: true }) => match facts.environments.first() {
            Some(env) => S::DeploymentPlanning { env: env.clone() },
            None => return Err(not_now()),
        },
        (S::AwaitingAuthorization, Event::Authorize { approved: false }) => S::Closed(Closure::Rejected),
        (
            S::Planning
            | S::PlanReview
            | S::Preparing
            | S::Building
            | S::Testing
            | S::AwaitingAuthorization
            | S::DeploymentPlanning { .. }
            | S::BackedOut { .. },
            Event::Cancel,
        ) => S::Closed(Closure::Cancelled),
        (S::DeploymentPlanning { env: at } | S::BackedOut { env: at }, Event::PlanDeployment { env }) => {
            same_env(env, at)?;
            S::DeploymentPlanning { env: at.clone() }
        }
        (S::DeploymentPlanning { env: at }, Event::StartDeployment { env }) => {
            same_env(env, at)?;
            if !facts.deployment_planned {
                return Err(Refusal::DeploymentNotPlanned { env: at.clone() });
            }
            S::Deploying { env: at.clone() }
        }
        (S::Deploying { env: at }, Event::StepsDone { env }) => {
            same_env(env, at)?;
            S::Verifying { env: at.clone() }
        }
        (S::Deploying { env: at } | S::Verifying { env: at }, Event::BackOut { env }) => {
            same_env(env, at)?;
            S::BackedOut { env: at.clone() }
        }
        (S::Verifying { env: at }, Event::Verify { env, confirmed }) => {
            same_env(env, at)?;
            if !confirmed {
                // Issues found: the deployment is backed out (PRODUCT §2).
                S::BackedOut { env: at.clone() }
            } else {
                let pos = facts.environments.iter().position(|e| e.eq_ignore_ascii_case(at));
                match pos.and_then(|i| facts.environments.get(i + 1)) {
                    Some(next_env) => S::DeploymentPlanning {
                        env: next_env.clone(),
                    },
                    None => S::EarlyLifeSupport {
                        until: facts.now + facts.els,
                    },
                }
            }
        }
        (S::Planning, Event::PreApprove) => {
            if !facts.missing_plan.is_empty() {
                return Err(Refusal::PlanIncomplete {
                    missing: facts.missing_plan.clone(),
                });
            }
            S::Preparing
        }
        (S::EarlyLifeSupport { .. }, Event::BackOut { env }) => {
            // Early life support follows the last environment only: that is the one to back out.
            let last = facts.environments.last().cloned().unwrap_or_default();
            same_env(env, &last)?;
            S::BackedOut { env: last }
        }
        (S::EarlyLifeSupport { .. } | S::BackedOut { .. }, Event::Review) => current.state.clone(),
        (S::EarlyLifeSupport { until }, Event::Close { early, outcome }) => {
            close_checks(facts, *outcome)?;
            if facts.now < *until && !early {
                return Err(Refusal::ElsNotOver { until: *until });
            }
            closed(*outcome)
        }
        (S::BackedOut { env }, Event::Close { outcome, .. }) => {
            if *outcome != CloseOutcome::Unsuccessful {
                return Err(Refusal::BackedOutNotSuccessful { env: env.clone() });
            }
            close_checks(facts, *outcome)?;
            closed(*outcome)
        }
        _ => return Err(not_now()),
    };
    Ok(next)
}

/// What every close checks first: the service (no blocking incident open),
/// then the review an emergency or an unsuccessful change needs.
fn close_checks(facts: &Facts, outcome: CloseOutcome) -> Result<(), Refusal> {
    if !facts.blocking_incidents.is_empty() {
        return Err(Refusal::IncidentsOpen {
            incidents: facts.blocking_incidents.clone(),
        });
    }
    if !facts.reviewed && (facts.emergency || outcome == CloseOutcome::Unsuccessful) {
        return Err(Refusal::ReviewNeeded {
            emergency: facts.emergency,
        });
    }
    Ok(())
}

fn closed(outcome: CloseOutcome) -> ReleaseState {
    ReleaseState::Closed(match outcome {
        CloseOutcome::Unsuccessful => Closure::Unsuccessful,
        _ => Closure::Completed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn envs() -> Vec<String> {
        vec!["staging".into(), "prod".into()]
    }

    fn facts(envs: &[String]) -> Facts<'_> {
        Facts {
            environments: envs,
            missing_plan: vec![],
            baselined: true,
            deployment_planned: true,
            now: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
            els: Duration::days(14),
            emergency: false,
            reviewed: false,
            blocking_incidents: vec![],
        }
    }

    fn at(state: ReleaseState) -> Lifecycle {
        Lifecycle {
            state,
            revision: 1,
            test_runs: 0,
        }
    }

    fn step(l: &Lifecycle, e: Event, f: &Facts) -> Lifecycle {
        transition(l, &e, f).unwrap_or_else(|r| panic!("{e:?} from {:?} refused: {r:?}", l.state))
    }

    #[test]
    fn the_whole_happy_path_across_two_environments() {
        let envs = envs();
        let f = facts(&envs);
        let mut l = at(ReleaseState::Planning);
        l = step(&l, Event::UpdatePlan, &f);
        l = step(&l, Event::Submit, &f);
        assert_eq!(l.state, ReleaseState::PlanReview);
        l = step(&l, Event::CabApproved, &f);
        assert_eq!(l.state, ReleaseState::Preparing);
        l = step(&l, Event::Prepare, &f);
        assert_eq!(l.state, ReleaseState::Building);
        l = step(&l, Event::Build, &f);
        assert_eq!(l.state, ReleaseState::Testing);
        l = step(&l, Event::Test { passed: true }, &f);
        assert_eq!(
            (l.state.clone(), l.test_runs),
            (ReleaseState::AwaitingAuthorization, 1)
        );
        l = step(&l, Event::Authorize { approved: true }, &f);
        assert_eq!(
            l.state,
            ReleaseState::DeploymentPlanning {
                env: "staging".into()
            }
        );
        for env in ["staging", "prod"] {
            l = step(&l, Event::PlanDeployment { env: env.into() }, &f);
            l = step(&l, Event::StartDeployment { env: env.into() }, &f);
            assert_eq!(l.state, ReleaseState::Deploying { env: env.into() });
            l = step(&l, Event::StepsDone { env: env.into() }, &f);
            assert_eq!(l.state, ReleaseState::Verifying { env: env.into() });
            l = step(
                &l,
                Event::Verify {
                    env: env.into(),
                    confirmed: true,
                },
                &f,
            );
        }
        assert_eq!(
            l.state,
            ReleaseState::EarlyLifeSupport {
                until: f.now + Duration::days(14)
            }
        );
        let later = Facts {
            now: f.now + Duration::days(14),
            ..f.clone()
        };
        l = step(
            &l,
            Event::Close {
                early: false,
                outcome: CloseOutcome::Successful,
            },
            &later,
        );
        assert_eq!(l.state, ReleaseState::Closed(Closure::Completed));
    }

    #[test]
    fn cab_rejection_expiry_and_recall_return_to_planning_at_the_same_revision() {
        let envs = envs();
        let f = facts(&envs);
        for e in [Event::CabRejected, Event::CabExpired, Event::Recall] {
            let l = step(&at(ReleaseState::PlanReview), e, &f);
            assert_eq!((l.state, l.revision), (ReleaseState::Planning, 1));
        }
    }

    #[test]
    fn a_change_managers_decision_moves_a_planning_release() {
        let envs = envs();
        let f = facts(&envs);
        let l = step(&at(ReleaseState::Planning), Event::Decide { approved: true }, &f);
        assert_eq!(l.state, ReleaseState::Preparing);
        let l = step(&at(ReleaseState::Planning), Event::Decide { approved: false }, &f);
        assert_eq!(l.state, ReleaseState::Planning);
        let l = step(&at(ReleaseState::Planning), Event::Edit, &f);
        assert_eq!(l.state, ReleaseState::Planning);
        for e in [Event::Edit, Event::Recall, Event::Decide { approved: true }] {
            assert!(transition(&at(ReleaseState::Preparing), &e, &f).is_err(), "{e:?}");
        }
        assert!(transition(&at(ReleaseState::Planning), &Event::Recall, &f).is_err());
    }

    #[test]
    fn failed_tests_loop_back_to_building_and_are_counted() {
        let envs = envs();
        let f = facts(&envs);
        let mut l = at(ReleaseState::Testing);
        l = step(&l, Event::Test { passed: false }, &f);
        assert_eq!((l.state.clone(), l.test_runs), (ReleaseState::Building, 1));
        l = step(&l, Event::Build, &f);
        l = step(&l, Event::Test { passed: false }, &f);
        l = step(&l, Event::Build, &f);
        l = step(&l, Event::Test { passed: true }, &f);
        assert_eq!((l.state, l.test_runs), (ReleaseState::AwaitingAuthorization, 3));
    }

    #[test]
    fn authorization_rejection_closes_the_release() {
        let envs = envs();
        let l = step(
            &at(ReleaseState::AwaitingAuthorization),
            Event::Authorize { approved: false },
            &facts(&envs),
        );
        assert_eq!(l.state, ReleaseState::Closed(Closure::Rejected));
    }

    #[test]
    fn back_out_then_replan_then_retry() {
        let envs = envs();
        let f = facts(&envs);
        let env = || "staging".to_string();
        let l = step(
            &at(ReleaseState::Deploying { env: env() }),
            Event::BackOut { env: env() },
            &f,
        );
        assert_eq!(l.state, ReleaseState::BackedOut { env: env() });
        assert!(matches!(
            transition(&l, &Event::StartDeployment { env: env() }, &f),
            Err(Refusal::NotNow { .. })
        ));
        let l = step(&l, Event::PlanDeployment { env: env() }, &f);
        assert_eq!(l.state, ReleaseState::DeploymentPlanning { env: env() });
        let v = step(
            &at(ReleaseState::Verifying { env: env() }),
            Event::BackOut { env: env() },
            &f,
        );
        assert_eq!(v.state, ReleaseState::BackedOut { env: env() });
    }

    #[test]
    fn verification_with_issues_backs_out() {
        let envs = envs();
        let l = at(ReleaseState::Verifying { env: "prod".into() });
        let next = step(
            &l,
            Event::Verify {
                env: "prod".into(),
                confirmed: false,
            },
            &facts(&envs),
        );
        assert_eq!(next.state, ReleaseState::BackedOut { env: "prod".into() });
    }

    #[test]
    fn cancel_only_before_deploying() {
        let envs = envs();
        let f = facts(&envs);
        for s in [
            ReleaseState::Planning,
            ReleaseState::PlanReview,
            ReleaseState::Preparing,
            ReleaseState::Building,
            ReleaseState::Testing,
            ReleaseState::AwaitingAuthorization,
            ReleaseState::DeploymentPlanning {
                env: "staging".into(),
            },
            ReleaseState::BackedOut {
                env: "staging".into(),
            },
        ] {
            assert_eq!(
                step(&at(s), Event::Cancel, &f).state,
                ReleaseState::Closed(Closure::Cancelled)
            );
        }
        for s in [
            ReleaseState::Deploying { env: "prod".into() },
            ReleaseState::Verifying { env: "prod".into() },
            ReleaseState::EarlyLifeSupport { until: f.now },
            ReleaseState::Closed(Closure::Completed),
        ] {
            assert!(matches!(
                transition(&at(s), &Event::Cancel, &f),
                Err(Refusal::NotNow { .. })
            ));
        }
    }

    #[test]
    fn refusals_name_the_reason() {
        let envs = envs();
        let f = facts(&envs);
        let missing = Facts {
            missing_plan: vec!["back-out plan", "acceptance criteria"],
            ..f.clone()
        };
        assert_eq!(
            transition(&at(ReleaseState::Planning), &Event::Submit, &missing),
            Err(Refusal::PlanIncomplete {
                missing: vec!["back-out plan", "acceptance criteria"]
            })
        );
        let unbaselined = Facts {
            baselined: false,
            ..f.clone()
        };
        assert_eq!(
            transition(&at(ReleaseState::Building), &Event::Build, &unbaselined),
            Err(Refusal::NoBaseline)
        );
        let unplanned = Facts {
            deployment_planned: false,
            ..f.clone()
        };
        let dp = at(ReleaseState::DeploymentPlanning {
            env: "staging".into(),
        });
        assert_eq!(
            transition(
                &dp,
                &Event::StartDeployment {
                    env: "staging".into()
                },
                &unplanned
            ),
            Err(Refusal::DeploymentNotPlanned {
                env: "staging".into()
            })
        );
        assert_eq!(
            transition(&dp, &Event::StartDeployment { env: "prod".into() }, &f),
            Err(Refusal::WrongEnvironment {
                asked: "prod".into(),
                current: "staging".into()
            })
        );
        let els = at(ReleaseState::EarlyLifeSupport {
            until: f.now + Duration::days(1),
        });
        assert_eq!(
            transition(
                &els,
                &Event::Close {
                    early: false,
                    outcome: CloseOutcome::Successful
                },
                &f
            ),
            Err(Refusal::ElsNotOver {
                until: f.now + Duration::days(1)
            })
        );
        assert_eq!(
            step(
                &els,
                Event::Close {
                    early: true,
                    outcome: CloseOutcome::Successful
                },
                &f
            )
            .state,
            ReleaseState::Closed(Closure::Completed)
        );
        assert_eq!(
            transition(&at(ReleaseState::Preparing), &Event::Build, &f),
            Err(Refusal::NotNow {
                state: ReleaseState::Preparing,
                attempted: "/release build"
            })
        );
    }

    #[test]
    fn standard_changes_skip_the_cab_but_not_the_plan() {
        let envs = envs();
        let f = facts(&envs);
        assert_eq!(
            step(&at(ReleaseState::Planning), Event::PreApprove, &f).state,
            ReleaseState::Preparing
        );
        let missing = Facts {
            missing_plan: vec!["back-out plan"],
            ..f.clone()
        };
        assert!(matches!(
            transition(&at(ReleaseState::Planning), &Event::PreApprove, &missing),
            Err(Refusal::PlanIncomplete { .. })
        ));
        assert!(matches!(
            transition(&at(ReleaseState::PlanReview), &Event::PreApprove, &f),
            Err(Refusal::NotNow { .. })
        ));
    }

    #[test]
    fn production_can_be_backed_out_during_early_life_support() {
        let envs = envs();
        let f = facts(&envs);
        let els = at(ReleaseState::EarlyLifeSupport {
            until: f.now + Duration::days(3),
        });
        let l = step(&els, Event::BackOut { env: "PROD".into() }, &f);
        assert_eq!(l.state, ReleaseState::BackedOut { env: "prod".into() });
        assert_eq!(
            transition(
                &els,
                &Event::BackOut {
                    env: "staging".into()
                },
                &f
            ),
            Err(Refusal::WrongEnvironment {
                asked: "staging".into(),
                current: "prod".into()
            })
        );
        // Re-planned and deployed again, or closed as unsuccessful after a review.
        assert_eq!(
            step(&l, Event::PlanDeployment { env: "prod".into() }, &f).state,
            ReleaseState::DeploymentPlanning { env: "prod".into() }
        );
        let close = |outcome| Event::Close {
            early: false,
            outcome,
        };
        assert_eq!(
            transition(&l, &close(CloseOutcome::Successful), &f),
            Err(Refusal::BackedOutNotSuccessful { env: "prod".into() })
        );
        assert_eq!(
            transition(&l, &close(CloseOutcome::Unsuccessful), &f),
            Err(Refusal::ReviewNeeded { emergency: false })
        );
        let reviewed = Facts {
            reviewed: true,
            ..f.clone()
        };
        assert_eq!(step(&l, Event::Review, &f).state, l.state);
        assert_eq!(
            step(&l, close(CloseOutcome::Unsuccessful), &reviewed).state,
            ReleaseState::Closed(Closure::Unsuccessful)
        );
    }

    #[test]
    fn closing_checks_incidents_then_the_review() {
        let envs = envs();
        let f = facts(&envs);
        let els = at(ReleaseState::EarlyLifeSupport { until: f.now });
        let close = |early, outcome| Event::Close { early, outcome };
        let blocked = Facts {
            blocking_incidents: vec!["INC-1".into(), "INC-3".into()],
            reviewed: true,
            ..f.clone()
        };
        for early in [false, true] {
            assert_eq!(
                transition(&els, &close(early, CloseOutcome::Successful), &blocked),
                Err(Refusal::IncidentsOpen {
                    incidents: vec!["INC-1".into(), "INC-3".into()]
                })
            );
        }
        let emergency = Facts {
            emergency: true,
            ..f.clone()
        };
        assert_eq!(
            transition(&els, &close(false, CloseOutcome::Successful), &emergency),
            Err(Refusal::ReviewNeeded { emergency: true })
        );
        assert_eq!(
            transition(&els, &close(false, CloseOutcome::Unsuccessful), &f),
            Err(Refusal::ReviewNeeded { emergency: false })
        );
        assert_eq!(
            step(&els, close(false, CloseOutcome::SuccessfulWithIssues), &f).state,
            ReleaseState::Closed(Closure::Completed)
        );
        let reviewed = Facts {
            emergency: true,
            reviewed: true,
            ..f.clone()
        };
        assert_eq!(
            step(&els, close(false, CloseOutcome::Unsuccessful), &reviewed).state,
            ReleaseState::Closed(Closure::Unsuccessful)
        );
        // A review fits early life support and a back-out only.
        assert!(matches!(
            transition(&at(ReleaseState::Testing), &Event::Review, &f),
            Err(Refusal::NotNow { .. })
        ));
        for o in CloseOutcome::ALL {
            assert_eq!(CloseOutcome::from_key(o.key()), Some(o));
        }
    }

    #[test]
    fn states_round_trip_through_storage() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        for s in [
            ReleaseState::Planning,
            ReleaseState::PlanReview,
            ReleaseState::Preparing,
            ReleaseState::Building,
            ReleaseState::Testing,
            ReleaseState::AwaitingAuthorization,
            ReleaseState::DeploymentPlanning {
                env: "staging".into(),
            },
            ReleaseState::Deploying {
                env: "staging".into(),
            },
            ReleaseState::Verifying {
                env: "staging".into(),
            },
            ReleaseState::BackedOut {
                env: "staging".into(),
            },
            ReleaseState::EarlyLifeSupport { until: now },
            ReleaseState::Closed(Closure::Completed),
            ReleaseState::Closed(Closure::Rejected),
            ReleaseState::Closed(Closure::Cancelled),
            ReleaseState::Closed(Closure::Unsuccessful),
        ] {
            let until = match &s {
                ReleaseState::EarlyLifeSupport { until } => Some(*until),
                _ => None,
            };
            assert!(STATE_KEYS.contains(&s.key()));
            assert_eq!(
                ReleaseState::decode(s.key(), s.env(), until, s.closure_key()),
                Ok(s.clone())
            );
        }
        assert!(ReleaseState::decode("deploying", None, None, None).is_err());
        assert!(ReleaseState::decode("Planning", None, None, None).is_err());
    }

    fn any_event() -> impl Strategy<Value = Event> {
        let env = prop_oneof![Just("staging".to_string()), Just("prod".to_string())];
        prop_oneof![
            Just(Event::UpdatePlan),
            Just(Event::Submit),
            Just(Event::CabApproved),
            Just(Event::CabRejected),
            Just(Event::CabExpired),
            Just(Event::Prepare),
            Just(Event::Build),
            any::<bool>().prop_map(|passed| Event::Test { passed }),
            any::<bool>().prop_map(|approved| Event::Authorize { approved }),
            Just(Event::Cancel),
            env.clone().prop_map(|env| Event::PlanDeployment { env }),
            env.clone().prop_map(|env| Event::StartDeployment { env }),
            env.clone().prop_map(|env| Event::StepsDone { env }),
            env.clone().prop_map(|env| Event::BackOut { env }),
            (env, any::<bool>()).prop_map(|(env, confirmed)| Event::Verify { env, confirmed }),
            (any::<bool>(), 0usize..3).prop_map(|(early, o)| Event::Close {
                early,
                outcome: CloseOutcome::ALL[o]
            }),
            Just(Event::PreApprove),
            Just(Event::Review),
        ]
    }

    proptest! {
        #[test]
        fn no_release_closes_over_a_blocking_incident(events in proptest::collection::vec(any_event(), 0..80), emergency: bool, reviewed: bool) {
            let envs = envs();
            let f = Facts {
                blocking_incidents: vec!["INC-1".into()],
                emergency,
                reviewed,
                ..facts(&envs)
            };
            let mut l = at(ReleaseState::Planning);
            for e in &events {
                if let Ok(next) = transition(&l, e, &f) {
                    prop_assert!(
                        !matches!(next.state, ReleaseState::Closed(Closure::Completed | Closure::Unsuccessful)),
                        "{:?} closed over a blocking incident", e
                    );
                    l = next;
                }
            }
        }

        #[test]
        fn random_sequences_keep_the_invariants(events in proptest::collection::vec(any_event(), 0..80)) {
            let envs = envs();
            let f = facts(&envs);
            let mut l = at(ReleaseState::Planning);
            for e in &events {
                match transition(&l, e, &f) {
                    Ok(next) => {
                        prop_assert!(l.state.closure().is_none(), "moved out of Closed");
                        prop_assert!(next.test_runs >= l.test_runs);
                        prop_assert!(next.revision >= l.revision);
                        l = next;
                    }
                    Err(Refusal::NotNow { state, .. }) => prop_assert_eq!(&state, &l.state),
                    Err(_) => {}
                }
            }
        }
    }
}
