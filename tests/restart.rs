//! Nothing is lost or doubled across restarts: messages queued before a
//! crash are delivered once after it, and a poll deadline that passed while
//! the bot was down is decided once on start; a command keyed by a Discord
//! interaction id changes records once, whichever process sees it again.

mod common;

use common::{console_run, sql_count, Harness};

/// 09:00 UTC on 1 December 2026, the day the stored-time tests start.
fn day0() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// A new database in a directory of its own (kept while the handle lives).
async fn fresh_db() -> (tempfile::TempDir, release_desk::db::Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = release_desk::db::Db::open(&common::database_url(&dir.path().join("db.sqlite")))
        .await
        .unwrap();
    (dir, db)
}

#[tokio::test]
async fn a_message_queued_before_a_crash_is_delivered_once_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("crash.sqlite");
    {
        let h = Harness::open(&db_path).await;
        h.run(
            ":as rita\n/rfc new title:T type:normal risk:low impact:i\n:as rm release_manager\n\
             /release new name:N version:1.0.0 rfcs:RFC-1\n/release plan id:REL-1 backout:b acceptance:a\n",
        )
        .await;
        // The state change commits with its messages queued; the process "dies" before delivery.
        let reply = h
            .command_only("rm", "release_manager", "/release submit id:REL-1")
            .await;
        assert!(
            matches!(reply, release_desk::handlers::Reply::Public(_)),
            "{reply:?}"
        );
        assert_eq!(
            sql_count(
                &h.app.db,
                "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL"
            )
            .await,
            4
        );
        assert_eq!(
            sql_count(
                &h.app.db,
                "SELECT COUNT(*) FROM console_messages WHERE channel = 'cab'"
            )
            .await,
            0
        );
        // Worse: the platform took the post but the bot died before recording it.
        h.post_without_recording("cab").await;
    }
    let h = Harness::open(&db_path).await;
    h.settle().await;
    assert_eq!(
        sql_count(
            &h.app.db,
            "SELECT COUNT(*) FROM console_messages WHERE channel = 'cab'"
        )
        .await,
        1,
        "posted once"
    );
    assert_eq!(
        sql_count(
            &h.app.db,
            "SELECT COUNT(*) FROM console_reactions WHERE \"user\" = 'release-desk'"
        )
        .await,
        3
    );
    assert_eq!(
        sql_count(
            &h.app.db,
            "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL"
        )
        .await,
        0
    );
    let before = h.output();
    h.settle().await;
    assert_eq!(h.output(), before, "a second start delivers nothing more");
}

#[test]
fn a_deadline_that_passed_during_downtime_is_decided_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("downtime.sqlite");
    let first = console_run(
        ":as rita\n/rfc new title:T type:normal risk:low impact:i\n:as rm release_manager\n\
         /release new name:N version:1.0.0 rfcs:RFC-1\n/release plan id:REL-1 backout:b acceptance:a\n\
         /release submit id:REL-1\n:as c1 cab_member\n:react last:#cab ✅\n:as c2 cab_member\n:react last:#cab ✅\n\
         :as c3 cab_member\n:react last:#cab ❌\n",
        &db,
        "2026-12-01T09:00:00Z",
    );
    assert!(!first.contains("CLOSED"), "{first}");
    // The bot comes back three days later: the deadline fell due while it was down.
    let second = console_run("", &db, "2026-12-04T09:00:00Z");
    assert!(second.contains("CLOSED: approved"), "{second}");
    assert!(
        second.contains("REL-1 approved by the CAB (2 ✅, 1 ❌, 0 🤷) — state Preparing"),
        "{second}"
    );
    let third = console_run("", &db, "2026-12-05T09:00:00Z");
    assert_eq!(third, "", "a second restart does nothing more");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = release_desk::db::Db::open(&common::database_url(&db))
            .await
            .unwrap();
        assert_eq!(
            sql_count(&db, "SELECT COUNT(*) FROM audit WHERE action = 'poll.close'").await,
            1
        );
        assert_eq!(
            sql_count(&db, "SELECT COUNT(*) FROM polls WHERE outcome = 'approved'").await,
            1
        );
        assert_eq!(
            sql_count(&db, "SELECT COUNT(*) FROM releases WHERE state = 'preparing'").await,
            1
        );
        assert_eq!(
            sql_count(&db, "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL").await,
            0
        );
    });
}

