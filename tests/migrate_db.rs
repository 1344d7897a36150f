//! `release-desk migrate-db`, the real binary: an SQLite file populated
//! through the real console (RFCs, releases through CAB votes, deployments
//! and a back-out, incidents, reviews, the audit trail, jobs, outbox) copied
//! into a fresh database on a PostgreSQL cluster this test starts; then both
//! hold the same rows, table by table, and the copy refuses what it must.

mod common;

use common::pg::Cluster;
use release_desk::db::migrate_db::checksums;
use sqlx::{Connection, PgConnection};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

const START: &str = "2026-12-01T09:00:00Z";

/// The governance transcript's script (the widest one) run by the real
/// console into a new SQLite file.
fn populated(dir: &Path) -> PathBuf {
    let transcripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    let db = dir.join("desk.sqlite");
    let script = std::fs::read_to_string(transcripts.join("governance.in")).unwrap();
    let config = transcripts.join("governance.toml");
    let out = common::release_desk(
        &[
            OsStr::new("console"),
            OsStr::new("--db"),
            db.as_os_str(),
            OsStr::new("--config"),
            config.as_os_str(),
            OsStr::new("--start"),
            OsStr::new(START),
        ],
        script.as_bytes(),
    );
    assert!(
        out.status.success(),
        "console: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

fn migrate_db(from: &str, to: &str) -> Output {
    common::release_desk(
        &[
            OsStr::new("migrate-db"),
            OsStr::new("--from"),
            OsStr::new(from),
            OsStr::new("--to"),
            OsStr::new(to),
        ],
        b"",
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn a_populated_database_moves_whole_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = populated(dir.path());
    let from = format!("sqlite://{}", db.display());
    let cluster = Cluster::start();
    let to = cluster.fresh_database();

    let out = migrate_db(&from, &to);
    assert!(out.status.success(), "migrate-db: {}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(
        printed.contains("each table's row count and checksum agree on both sides"),
        "{printed}"
    );

    // Both sides read again, independently of the copy: the same rows in every table.
    let on_sqlite = checksums(&from).await.unwrap();
    let on_postgres = checksums(&to).await.unwrap();
    assert_eq!(on_sqlite, on_postgres);
    for table in [
        "rfcs",
        "releases",
        "release_rfcs",
        "package_items",
        "audit",
        "polls",
        "votes",
        "deployments",
        "incidents",
        "release_reviews",
        "jobs",
        "outbox",
        "bot_messages",
        "console_messages",
    ] {
        let (rows, _) = on_sqlite
            .get(table)
            .unwrap_or_else(|| panic!("table {table} in the schema"));
        assert!(*rows > 0, "the console left rows in {table}");
    }
    // The summary names every table with its count and checksum.
    for (table, (rows, sum)) in &on_sqlite {
        assert!(
            printed.lines().any(|l| l.split_whitespace().next() == Some(table)
                && l.contains(&format!(" {rows} row"))
                && l.contains(&sum[..16])),
            "{table} ({rows} rows) in:\n{printed}"
        );
    }

    let mut pg = PgConnection::connect(&to).await.unwrap();
    // The ids are the source's, and new ones follow them.
    let mut lite = sqlx::SqliteConnection::connect(&from).await.unwrap();
    let max = |table: &str| format!("SELECT MAX(id) FROM {table}");
    let rfcs_max: i64 = sqlx::query_scalar(&max("rfcs"))
        .fetch_one(&mut lite)
        .await
        .unwrap();
    let audit_max: i64 = sqlx::query_scalar(&max("audit"))
        .fetch_one(&mut lite)
        .await
        .unwrap();
    lite.close().await.unwrap();
    let next: i64 = sqlx::query_scalar(
        "INSERT INTO rfcs (guild, number, title, rfc_type, risk, impact, requester, requester_name, status, created_at) \
         VALUES ('other', 1, 't', 'normal', 'low', 'i', 'u', 'u', 'open', '2026-12-09T00:00:00.000Z') RETURNING id",
    )
    .fetch_one(&mut pg)
    .await
    .unwrap();
    assert_eq!(next, rfcs_max + 1, "the RFC ids continue after the copied ones");
    let next_audit: i64 = sqlx::query_scalar(
        "INSERT INTO audit (guild, at, actor, actor_name, record, action) \
         VALUES ('other', '2026-12-09T00:00:00.000Z', 'u', 'u', 'RFC-1', 'rfc.new') RETURNING id",
    )
    .fetch_one(&mut pg)
    .await
    .unwrap();
    assert_eq!(next_audit, audit_max + 1);

    // A second run refuses the target, now not empty, naming its tables.
    let again = migrate_db(&from, &to);
    assert!(!again.status.success());
    let refused = text(&again.stderr);
    assert!(
        refused.contains("the target is not empty") && refused.contains("table audit ("),
        "{refused}"
    );
    let before = checksums(&to).await.unwrap();
    assert_eq!(
        before["rfcs"].0,
        on_sqlite["rfcs"].0 + 1,
        "nothing was added by the refused run"
    );

    // A changed value shows in its table's checksum alone.
    sqlx::query("UPDATE rfcs SET title = title || '.' WHERE id = 1")
        .execute(&mut pg)
        .await
        .unwrap();
    let after = checksums(&to).await.unwrap();
    let changed: Vec<&String> = after.keys().filter(|t| after[*t] != before[*t]).collect();
    assert_eq!(changed, ["rfcs"]);
    pg.close().await.unwrap();
}

#[tokio::test]
async fn what_is_refused_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = populated(dir.path());
    let from = format!("sqlite://{}", db.display());
    let cluster = Cluster::start();

    // A target of another schema version.
    let older = cluster.fresh_database();
    let mut pg = PgConnection::connect(&older).await.unwrap();
    sqlx::migrate::Migrator::new(release_desk::db::pg_migrations::Embedded {
        set: release_desk::db::pg_migrations::PG_MIGRATIONS,
        version: 1,
    })
    .await
    .unwrap()
    .run(&mut pg)
    .await
    .unwrap();
    let out = migrate_db(&from, &older);
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(said.contains("the target's schema version is 1"), "{said}");
    let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM rfcs")
        .fetch_one(&mut pg)
        .await
        .unwrap();
    assert_eq!(tables, 0);
    pg.close().await.unwrap();

    // A database a bot is running on (it holds the lock).
    let to = cluster.fresh_database();
    let held = release_desk::db::lock::hold(&db).unwrap();
    let out = migrate_db(&from, &to);
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains("a running bot holds this database")
            && said.contains(&format!("pid {}", std::process::id())),
        "{said}"
    );
    drop(held);
    let mut pg = PgConnection::connect(&to).await.unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace",
    )
    .fetch_one(&mut pg)
    .await
    .unwrap();
    assert_eq!(tables, 0, "nothing was created for a refused copy");
    pg.close().await.unwrap();

    // A password in the URL is never printed, not even when the connection fails.
    let secret = format!(
        "postgres://postgres:s3cret-pw@127.0.0.1:{}/no_such_db",
        cluster.port()
    );
    let out = migrate_db(&from, &secret);
    assert!(!out.status.success());
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!said.contains("s3cret-pw"), "{said}");
    assert!(said.contains("postgres:***@127.0.0.1"), "{said}");

    // Not a PostgreSQL target; a source that does not exist.
    let out = migrate_db(&from, "sqlite://elsewhere.sqlite");
    assert!(text(&out.stderr).contains("--to: expected a PostgreSQL URL"));
    let out = migrate_db("sqlite:///no/such/file.sqlite", &to);
    assert!(
        text(&out.stderr).contains("no such database"),
        "{}",
        text(&out.stderr)
    );
}

