//! The events that move a release, and the one transition function.

use super::*;

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
