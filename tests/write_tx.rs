//! A write transaction on SQLite sends its `BEGIN IMMEDIATE` with its first
//! statement (one round trip fewer per command); on PostgreSQL it begins at
//! once. Either way it holds the write lock from its first statement on,
//! commits exactly what it wrote, and leaves the connection in autocommit
//! when it ends however it ends.

mod common;

use common::{database_url, sql_count};
use release_desk::db::{query, query_scalar, Backend, Db, WRITE_LOCK};
use sqlx::Connection;
use std::str::FromStr;

async fn open(dir: &tempfile::TempDir) -> (Db, String) {
    let url = database_url(&dir.path().join("db.sqlite"));
    let db = Db::open(&url).await.unwrap();
    query("CREATE TABLE t (v TEXT NOT NULL)")
        .execute(&db.pool)
        .await
        .unwrap();
    (db, url)
}

/// Whether a writer on another connection is refused at once: SQLite's
/// `BEGIN IMMEDIATE` without a busy timeout, PostgreSQL's try of the lock
/// every writer takes.
async fn another_writer_is_locked_out(db: &Db, url: &str) -> bool {
    match db.backend() {
        Backend::Sqlite => {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(&format!("sqlite://{url}"))
                .unwrap()
                .busy_timeout(std::time::Duration::ZERO);
            let mut c = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
            match sqlx::query("BEGIN IMMEDIATE").execute(&mut c).await {
                Err(e) => {
                    assert!(e.to_string().contains("locked"), "{e}");
                    true
                }
                Ok(_) => {
                    sqlx::query("ROLLBACK").execute(&mut c).await.unwrap();
                    false
                }
            }
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(WRITE_LOCK)
                .fetch_one(&mut c)
                .await
                .unwrap();
            if got {
                sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(WRITE_LOCK)
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
            !got
        }
    }
}

async fn write_outside_a_transaction(db: &Db, v: &str) {
    let mut conn = db.writing_conn().await.unwrap();
    query("INSERT INTO t (v) VALUES ($1)")
        .bind(v)
        .execute(&mut *conn)
        .await
        .unwrap();
}

async fn rows(db: &Db) -> i64 {
    sql_count(db, "SELECT COUNT(*) FROM t").await
}

#[tokio::test(flavor = "current_thread")]
async fn a_transaction_holds_the_write_lock_from_its_first_read_until_it_commits() {
    let dir = tempfile::tempdir().unwrap();
    let (db, url) = open(&dir).await;
    // The check can fail: nobody writes now.
    assert!(!another_writer_is_locked_out(&db, &url).await);

    let mut tx = db.begin().await.unwrap();
    let n: i64 = query_scalar("SELECT COUNT(*) FROM t")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    assert_eq!(n, 0);
    assert!(
        another_writer_is_locked_out(&db, &url).await,
        "the first read began the transaction"
    );
    query("INSERT INTO t (v) VALUES ($1)")
        .bind("kept")
        .execute(&mut tx)
        .await
        .unwrap();
    // Not visible before the commit: the write is inside the transaction.
    assert_eq!(rows(&db).await, 0);
    tx.commit().await.unwrap();
    assert_eq!(rows(&db).await, 1);
    assert!(!another_writer_is_locked_out(&db, &url).await);
}

#[tokio::test(flavor = "current_thread")]
async fn a_write_as_the_first_statement_counts_its_own_changes_only() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = open(&dir).await;
    // A change on the write connection before: SQLite would report it again
    // for a BEGIN sent in the same text.
    db.begin().await.unwrap().commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    query("INSERT INTO t (v) VALUES ('a'), ('b'), ('c')")
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let done = query("UPDATE t SET v = 'x' WHERE v = 'a'")
        .execute(&mut tx)
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 1);
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_transaction_that_ends_before_its_first_statement_leaves_the_connection_in_autocommit() {
    let dir = tempfile::tempdir().unwrap();
    let (db, url) = open(&dir).await;

    // Dropped without a statement, then committed without one: after each,
    // the write connection's next statement outside a transaction commits
    // as it runs (an owed BEGIN left behind would swallow it).
    drop(db.begin().await.unwrap());
    write_outside_a_transaction(&db, "after a drop").await;
    assert_eq!(rows(&db).await, 1);
    assert!(!another_writer_is_locked_out(&db, &url).await);

    db.begin().await.unwrap().commit().await.unwrap();
    write_outside_a_transaction(&db, "after a commit").await;
    assert_eq!(rows(&db).await, 2);
    assert!(!another_writer_is_locked_out(&db, &url).await);

    // And the next transaction still begins and commits.
    let mut tx = db.begin().await.unwrap();
    query("INSERT INTO t (v) VALUES ('after')")
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(rows(&db).await, 3);
}

