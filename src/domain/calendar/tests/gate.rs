//! `opening_at`, `check_at` and the gate.

use super::*;

// ---- opening_at ----

#[test]
fn opening_at_finds_an_opening_under_way() {
    let c = thursday();
    let o = opening("Thursday night", utc(2026, 1, 8, 22, 0), 4);
    assert_eq!(c.opening_at("PROD", utc(2026, 1, 8, 22, 0)), Some(o.clone()));
    assert_eq!(c.opening_at("staging", utc(2026, 1, 9, 1, 59)), Some(o));
    assert_eq!(c.opening_at("prod", utc(2026, 1, 9, 2, 0)), None);
    assert_eq!(c.opening_at("prod", utc(2026, 1, 8, 21, 59)), None);
    assert_eq!(c.opening_at("qa", utc(2026, 1, 8, 23, 0)), None);
}

#[test]
fn opening_at_looks_back_a_full_duration_and_prefers_the_latest_end() {
    let c = cal(
        "UTC",
        vec![
            window("weekend", "0 0 18 * * Fri", 60, &["prod"]),
            window("sat", "0 0 9 * * Sat", 3, &["prod"]),
        ],
        vec![],
    );
    // Sunday 17:00, 47 hours into the weekend window.
    assert_eq!(
        c.opening_at("prod", utc(2026, 1, 11, 17, 0)),
        Some(opening("weekend", utc(2026, 1, 9, 18, 0), 60))
    );
    // Saturday 10:00: both contain it; the weekend one lasts longer.
    assert_eq!(
        c.opening_at("prod", utc(2026, 1, 10, 10, 0)).unwrap().window,
        "weekend"
    );
}

// ---- check_at and gate ----

fn frozen_thursday() -> Calendar {
    let mut c = thursday();
    c.freezes = vec![freeze("incident", utc(2026, 1, 8, 23, 0), utc(2026, 1, 10, 0, 0))];
    c
}

#[test]
fn check_at_ok_inside_an_unfrozen_opening() {
    let c = frozen_thursday();
    assert_eq!(
        c.check_at("prod", utc(2026, 1, 8, 22, 30)),
        Ok(opening("Thursday night", utc(2026, 1, 8, 22, 0), 4))
    );
}

#[test]
fn check_at_outside_window_gives_the_next_free_opening() {
    let c = frozen_thursday();
    let err = c.check_at("prod", utc(2026, 1, 7, 12, 0)).unwrap_err();
    // The 8 Jan opening is overlapped by "incident", so next is the 15th.
    let next = opening("Thursday night", utc(2026, 1, 15, 22, 0), 4);
    assert_eq!(
        err,
        CalendarError::NotInWindow {
            env: "prod".into(),
            at: utc(2026, 1, 7, 12, 0),
            next: Some(next)
        }
    );
    assert_eq!(
        err.to_string(),
        "\"prod\" is outside every release window at 2026-01-07T12:00:00Z; the next free opening \
             is \"Thursday night\" from 2026-01-15T22:00:00Z to 2026-01-16T02:00:00Z"
    );
}

#[test]
fn check_at_in_freeze_names_it_and_gives_the_next_free_opening() {
    let c = frozen_thursday();
    let err = c.check_at("prod", utc(2026, 1, 8, 23, 30)).unwrap_err();
    let next = opening("Thursday night", utc(2026, 1, 15, 22, 0), 4);
    assert_eq!(
        err,
        CalendarError::InFreeze {
            freeze: "incident".into(),
            next: Some(next)
        }
    );
    assert!(err
        .to_string()
        .starts_with("deployments are frozen by \"incident\"; the next free"));
    // A freeze outside any window is still reported as the freeze.
    let err = c.check_at("prod", utc(2026, 1, 9, 12, 0)).unwrap_err();
    assert!(matches!(err, CalendarError::InFreeze { .. }));
}

#[test]
fn check_at_with_no_free_opening_says_so() {
    let mut c = thursday();
    c.freezes = vec![freeze("forever", utc(2026, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0))];
    let err = c.check_at("prod", utc(2026, 1, 2, 0, 0)).unwrap_err();
    assert_eq!(
        err,
        CalendarError::InFreeze {
            freeze: "forever".into(),
            next: None
        }
    );
    assert_eq!(
        err.to_string(),
        "deployments are frozen by \"forever\"; there is no free opening in the next 366 days"
    );
}

