//! Console hygiene on the real binary: where the database comes from, a
//! clock that never goes behind the records, a complete .sqlite file on
//! exit, and `:as` that refuses roles nobody has.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs the console without `--db` or `--start`, with `DATABASE_URL` as given.
fn console_env(script: &str, dir: &Path, url: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_release-desk"))
        .arg("console")
        .arg("--config")
        .arg(common::no_windows_path())
        .current_dir(dir)
        .env_remove("DISCORD_TOKEN")
        .env_remove("RELEASE_DESK_CONFIG")
        .env("DATABASE_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn now_line(out: &str) -> chrono::DateTime<chrono::Utc> {
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("[console] now "))
        .unwrap_or_else(|| panic!("no :now answer in {out}"));
    chrono::DateTime::parse_from_rfc3339(line).unwrap().to_utc()
}

#[test]
fn database_url_names_the_file_and_the_clock_never_goes_behind_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("from-env.sqlite");
    // Far in the future, so the wall clock is behind what the file has seen.
    let future = "2090-06-01T12:00:00Z";
    let first = common::console_run(
        ":as rita release_manager\n/rfc new title:\"Later\" type:normal risk:low impact:none\n:advance 2h\n",
        &db,
        future,
    );
    assert!(first.contains("RFC-1"), "{first}");
    let out = console_env(
        ":now\n/rfc list\n",
        dir.path(),
        &format!("sqlite://{}", db.display()),
    );
    // The RFC of the first run is there: the console opened the file DATABASE_URL names.
    assert!(out.contains("RFC-1 Later"), "{out}");
    assert!(!dir.path().join("release-desk.sqlite").exists());
    let now = now_line(&out);
    assert!(
        now >= "2090-06-01T12:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        "the clock went behind the records: {now}"
    );
}

#[test]
fn on_exit_the_sqlite_file_alone_is_a_complete_copy() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wal.sqlite");
    common::console_run(
        ":as rita release_manager\n/rfc new title:\"Kept\" type:normal risk:low impact:none\n",
        &db,
        "2026-12-01T09:00:00Z",
    );
    let wal = dir.path().join("wal.sqlite-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "the write-ahead log still holds data"
    );
    // Only the .sqlite file, copied alone, still has the RFC.
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("copy.sqlite");
    std::fs::copy(&db, &copy).unwrap();
    let out = common::console_run("/rfc list\n", &copy, "2026-12-01T10:00:00Z");
    assert!(out.contains("RFC-1 Kept"), "{out}");
}

#[test]
fn as_refuses_unknown_roles_and_takes_quoted_names_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("as.sqlite");
    let out = common::console_run(
        ":as \"bob smith\" Release_Manager\n/rfc new title:\"By Bob\" type:normal risk:low impact:none\n:as mallory relase_manager\n/rfc list\n",
        &db,
        "2026-12-01T09:00:00Z",
    );
    let refusal = out
        .lines()
        .find(|l| l.starts_with("[console]") && l.contains("relase_manager"))
        .unwrap_or_else(|| panic!("no refusal: {out}"));
    assert!(
        refusal.contains("nothing changed") && refusal.contains("release_manager"),
        "{refusal}"
    );
    // Still bob: the refused :as changed nothing.
    assert!(out.contains("[ephemeral → bob smith]"), "{out}");
    assert!(!out.contains("mallory]"), "{out}");
}