#[tokio::test]
async fn a_keyed_command_changes_records_once_across_a_restart() {
    use release_desk::handlers::Reply;
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("keyed.sqlite");
    let new_rfc = "/rfc new title:\"Keyed\" type:standard risk:low impact:none";
    {
        let h = Harness::open(&db_path).await;
        let first = h.command_keyed("rita", "", new_rfc, "9001").await;
        assert!(matches!(first, Some(Reply::Public(_))), "{first:?}");
        let again = h.command_keyed("rita", "", new_rfc, "9001").await;
        assert_eq!(again, None, "the same key in the same process");
        // A refused command changes nothing, so its key stays free.
        let refused = h
            .command_keyed("rita", "", "/rfc withdraw id:RFC-99", "9002")
            .await;
        assert!(matches!(refused, Some(Reply::Private(_))), "{refused:?}");
    }
    let h = Harness::open(&db_path).await;
    let after = h.command_keyed("rita", "", new_rfc, "9001").await;
    assert_eq!(after, None, "the same key after a restart");
    let other = h.command_keyed("rita", "", new_rfc, "9003").await;
    assert!(matches!(other, Some(Reply::Public(_))), "{other:?}");
    assert_eq!(sql_count(&h.app.db, "SELECT COUNT(*) FROM rfcs").await, 2);
    assert_eq!(
        sql_count(&h.app.db, "SELECT COUNT(*) FROM interactions WHERE id = '9002'").await,
        0,
        "a refusal claims nothing"
    );
}

#[tokio::test]
async fn the_checkpointer_empties_the_log_once_writes_stop_and_waits_for_readers() {
    use release_desk::db::checkpoint::{Checkpointer, Done};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ckpt.sqlite");
    let wal = dir.path().join("ckpt.sqlite-wal");
    // SQLite only: the checkpointer and the -wal file it empties are SQLite's.
    let db = release_desk::db::Db::open_service(path.to_str().unwrap())
        .await
        .unwrap();
    let mut ckpt = Checkpointer::open(&db).await.unwrap();
    let write = |n: i64| {
        let db = db.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            release_desk::db::query(
                "INSERT INTO interactions (id, seen_at) VALUES ($1, '2026-12-01T09:00:00.000Z')",
            )
            .bind(n.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
    };
    for n in 0..50 {
        write(n).await;
    }
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);
    assert_eq!(ckpt.tick(&db).await.unwrap(), Done::Passive, "after writes");
    assert_eq!(ckpt.tick(&db).await.unwrap(), Done::Truncated, "once writes stop");
    assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0, "the log is empty");
    assert_eq!(ckpt.tick(&db).await.unwrap(), Done::Nothing, "idle");

    // A reader on the log (another process, say) keeps it; writers are not held up for long.
    write(100).await;
    assert_eq!(ckpt.tick(&db).await.unwrap(), Done::Passive);
    write(101).await;
    let mut reader = db.pool.acquire().await.unwrap();
    release_desk::db::query("BEGIN")
        .execute(&mut reader)
        .await
        .unwrap();
    let _: i64 = release_desk::db::query_scalar("SELECT COUNT(*) FROM interactions")
        .fetch_one(&mut reader)
        .await
        .unwrap();
    assert_eq!(ckpt.tick(&db).await.unwrap(), Done::Passive);
    let began = std::time::Instant::now();
    assert_eq!(
        ckpt.tick(&db).await.unwrap(),
        Done::Nothing,
        "a reader holds the log"
    );
    write(102).await;
    assert!(
        began.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        began.elapsed()
    );
    release_desk::db::query("COMMIT")
        .execute(&mut reader)
        .await
        .unwrap();
    drop(reader);
    assert_eq!(ckpt.tick(&db).await.unwrap(), Done::Passive);
    assert_eq!(
        ckpt.tick(&db).await.unwrap(),
        Done::Truncated,
        "the reader is gone"
    );
    assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0);
    assert_eq!(
        sql_count(&db, "SELECT COUNT(*) FROM interactions").await,
        53,
        "nothing lost"
    );
}

