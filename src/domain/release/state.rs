//! Where a release stands, and what each state allows.

use super::*;

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
