//! The calendar over weeks: every window opening is announced exactly four
//! times (24h and 1h ahead, open, close), whatever steps the clock takes and
//! whatever restarts happen; and the iCalendar file parses back.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

fn config() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts/calendar.toml")
}

fn run(script: &str, db: &std::path::Path, start: &str) -> String {
    common::console_run_with(script, db, Some(&config()), start)
}

/// Announcements by window opening: `weekly-prod Thu 3 Dec 2026 22:00` → phases seen.
fn announcements(output: &str) -> BTreeMap<String, Vec<String>> {
    let mut by_opening: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in output.lines() {
        let Some(rest) = line.strip_prefix("Release window ") else {
            continue;
        };
        let (window, rest) = rest.split_once(' ').unwrap();
        let (phase, when) = if let Some(r) = rest.strip_prefix("opens in ") {
            let (ahead, times) = r.split_once(": ").unwrap();
            (
                format!("before {ahead}"),
                times.split('–').next().unwrap().to_string(),
            )
        } else if let Some(r) = rest.strip_prefix("has closed (") {
            ("close".to_string(), r.split('–').next().unwrap().to_string())
        } else if let Some(r) = rest.strip_prefix("is open: ") {
            ("open".to_string(), r.split('–').next().unwrap().to_string())
        } else {
            panic!("unexpected announcement {line}")
        };
        by_opening
            .entry(format!("{window} {when}"))
            .or_default()
            .push(phase);
    }
    by_opening
}

#[test]
fn three_weeks_in_uneven_steps_with_a_restart_announce_each_opening_four_times() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("weeks.sqlite");
    // 2026-11-30 is a Monday; the first windows open on Thu 3 Dec.
    let first = run(
        ":advance 7h\n:advance 2d\n:advance 13h\n:advance 3d\n:advance 1h\n:advance 1d\n",
        &db,
        "2026-11-30T08:00:00Z",
    );
    // Down for 11 hours, then back: what fell due in between runs once, then more uneven steps.
    let second = run(
        ":advance 45m\n:advance 4d\n:advance 17h\n:advance 3d\n:advance 2d\n:advance 5h\n:advance 1d7h\n",
        &db,
        "2026-12-07T21:00:00Z",
    );
    let all = format!("{first}{second}");
    let seen = announcements(&all);
    // The openings of the three weeks, by hand: weekly-prod Thu 3, 10, 17 Dec 22:00 (London = UTC in
    // winter); staging-weekly Mon 7, 14 Dec 10:00. (Mon 30 Nov 10:00 opened two hours after the
    // start, too soon for its 24h announcement, so it is announced from 1h ahead on.)
    let full = [
        "weekly-prod Thu 3 Dec 2026 22:00",
        "staging-weekly Mon 7 Dec 2026 10:00",
        "weekly-prod Thu 10 Dec 2026 22:00",
        "staging-weekly Mon 14 Dec 2026 10:00",
        "weekly-prod Thu 17 Dec 2026 22:00",
    ];
    for opening in full {
        let phases = seen
            .get(opening)
            .unwrap_or_else(|| panic!("{opening} never announced: {seen:?}"));
        assert_eq!(phases.len(), 4, "{opening}: {phases:?}");
        assert_eq!(phases[0], "before 24h", "{opening}: {phases:?}");
        assert_eq!(phases[1], "before 1h");
        assert_eq!(phases[2], "open");
        assert_eq!(phases[3], "close");
    }
    for (opening, phases) in &seen {
        assert!(
            phases.len() <= 4,
            "{opening} announced {} times: {phases:?}",
            phases.len()
        );
        let mut unique = phases.clone();
        unique.dedup();
        assert_eq!(&unique, phases, "{opening} announced a phase twice");
    }
    // Nothing is left over: a third start at the same time says nothing.
    assert_eq!(run("", &db, "2026-12-19T02:45:00Z"), "");
}

#[test]
fn six_weeks_in_one_run_announce_the_openings_past_the_first_horizon() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("six-weeks.sqlite");
    // One process, day by day, from Mon 1 Feb 2027 (no freeze, London = UTC):
    // the openings after the first 30 days are scheduled as the days pass,
    // though the horizon was known covered on every poll before.
    let out = run(&":advance 1d\n".repeat(42), &db, "2027-02-01T08:00:00Z");
    let seen = announcements(&out);
    for opening in [
        "weekly-prod Thu 4 Mar 2027 22:00",
        "staging-weekly Mon 8 Mar 2027 10:00",
        "weekly-prod Thu 11 Mar 2027 22:00",
    ] {
        let phases = seen
            .get(opening)
            .unwrap_or_else(|| panic!("{opening} never announced: {seen:?}"));
        assert_eq!(phases, &["before 24h", "before 1h", "open", "close"], "{opening}");
    }
}

