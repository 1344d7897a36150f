//! May a deployment of a release to an environment start now? The one answer
//! `/deploy start` acts on and the readiness API reports, so the two can never
//! disagree: both call [`evaluate`].

use super::calendar::{Calendar, CalendarError, Gate, Opening};
use super::records::Release;
use super::release::{transition, Event, Facts, Refusal, ReleaseState};
use chrono::{DateTime, Utc};

/// One thing a deployment waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckKind {
    /// The CAB (or ECAB) approved the plan.
    Cab,
    /// The change manager authorized the deployment.
    Authorization,
    /// The lifecycle allows starting a deployment to the environment now.
    State,
    /// An opening of a window serving the environment contains now.
    Window,
    /// No freeze contains now.
    Freeze,
    /// No other deployment holds the environment.
    Lock,
}

impl CheckKind {
    /// The stable key the API reports.
    pub fn key(self) -> &'static str {
        match self {
            CheckKind::Cab => "cab",
            CheckKind::Authorization => "authorization",
            CheckKind::State => "state",
            CheckKind::Window => "window",
            CheckKind::Freeze => "freeze",
            CheckKind::Lock => "lock",
        }
    }
}

/// The answer of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub kind: CheckKind,
    /// Whether it lets the deployment through.
    pub ok: bool,
    /// When a failing check stops failing by itself (a window opens, a freeze ends).
    pub until: Option<DateTime<Utc>>,
}

/// Why the lifecycle does not allow the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateBlock {
    /// The release does not target the environment at all.
    NotATarget,
    /// The transition refuses, as `/deploy start` would say.
    Refused(Refusal),
}

/// Everything [`evaluate`] found, for the handler to act on and render to word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// The six checks, always in the order cab, authorization, state, window, freeze, lock.
    pub checks: Vec<Check>,
    /// The lifecycle's answer.
    pub state: Result<(), StateBlock>,
    /// The calendar's answer (emergencies bypass windows and freezes).
    pub gate: Gate,
    /// The deployment holding the environment's lock, when another one does.
    pub lock_holder: Option<i64>,
}

impl Readiness {
    /// True when every check passes: `/deploy start` would start.
    pub fn ready(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    /// The check of `kind`.
    pub fn check(&self, kind: CheckKind) -> &Check {
        // evaluate() always fills all six.
        self.checks
            .iter()
            .find(|c| c.kind == kind)
            .expect("every check is evaluated")
    }

    /// The next opening free of freezes, when the calendar is what blocks.
    pub fn next_opening(&self) -> Option<&Opening> {
        match &self.gate {
            Gate::Closed {
                reason: CalendarError::NotInWindow { next, .. } | CalendarError::InFreeze { next, .. },
            } => next.as_ref(),
            _ => None,
        }
    }

    /// True when the calendar is the only thing blocking (a pipeline may wait for the opening).
    pub fn only_calendar_blocks(&self) -> bool {
        !self.ready()
            && self
                .checks
                .iter()
                .all(|c| c.ok || matches!(c.kind, CheckKind::Window | CheckKind::Freeze))
            && self.next_opening().is_some()
    }
}

/// What [`evaluate`] looks at.
pub struct Situation<'a> {
    /// The release.
    pub release: &'a Release,
    /// The environment asked for (matched case-insensitively).
    pub env: &'a str,
    /// The lifecycle facts; `deployment_planned` says whether a plan waits to start.
    pub facts: &'a Facts<'a>,
    /// The calendar of the workspace.
    pub calendar: &'a Calendar,
    /// The deployment holding the environment's lock, if not this release's planned one.
    pub lock_holder: Option<i64>,
    /// Now.
    pub now: DateTime<Utc>,
}

