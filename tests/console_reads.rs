//! The console's reads across tables on both backends: the time it last saw
//! (where its clock starts without `--start`) and the record ids it
//! completes, on the test's database (an SQLite file, or PostgreSQL in
//! scripts/test's second pass).
//! PostgreSQL 15 refused both statements (a subquery in FROM without an
//! alias), so the console without `--start` failed at start on a server.

mod common;

use chrono::{TimeZone, Utc};
use release_desk::db::{console, query, Db};

/// Empty, then after one RFC and one job done: what the two reads answer.
async fn check(path: &std::path::Path) {
    let db = Db::open(&common::database_url(path)).await.unwrap();
    let url = common::database_url(path);
    {
        let mut conn = db.pool.acquire().await.unwrap();
        assert_eq!(console::last_seen(&mut conn, "g").await.unwrap(), None, "{url}");
        assert!(
            console::record_ids(&mut conn, "g").await.unwrap().is_empty(),
            "{url}"
        );
    }
    let mut tx = db.begin().await.unwrap();
    for sql in [
        "INSERT INTO rfcs (guild, number, title, rfc_type, risk, impact, requester, requester_name, status, created_at)
         VALUES ('g', 1, 't', 'normal', 'low', 'i', 'u', 'u', 'open', '2026-03-01T08:00:00.000Z')",
        "INSERT INTO jobs (guild, kind, key, due_at, payload, done_at)
         VALUES ('g', 'window', 'k1', '2026-03-01T09:00:00.000Z', '{}', '2026-03-01T09:30:00.000Z')",
        // Another workspace's later job: not this one's time.
        "INSERT INTO jobs (guild, kind, key, due_at, payload, done_at)
         VALUES ('h', 'window', 'k2', '2026-03-02T09:00:00.000Z', '{}', '2026-03-02T09:00:00.000Z')",
    ] {
        query(sql)
            .execute(&mut tx)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    tx.commit().await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(
        console::last_seen(&mut conn, "g").await.unwrap(),
        Some(Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap()),
        "{url}"
    );
    assert_eq!(
        console::record_ids(&mut conn, "g").await.unwrap(),
        ["RFC-1"],
        "{url}"
    );
}

#[tokio::test]
async fn the_console_reads_answer_on_either_backend() {
    let dir = tempfile::tempdir().unwrap();
    check(&dir.path().join("c.sqlite")).await;
}
