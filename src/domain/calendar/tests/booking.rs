//! Freezes and the next free opening.

use super::*;

// ---- freezes ----

#[test]
fn freezes_overlapping_respects_half_open_bounds() {
    let c = cal(
        "UTC",
        vec![],
        vec![
            freeze("before", utc(2026, 1, 1, 0, 0), utc(2026, 1, 1, 10, 0)),
            freeze("inside", utc(2026, 1, 1, 11, 0), utc(2026, 1, 1, 11, 30)),
            freeze("after", utc(2026, 1, 1, 12, 0), utc(2026, 1, 2, 0, 0)),
            freeze("straddle", utc(2026, 1, 1, 11, 59), utc(2026, 1, 1, 13, 0)),
            freeze("empty", utc(2026, 1, 1, 11, 0), utc(2026, 1, 1, 11, 0)),
        ],
    );
    let names: Vec<_> = c
        .freezes_overlapping(utc(2026, 1, 1, 10, 0), utc(2026, 1, 1, 12, 0))
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, vec!["inside", "straddle"]);
    // An empty range is the instant itself.
    let names: Vec<_> = c
        .freezes_overlapping(utc(2026, 1, 1, 11, 0), utc(2026, 1, 1, 11, 0))
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, vec!["inside"]);
}

#[test]
fn freeze_at_reports_the_longest_lasting_freeze() {
    let c = cal(
        "UTC",
        vec![],
        vec![
            freeze("short", utc(2026, 1, 1, 0, 0), utc(2026, 1, 2, 0, 0)),
            freeze("long", utc(2026, 1, 1, 0, 0), utc(2026, 1, 9, 0, 0)),
        ],
    );
    assert_eq!(c.freeze_at(utc(2026, 1, 1, 5, 0)).unwrap().name, "long");
    assert!(c.freeze_at(utc(2026, 1, 9, 0, 0)).is_none());
}

#[test]
fn validate_freeze_requires_from_before_to() {
    let (a, b) = (utc(2026, 1, 1, 0, 0), utc(2026, 1, 2, 0, 0));
    assert_eq!(Calendar::validate_freeze(a, b), Ok(()));
    assert_eq!(
        Calendar::validate_freeze(b, a),
        Err(CalendarError::FreezeOrder { from: b, to: a })
    );
    let err = Calendar::validate_freeze(a, a).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a freeze must end after it starts, but this one runs from \
             2026-01-01T00:00:00Z to 2026-01-01T00:00:00Z"
    );
}

// ---- next_free_opening ----

#[test]
fn next_free_opening_without_freezes_is_the_next_opening() {
    let c = thursday();
    let b = c
        .next_free_opening("thursday NIGHT", utc(2026, 1, 6, 0, 0))
        .unwrap();
    assert_eq!(b.opening, opening("Thursday night", utc(2026, 1, 8, 22, 0), 4));
    assert!(b.skipped.is_empty());
    // An opening starting exactly at `after` is included...
    let b = c
        .next_free_opening("Thursday night", utc(2026, 1, 8, 22, 0))
        .unwrap();
    assert_eq!(b.opening.start, utc(2026, 1, 8, 22, 0));
    // ...but one already under way is not "next".
    let b = c
        .next_free_opening("Thursday night", utc(2026, 1, 8, 22, 1))
        .unwrap();
    assert_eq!(b.opening.start, utc(2026, 1, 15, 22, 0));
}

#[test]
fn next_free_opening_skips_frozen_openings_and_names_the_freeze() {
    let mut c = thursday();
    c.freezes = vec![
        freeze("year end", utc(2025, 12, 20, 0, 0), utc(2026, 1, 5, 0, 0)),
        // Touches only the tail of the 8 Jan opening (which ends 02:00).
        freeze("audit", utc(2026, 1, 9, 1, 0), utc(2026, 1, 16, 0, 0)),
    ];
    let b = c
        .next_free_opening("Thursday night", utc(2025, 12, 24, 0, 0))
        .unwrap();
    assert_eq!(
        b.skipped,
        vec![
            (
                opening("Thursday night", utc(2025, 12, 25, 22, 0), 4),
                "year end".to_string()
            ),
            (
                opening("Thursday night", utc(2026, 1, 1, 22, 0), 4),
                "year end".to_string()
            ),
            (
                opening("Thursday night", utc(2026, 1, 8, 22, 0), 4),
                "audit".to_string()
            ),
            (
                opening("Thursday night", utc(2026, 1, 15, 22, 0), 4),
                "audit".to_string()
            ),
        ]
    );
    assert_eq!(b.opening, opening("Thursday night", utc(2026, 1, 22, 22, 0), 4));
}

#[test]
fn next_free_opening_errors() {
    let mut c = thursday();
    assert!(matches!(
        c.next_free_opening("nope", utc(2026, 1, 1, 0, 0)),
        Err(CalendarError::UnknownWindow { .. })
    ));
    c.freezes = vec![freeze("forever", utc(2026, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0))];
    let err = c
        .next_free_opening("Thursday night", utc(2026, 1, 1, 0, 0))
        .unwrap_err();
    assert_eq!(
        err,
        CalendarError::NoFreeOpening {
            window: "Thursday night".into(),
            days: SEARCH_HORIZON_DAYS
        }
    );
    assert_eq!(
        err.to_string(),
        "release window \"Thursday night\" has no opening free of freezes in the next 366 days"
    );
    // A window whose cron never fires again.
    let past = cal(
        "UTC",
        vec![window("old", "0 0 22 * * Thu 2020", 4, &["prod"])],
        vec![],
    );
    assert!(matches!(
        past.next_free_opening("old", utc(2026, 1, 1, 0, 0)),
        Err(CalendarError::NoFreeOpening {
            days: SEARCH_HORIZON_DAYS,
            ..
        })
    ));
}

#[test]
fn next_free_opening_stops_after_the_opening_cap() {
    // Every minute, frozen for ten days: the cap is hit after ~7 days.
    let c = cal(
        "UTC",
        vec![window("minutely", "0 * * * * *", 0, &["prod"])],
        vec![freeze("long", utc(2026, 1, 1, 0, 0), utc(2026, 1, 11, 0, 0))],
    );
    let err = c
        .next_free_opening("minutely", utc(2026, 1, 1, 0, 0))
        .unwrap_err();
    assert_eq!(
        err,
        CalendarError::NoFreeOpening {
            window: "minutely".into(),
            days: 7
        }
    );
}