/// The readiness of a deployment: the lifecycle, the calendar gate and the lock.
pub fn evaluate(s: &Situation<'_>) -> Readiness {
    use ReleaseState as S;
    let state_now = &s.release.lifecycle.state;
    let cab = matches!(
        state_now,
        S::Preparing
            | S::Building
            | S::Testing
            | S::AwaitingAuthorization
            | S::DeploymentPlanning { .. }
            | S::Deploying { .. }
            | S::Verifying { .. }
            | S::BackedOut { .. }
            | S::EarlyLifeSupport { .. }
    );
    let authorized = matches!(
        state_now,
        S::DeploymentPlanning { .. }
            | S::Deploying { .. }
            | S::Verifying { .. }
            | S::BackedOut { .. }
            | S::EarlyLifeSupport { .. }
    );
    let state = if s
        .release
        .environments
        .iter()
        .any(|e| e.eq_ignore_ascii_case(s.env))
    {
        transition(
            &s.release.lifecycle,
            &Event::StartDeployment {
                env: s.env.to_string(),
            },
            s.facts,
        )
        .map(|_| ())
        .map_err(StateBlock::Refused)
    } else {
        Err(StateBlock::NotATarget)
    };
    let gate = s.calendar.gate(s.env, s.now, s.release.emergency);
    let in_opening = || s.calendar.opening_at(s.env, s.now).is_some();
    let freeze = s.calendar.freeze_at(s.now);
    // Derived from the gate itself, so "ready" and "the gate is open" cannot drift apart.
    let (window, frozen) = match &gate {
        Gate::Open { .. } | Gate::Emergency { .. } => ((true, None), (true, None)),
        Gate::Closed { reason } => match reason {
            CalendarError::NotInWindow { next, .. } => (
                (false, next.as_ref().map(|o| o.start)),
                (freeze.is_none(), freeze.map(|f| f.to)),
            ),
            CalendarError::InFreeze { next, .. } => (
                (in_opening(), None),
                (false, freeze.map(|f| f.to).or(next.as_ref().map(|o| o.start))),
            ),
            _ => ((false, None), (freeze.is_none(), freeze.map(|f| f.to))),
        },
    };
    let check = |kind, ok: bool, until: Option<DateTime<Utc>>| Check {
        kind,
        ok,
        until: if ok { None } else { until },
    };
    Readiness {
        checks: vec![
            check(CheckKind::Cab, cab, None),
            check(CheckKind::Authorization, authorized, None),
            check(CheckKind::State, state.is_ok(), None),
            check(CheckKind::Window, window.0, window.1),
            check(CheckKind::Freeze, frozen.0, frozen.1),
            check(CheckKind::Lock, s.lock_holder.is_none(), None),
        ],
        state,
        gate,
        lock_holder: s.lock_holder,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{parse_cron, Freeze, Window};
    use crate::domain::records::Plan;
    use crate::domain::release::Lifecycle;
    use chrono::{Duration, TimeZone};

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap()
    }

    /// Thursday 3 Dec 2026 22:00 UTC (London is on GMT), four hours, prod only.
    fn calendar(freeze: bool) -> Calendar {
        Calendar {
            tz: "Europe/London".parse().unwrap(),
            windows: vec![Window {
                name: "weekly-prod".into(),
                schedule: parse_cron("0 0 22 * * Thu").unwrap(),
                duration: Duration::hours(4),
                environments: vec!["prod".into()],
            }],
            freezes: freeze
                .then(|| Freeze {
                    name: "year-end".into(),
                    from: at(3, 21),
                    to: at(3, 23),
                    reason: None,
                })
                .into_iter()
                .collect(),
        }
    }

    fn release(state: ReleaseState, emergency: bool) -> Release {
        Release {
            row: 1,
            number: 1,
            name: "Payments".into(),
            version: "2.3.0".into(),
            emergency,
            plan: Plan::default(),
            environments: vec!["prod".into()],
            lifecycle: Lifecycle {
                state,
                revision: 1,
                test_runs: 1,
            },
            manager: "rm".into(),
            manager_name: "rm".into(),
            submitter: None,
            validation: None,
            training: None,
            builds: 1,
            baseline_hash: Some("h".into()),
            booking: None,
            handover: None,
            created_at: at(1, 9),
            updated_at: at(1, 9),
        }
    }

    fn eval(
        r: &Release,
        env: &str,
        planned: bool,
        cal: &Calendar,
        lock: Option<i64>,
        now: DateTime<Utc>,
    ) -> Readiness {
        let facts = Facts {
            environments: &r.environments,
            missing_plan: vec![],
            baselined: true,
            deployment_planned: planned,
            now,
            els: Duration::days(7),
            emergency: r.emergency,
            reviewed: false,
            blocking_incidents: vec![],
        };
        evaluate(&Situation {
            release: r,
            env,
            facts: &facts,
            calendar: cal,
            lock_holder: lock,
            now,
        })
    }

    fn failing(r: &Readiness) -> Vec<&'static str> {
        r.checks.iter().filter(|c| !c.ok).map(|c| c.kind.key()).collect()
    }

    fn planning() -> ReleaseState {
        ReleaseState::DeploymentPlanning { env: "prod".into() }
    }

    #[test]
    fn inside_the_window_with_a_plan_is_ready() {
        let r = eval(
            &release(planning(), false),
            "prod",
            true,
            &calendar(false),
            None,
            at(3, 23),
        );
        assert!(r.ready(), "{r:?}");
        assert_eq!(r.checks.len(), 6);
        assert_eq!(r.next_opening(), None);
    }

    #[test]
    fn before_the_window_only_the_window_fails_until_it_opens() {
        let r = eval(
            &release(planning(), false),
            "prod",
            true,
            &calendar(false),
            None,
            at(3, 9),
        );
        assert_eq!(failing(&r), ["window"]);
        assert_eq!(r.check(CheckKind::Window).until, Some(at(3, 22)));
        assert_eq!(r.next_opening().map(|o| o.start), Some(at(3, 22)));
        assert!(r.only_calendar_blocks());
    }

    #[test]
    fn a_freeze_fails_until_it_ends_and_an_emergency_bypasses_it() {
        let cal = calendar(true);
        let r = eval(&release(planning(), false), "prod", true, &cal, None, at(3, 22));
        assert_eq!(failing(&r), ["freeze"]);
        assert_eq!(r.check(CheckKind::Freeze).until, Some(at(3, 23)));
        let e = eval(&release(planning(), true), "prod", true, &cal, None, at(3, 22));
        assert!(e.ready());
        assert!(matches!(e.gate, Gate::Emergency { freeze: Some(_), .. }));
    }

    #[test]
    fn before_authorization_cab_passed_but_not_authorization_nor_state() {
        let r = eval(
            &release(ReleaseState::AwaitingAuthorization, false),
            "prod",
            true,
            &calendar(false),
            None,
            at(3, 23),
        );
        assert_eq!(failing(&r), ["authorization", "state"]);
        assert!(!r.only_calendar_blocks());
        let p = eval(
            &release(ReleaseState::PlanReview, false),
            "prod",
            true,
            &calendar(false),
            None,
            at(3, 23),
        );
        assert_eq!(failing(&p), ["cab", "authorization", "state"]);
    }

    #[test]
    fn unplanned_locked_or_untargeted_fail_the_state_or_lock() {
        let cal = calendar(false);
        let unplanned = eval(&release(planning(), false), "prod", false, &cal, None, at(3, 23));
        assert_eq!(
            unplanned.state,
            Err(StateBlock::Refused(Refusal::DeploymentNotPlanned {
                env: "prod".into()
            }))
        );
        let locked = eval(
            &release(planning(), false),
            "prod",
            true,
            &cal,
            Some(7),
            at(3, 23),
        );
        assert_eq!(failing(&locked), ["lock"]);
        let elsewhere = eval(&release(planning(), false), "qa", true, &cal, None, at(3, 23));
        assert_eq!(elsewhere.state, Err(StateBlock::NotATarget));
        assert_eq!(failing(&elsewhere), ["state", "window"]);
    }
}
