//! Input that once ended the console, piped into the real binary: each bad
//! line is answered and the line after it still runs. And `backup`, which
//! copies a database into a new file with the same records.

mod common;

use std::path::Path;
use std::process::Output;

fn release_desk(args: &[&std::ffi::OsStr], stdin: &[u8]) -> Output {
    let config = common::no_windows_path();
    let mut all = args.to_vec();
    all.extend(["--config".as_ref(), config.as_os_str()]);
    common::release_desk(&all, stdin)
}

/// The console on the test's database at `db` (see [`common::database_url`])
/// over `input`; its output, after checking it exited 0.
fn console(db: &Path, input: &[u8]) -> String {
    console_on(common::database_url(db).as_ref(), input)
}

/// The console on `--db` `db` as given.
fn console_on(db: &std::ffi::OsStr, input: &[u8]) -> String {
    let out = release_desk(
        &[
            "console".as_ref(),
            "--db".as_ref(),
            db,
            "--start".as_ref(),
            "2026-12-01T09:00:00Z".as_ref(),
        ],
        input,
    );
    assert!(
        out.status.success(),
        "console exited with {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_line_that_is_not_utf8_is_answered_and_the_next_line_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut input = b":as rita\n/rfc new title:Caf\xe9 type:normal risk:low impact:i\n".to_vec();
    input.extend_from_slice(b"/rfc new title:Cafe type:normal risk:low impact:i\n:now\n");
    let out = console(&dir.path().join("utf8.sqlite"), &input);
    assert!(
        out.contains("[console] error: line 2 is not valid UTF-8 (bad byte after 18 bytes); it was skipped"),
        "{out}"
    );
    assert!(out.contains("RFC-1"), "the next line ran: {out}");
    assert!(!out.contains("RFC-2"), "the bad line stored nothing: {out}");
    assert!(out.contains("[console] now 2026-12-01T09:00:00+00:00"), "{out}");
}

#[test]
fn a_control_character_in_a_text_option_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nul.sqlite");
    let out = console(
        &db,
        b":as rita\n/rfc new title:A\x00B type:normal risk:low impact:i\n/rfc new title:\"Esc\x1b[31m\" type:normal risk:low impact:i\n\
          /rfc new title:Plain type:normal risk:low impact:i\n/rfc list\n",
    );
    assert!(
        out.contains("title contains a control character (U+0000 at character 2): type plain text."),
        "{out}"
    );
    assert!(
        out.contains("title contains a control character (U+001B at character 4): type plain text."),
        "{out}"
    );
    assert!(out.contains("RFC-1 Plain"), "the next line ran: {out}");
    assert!(!out.contains("RFC-2"), "{out}");
}

#[test]
fn advancing_the_clock_past_the_cap_is_refused_and_the_next_line_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = console(
        &dir.path().join("advance.sqlite"),
        b":advance 100000d\n:advance 100000w100000w\n:advance 367d\n:advance 366d\n:now\n",
    );
    for typed in ["100000d", "100000w100000w", "367d"] {
        assert!(
            out.contains(&format!(
                "[console] error: :advance {typed} is too far — at most 366d at a time"
            )),
            "{typed}: {out}"
        );
    }
    // 366 days after 2026-12-01 09:00 UTC.
    assert!(out.contains("[console] now 2027-12-02T09:00:00+00:00"), "{out}");
}

/// Every row of every table (the console's own included), every column.
async fn dump(db: &release_desk::db::Db) -> String {
    let tables: Vec<String> = release_desk::db::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut out = String::new();
    for t in tables {
        let columns: Vec<String> =
            release_desk::db::query_scalar(&format!("SELECT name FROM pragma_table_info('{t}')"))
                .fetch_all(&db.pool)
                .await
                .unwrap();
        let list = columns
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || ',' || ");
        let rows: Vec<String> =
            release_desk::db::query_scalar(&format!("SELECT {list} FROM \"{t}\" ORDER BY 1"))
                .fetch_all(&db.pool)
                .await
                .unwrap();
        out.push_str(&format!("{t}: {}\n", rows.join(" | ")));
    }
    out
}

#[tokio::test]
async fn backup_writes_a_copy_with_the_same_records_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.sqlite");
    let copy = dir.path().join("copy.sqlite");
    // SQLite only: backup copies an SQLite file (VACUUM INTO); PostgreSQL's is pg_dump.
    console_on(
        db.as_os_str(),
        b":as rita\n/rfc new title:Kept type:normal risk:low impact:i\n:as rm release_manager\n\
          /release new name:Kept version:1.0.0 rfcs:RFC-1\n",
    );
    let args = |to: &Path| {
        release_desk(
            &[
                "backup".as_ref(),
                "--db".as_ref(),
                db.as_os_str(),
                "--to".as_ref(),
                to.as_os_str(),
            ],
            b"",
        )
    };
    let out = args(&copy);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let original = release_desk::db::Db::open(db.to_str().unwrap()).await.unwrap();
    let copied = release_desk::db::Db::open(copy.to_str().unwrap()).await.unwrap();
    let (a, b) = (dump(&original).await, dump(&copied).await);
    assert!(a.contains("'Kept'") && a.contains("audit: "), "{a}");
    assert_eq!(a, b);
    // The comparison sees one changed column of one row.
    release_desk::db::query("UPDATE rfcs SET title = 'Changed'")
        .execute(&copied.pool)
        .await
        .unwrap();
    assert_ne!(dump(&copied).await, a);
    // An existing target is refused and left as it was (compared by its
    // contents: the bytes of a file SQLite just closed may still settle).
    let before = dump(&copied).await;
    copied.close().await;
    let again = args(&copy);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("the file exists; backup never overwrites"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let reopened = release_desk::db::Db::open(copy.to_str().unwrap()).await.unwrap();
    assert_eq!(dump(&reopened).await, before);
}
