//! Golden transcripts: a console script in, the transcript out, compared
//! with the stored one. The real binary runs on a real SQLite file.
//! `BLESS=1 cargo test --test transcripts` rewrites the stored outputs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const START: &str = "2026-12-01T09:00:00Z";

/// Runs the console binary over `script` on the database `db`.
pub fn run_console(script: &str, db: &Path, config: Option<&Path>, start: &str) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_release-desk"));
    cmd.arg("console").arg("--db").arg(db).arg("--start").arg(start);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    cmd.env_remove("DISCORD_TOKEN")
        .env_remove("DATABASE_URL")
        .env_remove("RELEASE_DESK_CONFIG");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn release-desk");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "console exited with {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn check(name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    let script = std::fs::read_to_string(dir.join(format!("{name}.in"))).unwrap();
    let config = dir.join(format!("{name}.toml"));
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("t.sqlite");
    let actual = run_console(&script, &db, config.exists().then_some(config.as_path()), START)
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