#[tokio::test]
async fn the_ics_file_parses_back() {
    let dir = tempfile::tempdir().unwrap();
    let config = release_desk::config::Config::load(Some(&config())).unwrap();
    let h = common::Harness::with_config(&dir.path().join("ics.sqlite"), config).await;
    h.run(
        ":as rita\n/rfc new title:T type:normal risk:low impact:i\n:as rm release_manager\n\
         /release new name:Pay version:1.0.0 rfcs:RFC-1\n/release schedule id:REL-1 window:weekly-prod\n",
    )
    .await;
    let reply = h.command_only("rita", "", "/calendar ics days:30").await;
    let release_desk::handlers::Reply::Private(out) = reply else {
        panic!("{reply:?}")
    };
    let file = out.attachment.expect("an attachment");
    assert_eq!(file.name, "release-desk.ics");
    let text = String::from_utf8(file.content).unwrap();
    let parsed: icalendar::Calendar = text.parse().expect("RFC 5545 that parses back");
    let summaries: Vec<String> = parsed
        .components
        .iter()
        .filter_map(|c| match c {
            icalendar::CalendarComponent::Event(e) => {
                use icalendar::Component;
                e.get_summary().map(str::to_string)
            }
            _ => None,
        })
        .collect();
    // Openings in the 30 days from Tue 1 Dec 09:00: weekly-prod Thu 3, 10, 17, 24 Dec; staging-weekly
    // Mon 7, 14, 21, 28 Dec; plus the booked release and the year-end freeze.
    assert!(
        summaries.contains(&"REL-1 Pay 1.0.0".to_string()),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"Freeze: year-end".to_string()),
        "{summaries:?}"
    );
    assert_eq!(
        summaries
            .iter()
            .filter(|s| s.starts_with("Release window weekly-prod"))
            .count(),
        4,
        "{summaries:?}"
    );
    assert_eq!(
        summaries
            .iter()
            .filter(|s| s.starts_with("Release window staging-weekly"))
            .count(),
        4,
        "{summaries:?}"
    );
}

/// The calendar of `calendar.toml` with `announce_empty` set as given.
fn config_with_announce_empty(dir: &std::path::Path, on: bool) -> PathBuf {
    let text = std::fs::read_to_string(config())
        .unwrap()
        .replace("announce_empty = true\n", &format!("announce_empty = {on}\n"));
    assert!(text.contains(&format!("announce_empty = {on}\n")));
    let path = dir.join(format!("announce-empty-{on}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Four weeks of an empty calendar, a day at a time.
fn four_empty_weeks(on: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with_announce_empty(dir.path(), on);
    common::console_run_with(
        &":advance 1d\n".repeat(28),
        &dir.path().join("empty.sqlite"),
        Some(&config),
        "2026-11-30T08:00:00Z",
    )
}

#[test]
fn an_empty_calendar_is_quiet_by_default_and_announced_four_times_a_window_when_asked() {
    let quiet = four_empty_weeks(false);
    assert!(
        !quiet.contains("Release window"),
        "an empty window was announced:\n{quiet}"
    );
    let loud = announcements(&four_empty_weeks(true));
    // Openings whose four announcements all fall in the 28 days (30 Nov 08:00 – 28 Dec 08:00):
    // weekly-prod Thu 3, 10, 17, 24 Dec 22:00; staging-weekly Mon 7, 14, 21 Dec 10:00.
    let full = [
        "weekly-prod Thu 3 Dec 2026 22:00",
        "weekly-prod Thu 10 Dec 2026 22:00",
        "weekly-prod Thu 17 Dec 2026 22:00",
        "weekly-prod Thu 24 Dec 2026 22:00",
        "staging-weekly Mon 7 Dec 2026 10:00",
        "staging-weekly Mon 14 Dec 2026 10:00",
        "staging-weekly Mon 21 Dec 2026 10:00",
    ];
    for opening in full {
        assert_eq!(loud.get(opening).map(Vec::len), Some(4), "{opening}: {loud:?}");
    }
    assert!(loud.values().all(|p| p.len() <= 4), "{loud:?}");
}
