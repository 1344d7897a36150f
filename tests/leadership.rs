//! Leader and standby on a real PostgreSQL (a throwaway cluster): one
//! instance holds the workspace's advisory lock, another waits and takes
//! over within `[ha] takeover` once the holder's session ends; the one that
//! lost it sends nothing and runs no job more; `/readyz` and `/metrics` say
//! which is which.

mod common;

use common::pg::Cluster;
use common::{sql_count, Harness};
use release_desk::db::leadership::{lock_key, Leader, APPLICATION_NAME};
use release_desk::service::leader;
use sqlx::Connection;
use std::time::{Duration, Instant};

/// Short, to keep the test short; the derived intervals scale with it.
const TAKEOVER: Duration = Duration::from_secs(2);
/// What a loaded test machine may add to a takeover: a connection and a
/// query on a busy server.
const MARGIN: Duration = Duration::from_millis(1500);
const WS: &str = "1000";

fn contended(url: &str) -> Leader {
    Leader::for_database(
        url,
        leader::check_within(TAKEOVER),
        leader::keepalive_idle(TAKEOVER),
    )
    .unwrap()
}

async fn admin(url: &str) -> sqlx::PgConnection {
    sqlx::PgConnection::connect(url).await.unwrap()
}

/// Ends the session holding `workspace`'s lock, as a crash or a cut
/// connection would; how many sessions were ended.
async fn end_holder(url: &str, workspace: &str) -> i64 {
    let key = lock_key(workspace) as u64;
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted
           AND classid::bigint = $1 AND objid::bigint = $2",
    )
    .bind((key >> 32) as i64)
    .bind((key & 0xffff_ffff) as i64)
    .fetch_all(&mut admin(url).await)
    .await
    .unwrap();
    ended.into_iter().filter(|e| *e).count() as i64
}

/// The lock connections open on the server.
async fn lock_sessions(url: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1")
        .bind(APPLICATION_NAME)
        .fetch_one(&mut admin(url).await)
        .await
        .unwrap()
}