#[tokio::test]
async fn only_a_commit_that_queues_delivery_work_wakes_the_worker() {
    use release_desk::chat::Outgoing;
    use release_desk::handlers::Reply;
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open(&dir.path().join("cue.sqlite")).await;
    let db = &h.app.db;
    let guild = release_desk::chat::console::GUILD;
    db.take_queued();

    // A record change alone: nothing to deliver.
    let reply = h
        .command_keyed(
            "rita",
            "",
            "/rfc new title:\"Cue\" type:standard risk:low impact:none",
            "7001",
        )
        .await;
    assert!(matches!(reply, Some(Reply::Public(_))), "{reply:?}");
    assert!(!db.take_queued(), "an RFC queues no message");

    let post = |commit: bool| async move {
        let mut tx = db.begin().await.unwrap();
        release_desk::db::outbox::post(
            &mut tx,
            guild,
            "announce",
            "test",
            &Outgoing::text("hello"),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        if commit {
            tx.commit().await.unwrap();
        }
    };
    post(false).await;
    assert!(!db.take_queued(), "a rolled-back message is no cue");
    post(true).await;
    assert!(db.take_queued(), "a committed message is");
    assert!(!db.take_queued(), "taken once");
}

#[tokio::test]
async fn interaction_ids_older_than_a_day_are_forgotten_and_newer_ones_kept() {
    use release_desk::db::interactions::{begin_claiming, Duplicate};
    let (_dir, db) = fresh_db().await;
    let day0 = day0();
    let claim_all = |from: u32, to: u32, at: chrono::DateTime<chrono::Utc>| {
        let db = db.clone();
        async move {
            for n in from..to {
                let tx = begin_claiming(&db, &n.to_string(), at).await.unwrap();
                tx.commit().await.unwrap();
            }
        }
    };
    claim_all(0, 600, day0).await;
    claim_all(600, 1200, day0 + chrono::Duration::hours(30)).await;
    let old = "SELECT COUNT(*) FROM interactions WHERE seen_at < '2026-12-02'";
    assert_eq!(sql_count(&db, old).await, 0, "a day later the first ids are gone");
    assert_eq!(sql_count(&db, "SELECT COUNT(*) FROM interactions").await, 600);
    let again = begin_claiming(&db, "1100", day0 + chrono::Duration::hours(31)).await;
    assert!(
        again.is_err_and(|e| e.downcast_ref::<Duplicate>().is_some()),
        "a recent id is still claimed"
    );
}

#[tokio::test]
async fn a_write_transaction_dropped_without_commit_leaves_nothing_and_the_next_goes_on() {
    let (_dir, db) = fresh_db().await;
    let insert = |id: &'static str| {
        release_desk::db::query(
            "INSERT INTO interactions (id, seen_at) VALUES ($1, '2026-12-01T09:00:00.000Z')",
        )
        .bind(id)
    };
    {
        let mut tx = db.begin().await.unwrap();
        insert("a").execute(&mut *tx).await.unwrap();
    }
    // The next writer waits for the rollback, then sees nothing of it.
    let mut tx = db.begin().await.unwrap();
    let seen: i64 = release_desk::db::query_scalar("SELECT COUNT(*) FROM interactions")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(seen, 0, "the dropped write is gone");
    insert("b").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    {
        // A statement that fails inside a transaction does not spoil the connection.
        let mut tx = db.begin().await.unwrap();
        insert("c").execute(&mut *tx).await.unwrap();
        assert!(insert("b").execute(&mut *tx).await.is_err(), "b exists");
    }
    let mut tx = db.begin().await.unwrap();
    insert("d").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let ids: Vec<String> = release_desk::db::query_scalar("SELECT id FROM interactions ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(ids, ["b", "d"]);
    assert_eq!(db.commits(), 2);
}

#[tokio::test]
async fn a_first_statement_that_fails_with_its_begin_leaves_no_transaction_open() {
    let (_dir, db) = fresh_db().await;
    let args = db.args();
    let failed = db
        .begin_with("INSERT INTO interactions (id, seen_at) VALUES ('a', NULL)", args)
        .await;
    assert!(failed.is_err(), "seen_at is NOT NULL");
    // Had the BEGIN stayed open, this one would fail ("within a transaction").
    let tx = db.begin().await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(sql_count(&db, "SELECT COUNT(*) FROM interactions").await, 0);
}

#[tokio::test]
async fn audit_entries_are_written_by_the_commit_in_order_and_not_by_a_rollback() {
    use release_desk::db::audit;
    use release_desk::domain::audit::AuditEntry;
    let (_dir, db) = fresh_db().await;
    let at = day0();
    let entry = |n: usize| AuditEntry {
        at,
        actor: "u1".into(),
        actor_name: "Rita".into(),
        record: "RFC-1".into(),
        action: format!("step.{n}"),
        before: n.is_multiple_of(2).then(|| n.to_string().into()),
        after: None,
    };
    {
        let mut tx = db.begin().await.unwrap();
        audit::append(&mut tx, "g", entry(0));
    }
    // More entries than one INSERT carries.
    let mut tx = db.begin().await.unwrap();
    for n in 1..=1201 {
        audit::append(&mut tx, "g", entry(n));
    }
    tx.commit().await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let history = audit::for_record(&mut conn, "g", "RFC-1").await.unwrap();
    let expected: Vec<AuditEntry> = (1..=1201).map(entry).collect();
    assert_eq!(
        history, expected,
        "all of the committed, in order; none of the dropped"
    );
}