#[test]
fn check_at_unknown_env() {
    let err = thursday().check_at(" qa ", utc(2026, 1, 8, 22, 30)).unwrap_err();
    assert_eq!(err, CalendarError::NoWindowFor { env: "qa".into() });
    assert_eq!(err.to_string(), "no release window serves the environment \"qa\"");
}

#[test]
fn gate_without_emergency() {
    let c = frozen_thursday();
    assert_eq!(
        c.gate("prod", utc(2026, 1, 8, 22, 30), false),
        Gate::Open {
            opening: opening("Thursday night", utc(2026, 1, 8, 22, 0), 4)
        }
    );
    let next = Some(opening("Thursday night", utc(2026, 1, 15, 22, 0), 4));
    assert_eq!(
        c.gate("prod", utc(2026, 1, 7, 12, 0), false),
        Gate::Closed {
            reason: CalendarError::NotInWindow {
                env: "prod".into(),
                at: utc(2026, 1, 7, 12, 0),
                next: next.clone()
            }
        }
    );
    assert_eq!(
        c.gate("prod", utc(2026, 1, 8, 23, 30), false),
        Gate::Closed {
            reason: CalendarError::InFreeze {
                freeze: "incident".into(),
                next
            }
        }
    );
    assert_eq!(
        c.gate("qa", utc(2026, 1, 8, 22, 30), false),
        Gate::Closed {
            reason: CalendarError::NoWindowFor { env: "qa".into() }
        }
    );
}

#[test]
fn gate_with_emergency_reports_what_was_bypassed() {
    let c = frozen_thursday();
    // Open anyway: no bypass to report.
    assert!(matches!(
        c.gate("prod", utc(2026, 1, 8, 22, 30), true),
        Gate::Open { .. }
    ));
    assert_eq!(
        c.gate("prod", utc(2026, 1, 7, 12, 0), true),
        Gate::Emergency {
            outside_window: true,
            freeze: None
        }
    );
    assert_eq!(
        c.gate("prod", utc(2026, 1, 8, 23, 30), true),
        Gate::Emergency {
            outside_window: false,
            freeze: Some("incident".into())
        }
    );
    assert_eq!(
        c.gate("prod", utc(2026, 1, 9, 12, 0), true),
        Gate::Emergency {
            outside_window: true,
            freeze: Some("incident".into())
        }
    );
    // An unknown environment is not waved through.
    assert_eq!(
        c.gate("qa", utc(2026, 1, 8, 22, 30), true),
        Gate::Closed {
            reason: CalendarError::NoWindowFor { env: "qa".into() }
        }
    );
}

#[test]
fn negative_duration_is_treated_as_zero() {
    let mut c = thursday();
    c.windows[0].duration = Duration::hours(-3);
    let got = c.openings(utc(2026, 1, 5, 0, 0), utc(2026, 1, 12, 0, 0));
    assert_eq!(got[0].start, got[0].end);
    assert_eq!(c.opening_at("prod", utc(2026, 1, 8, 22, 0)), None);
}

#[test]
fn gap_end_handles_midnight_and_half_hour_transitions() {
    // Santiago springs forward at 24:00: Sunday 00:00 does not exist.
    let c = cal(
        "America/Santiago",
        vec![window("w", "0 0 0 * * Sun", 1, &["prod"])],
        vec![],
    );
    let got = c.openings(utc(2026, 9, 1, 0, 0), utc(2026, 9, 10, 0, 0));
    // 2026-09-06 00:00 -04 is skipped to 01:00 -03 = 04:00 UTC.
    assert_eq!(got, vec![opening("w", utc(2026, 9, 6, 4, 0), 1)]);
    // Lord Howe moves by half an hour: 02:00 -> 02:30 local (+10:30 -> +11).
    let c = cal(
        "Australia/Lord_Howe",
        vec![window("w", "0 15 2 * * *", 1, &["prod"])],
        vec![],
    );
    let got = c.openings(utc(2026, 10, 3, 0, 0), utc(2026, 10, 4, 0, 0));
    // 2026-10-04 02:30 +11 = 2026-10-03 15:30 UTC.
    assert_eq!(got, vec![opening("w", utc(2026, 10, 3, 15, 30), 1)]);
}