async fn wait_for<F: std::future::Future<Output = bool>>(what: &str, within: Duration, cond: impl Fn() -> F) {
    let deadline = Instant::now() + within;
    while !cond().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn one_leads_the_other_waits_and_takes_over_within_the_takeover_time() {
    let cluster = Cluster::start();
    let url = cluster.fresh_database();
    let (a, b) = (contended(&url), contended(&url));
    assert!(leader::lead(&a, WS, TAKEOVER).await.unwrap());
    assert!(a.leading() && a.check().await.is_ok());

    let standby = b.clone();
    let waiting = tokio::spawn(async move {
        let led = leader::lead(&standby, WS, TAKEOVER).await.unwrap();
        (led, Instant::now())
    });
    // The positive sign that b asked (its first try follows its connection
    // at once), then two more of its tries: all refused while a holds.
    let u = &url;
    wait_for(
        "the standby's lock connection",
        Duration::from_secs(10),
        || async move { lock_sessions(u).await == 2 },
    )
    .await;
    tokio::time::sleep(leader::attempt_every(TAKEOVER) * 2).await;
    assert!(!waiting.is_finished() && !b.leading(), "two leaders at once");
    assert!(b.check().await.is_err(), "a standby's check refuses");
    // Another workspace's lock is another key: its instance leads at once.
    let other = contended(&url);
    assert!(other.try_take("1001").await.unwrap());

    let ended_at = Instant::now();
    assert_eq!(end_holder(&url, WS).await, 1);
    let (led, at) = tokio::time::timeout(TAKEOVER + MARGIN, waiting)
        .await
        .expect("the standby did not take over within the takeover time")
        .unwrap();
    let took = at - ended_at;
    assert!(led && b.leading());
    assert!(took <= TAKEOVER + MARGIN, "took over after {took:?}");
    assert!(b.check().await.is_ok());

    // The old leader finds out by itself within a check interval and a check's time.
    let lost = tokio::time::timeout(
        leader::check_every(TAKEOVER) + leader::check_within(TAKEOVER) + MARGIN,
        leader::watch(&a, WS, TAKEOVER),
    )
    .await
    .expect("the deposed leader did not notice");
    assert!(lost.0.contains("connection failed"), "{lost:?}");
    assert!(!a.leading());
    assert!(a.check().await.is_err(), "lost stays lost");
    assert!(a.try_take(WS).await.is_err(), "and never leads again by itself");

    // A clean shutdown frees the lock at once for the next standby.
    let c = contended(&url);
    assert!(!c.try_take(WS).await.unwrap());
    b.release().await;
    assert!(!b.leading());
    // The server ends the closed session a moment later: within a standby's try or two.
    let next = &c;
    wait_for(
        "the lock freed by a clean stop",
        leader::attempt_every(TAKEOVER) * 2,
        || async move { next.try_take(WS).await.unwrap() },
    )
    .await;
}

/// The lost leader of a second, killed session: what a delivery and a job run meet.
async fn lost_leader(url: &str) -> Leader {
    let l = contended(url);
    assert!(l.try_take(WS).await.unwrap());
    assert_eq!(end_holder(url, WS).await, 1);
    // Refused from the first check after the session ended.
    let held = &l;
    wait_for("the loss to show", Duration::from_secs(10), || async move {
        held.check().await.is_err()
    })
    .await;
    l
}

#[tokio::test]
async fn an_instance_that_lost_the_lock_delivers_nothing_and_runs_no_job() {
    let cluster = Cluster::start();
    let url = cluster.fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let mut h = Harness::open(&dir.path().join("t.sqlite")).await;
    // A poll whose closing job falls due, and a message waiting to be sent.
    h.run(
        ":as rita\n/rfc new title:T type:normal risk:low impact:i\n:as rm release_manager\n\
         /release new name:N version:1.0.0 rfcs:RFC-1\n/release plan id:REL-1 backout:b acceptance:a\n\
         /release submit id:REL-1\n",
    )
    .await;
    let msg = release_desk::chat::Outgoing::text("waiting");
    let ws = h.app.workspace.clone();
    h.app.post(&ws, "releases", &msg).await.unwrap();
    h.clock.advance(chrono::Duration::hours(49));
    let before = h.output();
    let undelivered = "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL";
    assert_eq!(sql_count(&h.app.db, undelivered).await, 1);

    h.app.leader = lost_leader(&url).await;
    let e = h.app.settle(&h.chat, chrono::Duration::zero()).await.unwrap_err();
    assert!(
        format!("{e:#}").contains("no longer holds the leader's lock"),
        "{e:#}"
    );
    let e = h.app.run_due(&h.chat).await.unwrap_err();
    assert!(
        format!("{e:#}").contains("no longer holds the leader's lock"),
        "{e:#}"
    );
    assert_eq!(h.output(), before, "nothing sent");
    assert_eq!(sql_count(&h.app.db, undelivered).await, 1);
    let closed = "SELECT COUNT(*) FROM audit WHERE action = 'poll.close'";
    assert_eq!(
        sql_count(&h.app.db, closed).await,
        0,
        "the poll's job did not run"
    );

    // The same pass by the instance that leads now sends it and runs the job.
    let now = contended(&url);
    assert!(now.try_take(WS).await.unwrap());
    h.app.leader = now;
    h.settle().await;
    assert_eq!(sql_count(&h.app.db, undelivered).await, 0);
    assert_eq!(sql_count(&h.app.db, closed).await, 1);
    assert!(h.output().contains("waiting"), "{}", h.output());
}

#[tokio::test]
async fn readyz_and_metrics_say_standby_or_leader() {
    let cluster = Cluster::start();
    let url = cluster.fresh_database();
    let holder = contended(&url);
    assert!(holder.try_take(WS).await.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mut h = Harness::open(&dir.path().join("t.sqlite")).await;
    let standby = contended(&url);
    assert!(!standby.try_take(WS).await.unwrap());
    h.app.leader = standby.clone();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = release_desk::http::Served::new(h.app.clone(), WS.to_string());
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(release_desk::http::serve(listener, served, async move {
        let _ = stopped.await;
    }));
    let ready = || async {
        let r = reqwest::get(format!("{base}/readyz")).await.unwrap();
        (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap())
    };
    let leader_gauge = || async {
        let text = reqwest::get(format!("{base}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("release_desk_leader "))
            .unwrap_or_else(|| panic!("no leader gauge in:\n{text}"))
            .to_string();
        line
    };
    // A standby is ready as a standby: no chat expected, and it says so.
    assert_eq!(
        ready().await,
        (
            200,
            serde_json::json!({ "ready": true, "database": true, "chat": false, "leader": false })
        )
    );
    assert_eq!(leader_gauge().await, "release_desk_leader 0");

    // Taken over: a leader without its chat is not ready until it connects.
    assert_eq!(end_holder(&url, WS).await, 1);
    let s = &standby;
    wait_for(
        "the standby to take over",
        Duration::from_secs(10),
        || async move { s.try_take(WS).await.unwrap() },
    )
    .await;
    assert_eq!(
        ready().await,
        (
            503,
            serde_json::json!({ "ready": false, "database": true, "chat": false, "leader": true })
        )
    );
    h.app.telemetry.set_connected(true);
    assert_eq!(ready().await.0, 200);
    assert_eq!(leader_gauge().await, "release_desk_leader 1");
}

#[tokio::test]
async fn an_entry_another_instance_claimed_is_sent_once_by_whoever_holds_it() {
    use release_desk::db::claim::claim;
    use release_desk::scheduler::delivery::{deliver, To};
    let cluster = Cluster::start();
    let url = cluster.fresh_database();
    let db = release_desk::db::Db::open(&url).await.unwrap();
    let now = chrono::Utc::now();
    let mut tx = db.begin().await.unwrap();
    let msg = release_desk::chat::Outgoing::text("sent once");
    release_desk::db::outbox::post(&mut tx, WS, "releases", "notice", &msg, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let id: i64 = sqlx::query_scalar("SELECT id FROM outbox")
        .fetch_one(&mut admin(&url).await)
        .await
        .unwrap();
    let out = common::Buffer::default();
    let sink: release_desk::chat::console::Out =
        std::sync::Arc::new(std::sync::Mutex::new(Box::new(out.clone())));
    let chat = release_desk::chat::console::ConsoleChat::new(db.clone(), sink);
    let leader = Leader::single();
    let to = To {
        workspace: WS,
        chat: &chat,
        leader: &leader,
    };
    let text = || String::from_utf8(out.0.lock().unwrap().clone()).unwrap();

    // Another instance is sending it: skipped, not waited for, not sent.
    let held = claim(&db, id).await.unwrap().expect("a free entry");
    assert!(claim(&db, id).await.unwrap().is_none(), "held elsewhere");
    let report = deliver(&db, to, now, chrono::Duration::zero()).await.unwrap();
    assert_eq!(report.delivered, 0);
    assert!(!text().contains("sent once"), "{}", text());
    // That instance gave it back unsent (as after a failed send; a crash
    // ends its transaction too): the row is free, still due.
    held.give_back().await.unwrap();
    let report = deliver(&db, to, now, chrono::Duration::zero()).await.unwrap();
    assert_eq!(report.delivered, 1);
    assert_eq!(text().matches("sent once").count(), 1, "{}", text());
    let report = deliver(&db, to, now, chrono::Duration::zero()).await.unwrap();
    assert_eq!(report.delivered, 0);
    assert!(
        claim(&db, id).await.unwrap().is_none(),
        "delivered: nothing to claim"
    );
    assert_eq!(text().matches("sent once").count(), 1);
}
