//! Openings: a normal week and daylight-saving time.

use super::*;

// ---- openings: a normal week and DST ----

#[test]
fn thursday_22_london_is_22_utc_in_winter_and_21_utc_in_summer() {
    let c = thursday();
    let winter = c.openings(utc(2026, 1, 5, 0, 0), utc(2026, 1, 12, 0, 0));
    assert_eq!(winter, vec![opening("Thursday night", utc(2026, 1, 8, 22, 0), 4)]);
    let summer = c.openings(utc(2026, 7, 6, 0, 0), utc(2026, 7, 13, 0, 0));
    assert_eq!(summer, vec![opening("Thursday night", utc(2026, 7, 9, 21, 0), 4)]);
}

#[test]
fn london_gap_opens_once_at_the_end_of_the_gap() {
    let c = cal(
        "Europe/London",
        vec![window("w", "0 30 1 * * *", 4, &["prod"])],
        vec![],
    );
    let got = c.openings(utc(2027, 3, 27, 12, 0), utc(2027, 3, 29, 12, 0));
    assert_eq!(
        got,
        vec![
            // 01:30 does not exist: 02:00 BST = 01:00 UTC, four real hours.
            opening("w", utc(2027, 3, 28, 1, 0), 4),
            opening("w", utc(2027, 3, 29, 0, 30), 4),
        ]
    );
}

#[test]
fn several_matches_inside_a_gap_open_only_once() {
    let c = cal(
        "Europe/London",
        vec![window("w", "0 0/15 1 * * *", 1, &["prod"])],
        vec![],
    );
    let got = c.openings(utc(2027, 3, 28, 0, 0), utc(2027, 3, 28, 12, 0));
    assert_eq!(got, vec![opening("w", utc(2027, 3, 28, 1, 0), 1)]);
}

#[test]
fn london_overlap_opens_once_at_the_first_occurrence() {
    let c = cal(
        "Europe/London",
        vec![window("w", "0 30 1 * * *", 4, &["prod"])],
        vec![],
    );
    let got = c.openings(utc(2026, 10, 24, 12, 0), utc(2026, 10, 26, 12, 0));
    assert_eq!(
        got,
        vec![
            opening("w", utc(2026, 10, 25, 0, 30), 4), // 01:30 BST
            opening("w", utc(2026, 10, 26, 1, 30), 4), // 01:30 GMT
        ]
    );
}

#[test]
fn starting_inside_the_repeated_hour_does_not_return_the_second_occurrence() {
    let c = cal(
        "Europe/London",
        vec![window("w", "0 30 1 * * *", 4, &["prod"])],
        vec![],
    );
    let got = c.openings(utc(2026, 10, 25, 1, 15), utc(2026, 10, 26, 12, 0));
    assert_eq!(got, vec![opening("w", utc(2026, 10, 26, 1, 30), 4)]);
    // ...and from just before the first occurrence, it is found.
    let got = c.openings(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 0));
    assert_eq!(got, vec![opening("w", utc(2026, 10, 25, 0, 30), 4)]);
}

#[test]
fn new_york_gap_and_overlap() {
    let c = cal(
        "America/New_York",
        vec![
            window("w", "0 30 2 * * *", 4, &["prod"]),
            window("x", "0 30 1 * * *", 4, &["prod"]),
        ],
        vec![],
    );
    // 2027-03-14: 02:00 EST jumps to 03:00 EDT; 02:30 is missing.
    let spring = c
        .openings_of("w", utc(2027, 3, 13, 12, 0), utc(2027, 3, 15, 12, 0))
        .unwrap();
    assert_eq!(
        spring,
        vec![
            opening("w", utc(2027, 3, 14, 7, 0), 4),
            opening("w", utc(2027, 3, 15, 6, 30), 4)
        ]
    );
    // 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
    let fall = c
        .openings_of("x", utc(2026, 10, 31, 12, 0), utc(2026, 11, 2, 12, 0))
        .unwrap();
    assert_eq!(
        fall,
        vec![
            opening("x", utc(2026, 11, 1, 5, 30), 4),
            opening("x", utc(2026, 11, 2, 6, 30), 4)
        ]
    );
}

#[test]
fn duration_is_elapsed_time_across_a_change() {
    // Midnight BST on fall-back night, four hours: ends 03:00 GMT, which
    // the wall clock shows as only three hours later.
    let c = cal(
        "Europe/London",
        vec![window("w", "0 0 0 * * *", 4, &["prod"])],
        vec![],
    );
    let got = c.openings(utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0));
    assert_eq!(got, vec![opening("w", utc(2026, 10, 24, 23, 0), 4)]);
    assert_eq!(got[0].end.with_timezone(&c.tz).hour(), 3);
}

#[test]
fn openings_range_is_half_open_and_sorted_by_start_then_name() {
    let c = cal(
        "UTC",
        vec![
            window("b", "0 0 10 * * *", 1, &["prod"]),
            window("a", "0 0 10 * * *", 1, &["prod"]),
            window("c", "0 0 9 * * *", 1, &["prod"]),
        ],
        vec![],
    );
    let got = c.openings(utc(2026, 1, 1, 10, 0), utc(2026, 1, 2, 10, 0));
    let keys: Vec<_> = got.iter().map(|o| (o.start, o.window.as_str())).collect();
    assert_eq!(
        keys,
        vec![
            (utc(2026, 1, 1, 10, 0), "a"),
            (utc(2026, 1, 1, 10, 0), "b"),
            (utc(2026, 1, 2, 9, 0), "c"),
        ]
    );
    assert!(c
        .openings(utc(2026, 1, 2, 0, 0), utc(2026, 1, 1, 0, 0))
        .is_empty());
}

#[test]
fn openings_of_unknown_window_lists_the_known_ones() {
    let err = thursday()
        .openings_of("friday", utc(2026, 1, 1, 0, 0), utc(2026, 2, 1, 0, 0))
        .unwrap_err();
    assert_eq!(
        err,
        CalendarError::UnknownWindow {
            name: "friday".into(),
            known: vec!["Thursday night".into()]
        }
    );
    assert_eq!(
        err.to_string(),
        "there is no release window called \"friday\"; known windows: Thursday night"
    );
}

#[test]
fn window_lookup_ignores_case_and_whitespace() {
    let c = thursday();
    assert_eq!(c.window(" THURSDAY night").unwrap().name, "Thursday night");
    assert!(c.window("thursday").is_none());
}
