//! What cron 0.15 does natively (why we post-process), and `parse_cron`.

use super::wall_clock::cron_error_detail;
use super::*;

// ---- what cron 0.15 does natively (why we post-process) ----

#[test]
fn native_cron_skips_a_time_in_the_spring_gap() {
    let london = tz("Europe/London");
    let s = parse_cron("0 30 1 * * *").unwrap();
    let got: Vec<_> = s
        .after(&utc(2027, 3, 27, 12, 0).with_timezone(&london))
        .take(2)
        .map(|t| t.with_timezone(&Utc))
        .collect();
    // 2027-03-28 is missing altogether: next is the 29th, 01:30 BST.
    assert_eq!(got, vec![utc(2027, 3, 29, 0, 30), utc(2027, 3, 30, 0, 30)]);
}

#[test]
fn native_cron_fires_twice_for_an_ambiguous_time() {
    let london = tz("Europe/London");
    let s = parse_cron("0 30 1 * * *").unwrap();
    let got: Vec<_> = s
        .after(&utc(2026, 10, 24, 12, 0).with_timezone(&london))
        .take(3)
        .map(|t| t.with_timezone(&Utc))
        .collect();
    assert_eq!(
        got,
        vec![
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 25, 1, 30),
            utc(2026, 10, 26, 1, 30)
        ]
    );
}

#[test]
fn native_cron_can_return_a_time_before_after_in_the_repeated_hour() {
    let london = tz("Europe/London");
    let s = parse_cron("0 30 1 * * *").unwrap();
    let after = utc(2026, 10, 25, 1, 15); // 01:15 GMT, the second 01:15
    let first = s.after(&after.with_timezone(&london)).next().unwrap();
    assert!(first.with_timezone(&Utc) < after);
}

// ---- parse_cron ----

#[test]
fn parse_cron_accepts_six_and_seven_fields_and_shorthands() {
    assert!(parse_cron("0 0 22 * * Thu").is_ok());
    assert!(parse_cron("  0 0 22 * * Thu 2026-2030 ").is_ok());
    assert!(parse_cron("@daily").is_ok());
}

#[test]
fn parse_cron_rejects_with_clear_messages() {
    let empty = parse_cron("  ").unwrap_err();
    assert!(empty.contains("empty"), "{empty}");

    let five = parse_cron("0 22 * * Thu").unwrap_err();
    assert!(five.contains("5 fields"), "{five}");
    assert!(five.contains("\"0 0 22 * * Thu\""), "{five}");

    let eight = parse_cron("0 0 22 * * Thu * *").unwrap_err();
    assert!(eight.contains("8 fields"), "{eight}");

    let bad_hour = parse_cron("0 0 25 * * *").unwrap_err();
    assert!(
        bad_hour.starts_with("invalid cron expression \"0 0 25 * * *\": "),
        "{bad_hour}"
    );
    assert!(bad_hour.contains("Hours"), "{bad_hour}");
    assert!(!bad_hour.contains('\n'), "{bad_hour}");

    let junk = parse_cron("0 0 22 * * Thu x").unwrap_err();
    assert!(!junk.contains('\n'), "{junk}");
    assert!(junk.len() > "invalid cron expression".len(), "{junk}");
}

#[test]
fn cron_error_detail_handles_caret_only_messages() {
    assert_eq!(cron_error_detail("a b\n  ^\n"), "unexpected text at character 3");
    assert_eq!(cron_error_detail(""), "it could not be parsed");
    assert_eq!(cron_error_detail("x\n^\nBad thing."), "Bad thing.");
}