/// After the copy the console and `release-desk report` answer alike on
/// both databases: the records, the audit trail and the jobs due since are
/// the same.
#[tokio::test]
async fn the_console_and_the_report_answer_alike_on_both() {
    let dir = tempfile::tempdir().unwrap();
    let db = populated(dir.path());
    let cluster = Cluster::start();
    let to = cluster.fresh_database();
    let out = migrate_db(&format!("sqlite://{}", db.display()), &to);
    assert!(out.status.success(), "migrate-db: {}", text(&out.stderr));
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts/governance.toml");
    let run = |args: &[&OsStr], stdin: &str| {
        let mut all: Vec<&OsStr> = args.to_vec();
        all.extend([OsStr::new("--config"), config.as_os_str()]);
        let out = common::release_desk(&all, stdin.as_bytes());
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let answers = |database: &OsStr| {
        let mut said = String::new();
        for format in ["text", "json", "csv"] {
            said.push_str(&run(
                &[
                    OsStr::new("report"),
                    OsStr::new("--db"),
                    database,
                    OsStr::new("--from"),
                    OsStr::new("2026-12-01"),
                    OsStr::new("--to"),
                    OsStr::new("2026-12-31"),
                    OsStr::new("--format"),
                    OsStr::new(format),
                ],
                "",
            ));
        }
        said.push_str(&run(
            &[
                OsStr::new("console"),
                OsStr::new("--db"),
                database,
                OsStr::new("--start"),
                OsStr::new("2026-12-20T09:00:00Z"),
            ],
            "/release show id:REL-1\n/release show id:REL-2\n/rfc list\n/rfc show id:RFC-1\n\
             /audit log id:REL-1 limit:20\n/audit log id:INC-1\n/deploy status release:REL-1\n",
        ));
        said
    };
    let on_sqlite = answers(db.as_os_str());
    let on_postgres = answers(OsStr::new(&to));
    // Something was said about each record asked for.
    for shown in ["REL-1", "REL-2", "RFC-1", "INC-1"] {
        assert!(on_sqlite.contains(shown), "{shown} in:\n{on_sqlite}");
    }
    assert_eq!(on_sqlite, on_postgres);
}
