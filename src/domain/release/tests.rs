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
