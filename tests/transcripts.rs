//! Golden transcripts: a console script in, the transcript out, compared
//! with the stored one. The real binary runs on a real SQLite file.
//! `BLESS=1 cargo test --test transcripts` rewrites the stored outputs.

mod common;

use std::path::PathBuf;

const START: &str = "2026-12-01T09:00:00Z";

fn check(name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    let script = std::fs::read_to_string(dir.join(format!("{name}.in"))).unwrap();
    let config = dir.join(format!("{name}.toml"));
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let actual = common::console_run_with(&script, &db, config.exists().then_some(config.as_path()), START)
        .replace(&tmp.path().display().to_string(), "<tmp>");
    let raw = raw_times(&actual);
    assert!(
        raw.is_empty(),
        "transcript {name}: RFC 3339 times in messages: {raw:#?}"
    );
    let hints = dm_hints(&actual);
    assert!(
        hints.is_empty(),
        "transcript {name}: direct messages with command hints: {hints:#?}"
    );
    let golden = dir.join(format!("{name}.out"));
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&golden, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    if actual != expected {
        let line = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or(actual.lines().count().min(expected.lines().count()));
        panic!(
            "transcript {name} differs from {} at line {}:\n  got:      {:?}\n  expected: {:?}\n(run BLESS=1 cargo test --test transcripts to accept)",
            golden.display(),
            line + 1,
            actual.lines().nth(line),
            expected.lines().nth(line)
        );
    }
}

/// The lines of direct messages (`[dm → …]` blocks) that name a slash
/// command: a DM is read away from the channels, so it carries no hints.
fn dm_hints(transcript: &str) -> Vec<String> {
    let commands: Vec<String> = std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("commands"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            let stem = p.file_stem()?.to_str()?.to_string();
            (p.extension()? == "toml").then(|| format!("/{stem}"))
        })
        .collect();
    assert!(commands.len() >= 5, "{commands:?}");
    let mut in_dm = false;
    let mut found = Vec::new();
    for line in transcript.lines() {
        if line.starts_with('[') || line.starts_with("> ") {
            in_dm = line.starts_with("[dm → ");
            continue;
        }
        if in_dm
            && commands
                .iter()
                .any(|c| line.contains(&format!("{c} ")) || line.contains(&format!("{c})")))
        {
            found.push(line.to_string());
        }
    }
    found
}

/// The output lines (not the echoed input) holding an RFC 3339 time such
/// as `2026-12-03T22:00`: messages show times in the calendar's zone.
fn raw_times(transcript: &str) -> Vec<String> {
    let stamp = |w: &[u8]| {
        let digits = |r: std::ops::Range<usize>| r.into_iter().all(|i| w[i].is_ascii_digit());
        digits(0..4)
            && w[4] == b'-'
            && digits(5..7)
            && w[7] == b'-'
            && digits(8..10)
            && w[10] == b'T'
            && digits(11..13)
    };
    transcript
        .lines()
        .filter(|l| !l.starts_with("> "))
        .filter(|l| l.as_bytes().windows(13).any(stamp))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_time_check_finds_a_raw_time_but_not_in_the_input() {
    let t = "> /release schedule id:REL-1 at:2026-12-03T22:00:00Z\n[#general msg:3]\nbooked Thu 3 Dec 2026 22:00\n  until 2026-12-17T22:00:00+00:00.";
    assert_eq!(
        raw_times(t),
        vec!["  until 2026-12-17T22:00:00+00:00.".to_string()]
    );
}

#[test]
fn the_dm_check_finds_a_hint_and_only_in_a_dm() {
    let t = "> /release show id:REL-1\n[#general msg:3]\nREL-1 — next: /release plan\n[dm → rita]\nREL-1 approved.\n  next: /release prepare, /release cancel\n[ephemeral → rm]\nuse /deploy plan";
    assert_eq!(
        dm_hints(t),
        vec!["  next: /release prepare, /release cancel".to_string()]
    );
    assert!(dm_hints("[dm → rita]\nThe CAB approved REL-1 (your RFC-1).").is_empty());
}

#[test]
fn happy_path() {
    check("happy_path");
}

#[test]
fn refusals() {
    check("refusals");
}

#[test]
fn cab_rules() {
    check("cab_rules");
}

#[test]
fn cab_early() {
    check("cab_early");
}

#[test]
fn calendar() {
    check("calendar");
}

#[test]
fn deployments() {
    check("deployments");
}

#[test]
fn governance() {
    check("governance");
}

#[test]
fn cab_workflow() {
    check("cab_workflow");
}
