//! The console platform's own rows (its messages, reactions and users) are
//! written on the write connection when no writer holds it, so the
//! commands' connection keeps its page cache; while a writer holds it they
//! go to a pooled connection (on SQLite its busy handler waits for that
//! writer's commit) instead of waiting for a turn their caller may be inside.

mod common;

use common::Harness;
use release_desk::chat::{Chat, Outgoing};
use release_desk::db::{query_scalar, WritingConn};
use std::time::Duration;

async fn messages(h: &Harness) -> i64 {
    query_scalar("SELECT COUNT(*) FROM console_messages")
        .fetch_one(&h.app.db.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn the_console_writes_on_the_write_connection_when_it_is_free_and_beside_another_writer_on_a_pooled_one(
) {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open(&dir.path().join("db.sqlite")).await;
    let db = &h.app.db;

    assert!(matches!(db.writing_conn().await.unwrap(), WritingConn::Writer(_)));
    let before = messages(&h).await;
    h.chat
        .post("general", &Outgoing::text("on the writer"), "n-1")
        .await
        .unwrap();
    // Committed as it ran: another connection sees it, and the turn is free again.
    assert_eq!(messages(&h).await, before + 1);
    let tx = db.begin().await.unwrap();
    tx.commit().await.unwrap();

    // Another task's writer holds the turn: the post takes a pooled
    // connection (which on SQLite waits in the busy handler for that commit).
    let (started, holding) = tokio::sync::oneshot::channel();
    let writer = db.clone();
    let holder = tokio::spawn(async move {
        let tx = common::holding_the_write_lock(&writer).await;
        started.send(()).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        tx.commit().await.unwrap();
    });
    holding.await.unwrap();
    assert!(matches!(db.writing_conn().await.unwrap(), WritingConn::Pooled(_)));
    let posted = tokio::time::timeout(
        Duration::from_secs(10),
        h.chat.post("general", &Outgoing::text("beside a writer"), "n-2"),
    )
    .await
    .expect("the post never ran after the other writer committed");
    posted.unwrap();
    holder.await.unwrap();
    assert_eq!(messages(&h).await, before + 2);
    assert!(matches!(db.writing_conn().await.unwrap(), WritingConn::Writer(_)));
}

#[tokio::test(flavor = "current_thread")]
async fn a_post_repeated_with_its_nonce_gives_the_first_message_and_posts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open(&dir.path().join("db.sqlite")).await;
    let before = messages(&h).await;
    let chat = &h.chat;
    let post = move |text: &'static str, nonce: &'static str| async move {
        chat.post("general", &Outgoing::text(text), nonce).await
    };
    let first = post("once", "n-once").await.unwrap();
    // As a delivery repeated after a crash: the same nonce, the same message.
    let again = post("once", "n-once").await.unwrap();
    assert_eq!(again.id, first.id);
    let other = post("twice", "n-other").await.unwrap();
    assert_ne!(other.id, first.id);
    assert_eq!(messages(&h).await, before + 2);
    // The console printed the repeated one once.
    assert_eq!(h.output().matches("\nonce").count(), 1, "{}", h.output());
}