#[tokio::test(flavor = "current_thread")]
async fn a_first_read_that_fails_leaves_the_transaction_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (db, url) = open(&dir).await;
    let mut tx = db.begin().await.unwrap();
    let failed = query_scalar::<i64>("SELECT COUNT(*) FROM no_such_table")
        .fetch_one(&mut tx)
        .await;
    assert!(failed.is_err());
    if db.backend() == Backend::Postgres {
        // PostgreSQL aborts the transaction: it is dropped, as a command drops it.
        drop(tx);
        tx = db.begin().await.unwrap();
    }
    query("INSERT INTO t (v) VALUES ('one')")
        .execute(&mut tx)
        .await
        .unwrap();
    query("INSERT INTO t (v) VALUES ('two')")
        .execute(&mut tx)
        .await
        .unwrap();
    assert!(another_writer_is_locked_out(&db, &url).await);
    assert_eq!(rows(&db).await, 0, "both writes wait for the commit");
    tx.commit().await.unwrap();
    assert_eq!(rows(&db).await, 2);
    assert!(!another_writer_is_locked_out(&db, &url).await);

    // Dropped after its writes, nothing of it stays.
    let mut tx = db.begin().await.unwrap();
    query("INSERT INTO t (v) VALUES ('rolled back')")
        .execute(&mut tx)
        .await
        .unwrap();
    drop(tx);
    let mut tx = db.begin().await.unwrap();
    let n: i64 = query_scalar("SELECT COUNT(*) FROM t")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    assert_eq!(n, 2);
    tx.commit().await.unwrap();
}

/// The trigger that makes every update of a bot message fail.
fn refusing_trigger(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "CREATE TRIGGER refuse BEFORE UPDATE ON bot_messages BEGIN SELECT RAISE(ABORT, 'refused'); END"
        }
        Backend::Postgres => {
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$;
             CREATE TRIGGER refuse BEFORE UPDATE ON bot_messages FOR EACH ROW EXECUTE FUNCTION refuse()"
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_delivery_record_that_fails_midway_keeps_nothing_and_the_next_one_goes_in() {
    let dir = tempfile::tempdir().unwrap();
    let (db, url) = open(&dir).await;
    release_desk::db::raw_sql(
        "INSERT INTO bot_messages (id, guild, channel, purpose) VALUES (1, 'g', 'general', 'notice'), (2, 'g', 'general', 'notice');
         INSERT INTO outbox (id, guild, kind, message_id, body, created_at, not_before)
         VALUES (11, 'g', 'edit', 1, '{}', '2026-12-01T09:00:00.000Z', '2026-12-01T09:00:00.000Z'),
                (12, 'g', 'post', 2, '{}', '2026-12-01T09:00:00.000Z', '2026-12-01T09:00:00.000Z')",
        &db.pool,
    )
    .await
    .unwrap();
    release_desk::db::raw_sql(refusing_trigger(db.backend()), &db.pool)
        .await
        .unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T09:00:01Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let posted = release_desk::chat::Posted {
        channel: "general".into(),
        id: "p-2".into(),
    };
    // The edit's record goes first, then the post's message update fails.
    let done = [(11, 1, None), (12, 2, Some(posted))];
    let commits = db.commits();
    let failed = release_desk::db::outbox::delivered(&db, &done, now).await;
    assert!(format!("{:#}", failed.unwrap_err()).contains("refused"));
    assert_eq!(db.commits(), commits, "no commit counted");
    let delivered = "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NOT NULL";
    assert_eq!(sql_count(&db, delivered).await, 0, "the edit's record was undone");
    assert!(
        !another_writer_is_locked_out(&db, &url).await,
        "nothing left open"
    );

    let drop_trigger = match db.backend() {
        Backend::Sqlite => "DROP TRIGGER refuse",
        Backend::Postgres => "DROP TRIGGER refuse ON bot_messages",
    };
    release_desk::db::raw_sql(drop_trigger, &db.pool).await.unwrap();
    release_desk::db::outbox::delivered(&db, &done, now)
        .await
        .unwrap();
    assert_eq!(db.commits(), commits + 1);
    assert_eq!(sql_count(&db, delivered).await, 2);
    let platform: Option<String> = query_scalar("SELECT platform_id FROM bot_messages WHERE id = 2")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(platform.as_deref(), Some("p-2"));
    write_outside_a_transaction(&db, "after").await;
    assert_eq!(rows(&db).await, 1);
}
