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
