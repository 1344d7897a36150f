//! Every duration and count key, at its bound and just past it, through the
//! real binary: `check-config` accepts the one and refuses the other, naming
//! key, value and range; and a configuration at every bound runs — a CAB
//! submission, a year of the scheduler — without a panic.

mod common;

use std::path::Path;
use std::process::Output;

fn release_desk(config: &Path, args: &[&std::ffi::OsStr], stdin: &[u8]) -> Output {
    let mut all = args.to_vec();
    all.extend(["--config".as_ref(), config.as_os_str()]);
    common::release_desk(&all, stdin)
}

/// A weekly window whose duration is `duration`.
fn window(duration: &str) -> String {
    format!(
        "[[calendar.windows]]\nname = \"w\"\ncron = \"0 0 22 * * Thu\"\nduration = \"{duration}\"\nenvironments = [\"prod\"]\n"
    )
}

/// Each key with its largest accepted value, the value just past it, and what check-config says past it.
fn cases() -> Vec<(&'static str, String, String, &'static str)> {
    let d = "a duration from 1s to 366d";
    let votes = "a number of votes from 1 to 1000";
    vec![
        (
            "cab.deadline",
            "[cab]\ndeadline = \"366d\"\n".into(),
            "[cab]\ndeadline = \"366d1s\"\n".into(),
            d,
        ),
        (
            "cab.deadline",
            "[cab]\ndeadline = \"52w2d\"\n".into(),
            "[cab]\ndeadline = \"100000w\"\n".into(),
            d,
        ),
        (
            "cab.emergency_deadline",
            "[cab]\nemergency_deadline = \"366d\"\n".into(),
            "[cab]\nemergency_deadline = \"366d1s\"\n".into(),
            d,
        ),
        (
            "calendar.announce_before",
            "[calendar]\nannounce_before = [\"1h\", \"366d\"]\n".into(),
            "[calendar]\nannounce_before = [\"1h\", \"366d1s\"]\n".into(),
            d,
        ),
        (
            "calendar.windows[0].duration",
            window("366d"),
            window("366d1s"),
            d,
        ),
        (
            "cab.quorum",
            "[cab]\nquorum = 1000\n".into(),
            "[cab]\nquorum = 1001\n".into(),
            votes,
        ),
        (
            "cab.quorum",
            "[cab]\nquorum = 1\n".into(),
            "[cab]\nquorum = 4000000000\n".into(),
            votes,
        ),
        (
            "cab.quorum_high",
            "[cab]\nquorum_high = 1000\n".into(),
            "[cab]\nquorum_high = 1001\n".into(),
            votes,
        ),
        (
            "cab.emergency_quorum",
            "[cab]\nemergency_quorum = 1000\n".into(),
            "[cab]\nemergency_quorum = 1001\n".into(),
            votes,
        ),
        (
            "cab.early_approval",
            "[cab]\nearly_approval = 1000\n".into(),
            "[cab]\nearly_approval = 1001\n".into(),
            "0 (wait for the deadline) or a number of approvals from 1 to 1000",
        ),
        (
            "els.days",
            "[els]\ndays = 365\n".into(),
            "[els]\ndays = 366\n".into(),
            "a number of days from 0 to 365",
        ),
        (
            "els.attribution_days",
            "[els]\nattribution_days = 3650\n".into(),
            "[els]\nattribution_days = 3651\n".into(),
            "a number of days from 1 to 3650",
        ),
    ]
}

fn check(dir: &Path, name: &str, toml: &str) -> Output {
    let path = dir.join(name);
    std::fs::write(&path, toml).unwrap();
    release_desk(&path, &["check-config".as_ref()], b"")
}

#[test]
fn check_config_accepts_every_key_at_its_bound_and_refuses_it_just_past() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (key, at, past, expected)) in cases().into_iter().enumerate() {
        let ok = check(dir.path(), &format!("at{i}.toml"), &at);
        assert!(
            ok.status.success(),
            "{key} at its bound:\n{at}\n{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        let bad = check(dir.path(), &format!("past{i}.toml"), &past);
        let stderr = String::from_utf8_lossy(&bad.stderr);
        assert_eq!(
            bad.status.code(),
            Some(2),
            "{key} past its bound:\n{past}\n{stderr}"
        );
        let value = past
            .lines()
            .find_map(|l| l.split_once(" = ").filter(|(k, _)| key.ends_with(k.trim())))
            .map(|(_, v)| v.trim_start_matches('[').trim_end_matches(']').trim().to_string())
            .unwrap();
        // A list names the bad entry only.
        let value = value.rsplit(", ").next().unwrap();
        assert!(
            stderr.contains(&format!("  {key}: {value} — expected {expected}\n")),
            "{key} = {value}:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_configuration_at_every_bound_runs_a_cab_vote_and_a_year_of_the_scheduler() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bounds.toml");
    std::fs::write(
        &config,
        format!(
            "[cab]\nquorum = 1000\nquorum_high = 1000\nemergency_quorum = 1000\nearly_approval = 1000\n\
             deadline = \"366d\"\nemergency_deadline = \"366d\"\n[calendar]\nannounce_before = [\"366d\", \"1h\"]\nannounce_empty = true\n\
             [els]\ndays = 365\nattribution_days = 3650\n{}",
            window("366d")
        ),
    )
    .unwrap();
    let db = dir.path().join("bounds.sqlite");
    let out = release_desk(
        &config,
        &[
            "console".as_ref(),
            "--db".as_ref(),
            db.as_os_str(),
            "--start".as_ref(),
            "2026-12-01T09:00:00Z".as_ref(),
        ],
        b":as rita\n/rfc new title:Far type:normal risk:low impact:i\n:as rm release_manager\n\
          /release new name:Far version:1.0.0 rfcs:RFC-1\n/release plan id:REL-1 backout:b acceptance:a\n\
          /release submit id:REL-1\n:advance 366d\n:now\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}\n{stderr}", out.status);
    assert!(
        stdout.contains("Rule: majority, quorum 1000, veto: change_manager, early approval at 1000"),
        "{stdout}"
    );
    assert!(stdout.contains("closes Thu 2 Dec 2027"), "{stdout}");
    assert!(
        stdout.contains("CLOSED: expired (0 votes of quorum 1000)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Release window w opens in 1h"),
        "the scheduler ran the window jobs: {stdout}"
    );
    assert!(
        stdout.contains("[console] now 2027-12-02T09:00:00+00:00"),
        "{stdout}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_console_given_a_configuration_past_a_bound_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("past.toml");
    std::fs::write(&config, "[cab]\ndeadline = \"100000w\"\n").unwrap();
    let db = dir.path().join("past.sqlite");
    let out = release_desk(
        &config,
        &["console".as_ref(), "--db".as_ref(), db.as_os_str()],
        b":as rm release_manager\n/release submit id:REL-1\n",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cab.deadline: \"100000w\" — expected a duration from 1s to 366d"),
        "{stderr}"
    );
    assert!(!db.exists(), "nothing was opened");
}
