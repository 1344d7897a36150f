//! A fast run of deployment steps edits the progress message at most once a
//! second, and the final state is what the message shows last; posts to one
//! channel arrive in order, even across retries.

mod common;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use release_desk::chat::{Chat, ChatError, Outgoing, Posted, Reactor};
use release_desk::clock::Clock;
use std::sync::Mutex;

/// A platform that records every edit with the clock's time.
struct Recorder {
    clock: release_desk::clock::ManualClock,
    edits: Mutex<Vec<(DateTime<Utc>, String, String)>>,
}

#[async_trait]
impl Chat for Recorder {
    async fn post(&self, channel: &str, _m: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        Ok(Posted {
            channel: channel.into(),
            id: format!("p{nonce}"),
        })
    }
    async fn edit(&self, at: &Posted, m: &Outgoing) -> Result<(), ChatError> {
        self.edits
            .lock()
            .unwrap()
            .push((self.clock.now(), at.id.clone(), m.plain()));
        Ok(())
    }
    async fn react(&self, _at: &Posted, _emoji: &str) -> Result<(), ChatError> {
        Ok(())
    }
    async fn reactions(&self, _at: &Posted, _emoji: &str) -> Result<Vec<Reactor>, ChatError> {
        Ok(vec![])
    }
    async fn direct(&self, user: &str, _m: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        Ok(Posted {
            channel: format!("dm:{user}"),
            id: format!("d{nonce}"),
        })
    }
}

#[tokio::test]
async fn twenty_steps_in_a_second_edit_at_most_once_a_second_and_end_on_the_final_state() {
    let dir = tempfile::tempdir().unwrap();
    let config = release_desk::config::Config::from_layers(Some(
        "[cab]\nquorum = 1\nearly_approval = 1\n[calendar]\nannounce_before = []\n\
         [[calendar.windows]]\nname = \"always\"\ncron = \"0 0 0 * * *\"\nduration = \"24h\"\nenvironments = [\"staging\", \"prod\"]\n",
    ))
    .unwrap();
    let h = common::Harness::with_config(&dir.path().join("edits.sqlite"), config).await;
    let steps: Vec<String> = (1..=20).map(|i| format!("step {i}")).collect();
    h.run(&format!(
        ":as rita\n/rfc new title:T type:normal risk:low impact:i\n:as boss release_manager,build_manager,change_manager,deployment_staff\n\
         /release new name:N version:1.0.0 rfcs:RFC-1\n/release plan id:REL-1 backout:b acceptance:a\n/release submit id:REL-1\n\
         :as c1 cab_member\n:react last:#cab ✅\n:as boss release_manager,build_manager,change_manager,deployment_staff\n\
         /release prepare id:REL-1 validation:v\n/package add release:REL-1 item:x version:1.0.0\n/package baseline release:REL-1\n\
         /release build id:REL-1\n/release test id:REL-1 result:pass\n\
         :as carol change_manager\n/release authorize id:REL-1 decision:approve\n\
         :as boss release_manager,build_manager,change_manager,deployment_staff\n/deploy plan release:REL-1 env:staging steps:\"{}\"\n/deploy start release:REL-1 env:staging\n",
        steps.join(";")
    ))
    .await;
    assert!(h.output().contains("[#deployments msg:"), "{}", h.output());
    let recorder = Recorder {
        clock: h.clock.clone(),
        edits: Mutex::new(vec![]),
    };
    let t0 = h.clock_now();
    for i in 1..=20 {
        h.clock.set(t0 + Duration::milliseconds(50 * i));
        let reply = h
            .command_only(
                "dan",
                "deployment_staff",
                &format!("/deploy step release:REL-1 env:staging step:{i} status:done"),
            )
            .await;
        // The actor is answered privately; the progress message carries the news.
        assert!(
            matches!(reply, release_desk::handlers::Reply::Private(_)),
            "{reply:?}"
        );
        h.app.deliver(&recorder, Duration::seconds(1)).await.unwrap();
    }
    // Let the clock run on so the last held-back edit goes out.
    for ms in [1100, 2100, 3100] {
        h.clock.set(t0 + Duration::milliseconds(ms));
        h.app.deliver(&recorder, Duration::seconds(1)).await.unwrap();
    }
    let edits = recorder.edits.lock().unwrap().clone();
    let progress: Vec<&(DateTime<Utc>, String, String)> = edits
        .iter()
        .filter(|e| e.2.starts_with("Deployment — REL-1"))
        .collect();
    assert!(progress.len() >= 2, "{progress:?}");
    assert!(
        progress.len() <= 3,
        "20 steps in one second became {} edits",
        progress.len()
    );
    for pair in progress.windows(2) {
        assert!(
            pair[1].0 - pair[0].0 >= Duration::seconds(1),
            "two edits within a second: {:?} {:?}",
            pair[0].0,
            pair[1].0
        );
    }
    let last = &progress.last().unwrap().2;
    assert!(
        last.contains("20/20") && last.contains("all steps done"),
        "the final state shows last: {last}"
    );
    let mut conn = h.app.db.pool.acquire().await.unwrap();
    assert_eq!(
        release_desk::db::outbox::next_attempt(&mut conn, release_desk::chat::console::GUILD)
            .await
            .unwrap(),
        None,
        "nothing left undelivered"
    );
}

/// A platform whose posts of `failing` text fail as given; records what it posted.
struct Flaky {
    failing: Mutex<Option<(String, ChatError, u32)>>,
    posted: Mutex<Vec<String>>,
}

#[async_trait]
impl Chat for Flaky {
    async fn post(&self, channel: &str, m: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        if let Some((text, e, times)) = self.failing.lock().unwrap().as_mut() {
            if *text == m.plain() && *times > 0 {
                *times -= 1;
                return Err(e.clone());
            }
        }
        self.posted.lock().unwrap().push(m.plain());
        Ok(Posted {
            channel: channel.into(),
            id: format!("p{nonce}"),
        })
    }
    async fn edit(&self, _at: &Posted, _m: &Outgoing) -> Result<(), ChatError> {
        Ok(())
    }
    async fn react(&self, _at: &Posted, _emoji: &str) -> Result<(), ChatError> {
        Ok(())
    }
    async fn reactions(&self, _at: &Posted, _emoji: &str) -> Result<Vec<Reactor>, ChatError> {
        Ok(vec![])
    }
    async fn direct(&self, user: &str, m: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        self.post(&format!("dm:{user}"), m, nonce).await
    }
}

/// Queues "first" and "second" to #ops and "elsewhere" to #dev, then
/// delivers with "first" failing as given, at the start and half a second later.
async fn posts_after_a_failure(
    dir: &tempfile::TempDir,
    error: ChatError,
    times: u32,
) -> (common::Harness, Flaky, DateTime<Utc>) {
    let h = common::Harness::open(&dir.path().join("order.sqlite")).await;
    let t0 = h.clock_now();
    let mut tx = h.app.db.begin().await.unwrap();
    for (channel, text) in [("ops", "first"), ("ops", "second"), ("dev", "elsewhere")] {
        release_desk::db::outbox::post(
            &mut tx,
            release_desk::chat::console::GUILD,
            channel,
            "notice",
            &Outgoing::text(text),
            t0,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let chat = Flaky {
        failing: Mutex::new(Some(("first".into(), error, times))),
        posted: Mutex::new(vec![]),
    };
    h.app.deliver(&chat, Duration::zero()).await.unwrap();
    h.clock.set(t0 + Duration::milliseconds(500));
    h.app.deliver(&chat, Duration::zero()).await.unwrap();
    (h, chat, t0)
}

#[tokio::test]
async fn a_post_waiting_for_its_retry_holds_back_the_later_posts_to_its_channel() {
    let retry = ChatError::Retry {
        after: None,
        message: "HTTP 503".into(),
    };
    let dir = tempfile::tempdir().unwrap();
    let (h, chat, t0) = posts_after_a_failure(&dir, retry, 1).await;
    assert_eq!(
        *chat.posted.lock().unwrap(),
        ["elsewhere"],
        "#ops waits for its first post; #dev does not"
    );
    h.clock.set(t0 + Duration::seconds(2));
    h.app.deliver(&chat, Duration::zero()).await.unwrap();
    assert_eq!(*chat.posted.lock().unwrap(), ["elsewhere", "first", "second"]);
}

#[tokio::test]
async fn a_post_that_can_never_work_does_not_hold_back_its_channel() {
    let dir = tempfile::tempdir().unwrap();
    let (_h, chat, _) = posts_after_a_failure(&dir, ChatError::Permanent("HTTP 400".into()), 100).await;
    assert_eq!(*chat.posted.lock().unwrap(), ["elsewhere", "second"]);
}

#[tokio::test]
async fn a_direct_message_waiting_for_its_retry_holds_back_the_next_to_that_user() {
    let dir = tempfile::tempdir().unwrap();
    let h = common::Harness::open(&dir.path().join("dms.sqlite")).await;
    let t0 = h.clock_now();
    let mut tx = h.app.db.begin().await.unwrap();
    for (user, text) in [("rm", "first"), ("rm", "second"), ("rita", "elsewhere")] {
        release_desk::db::outbox::dm(
            &mut tx,
            release_desk::chat::console::GUILD,
            user,
            "notice",
            &Outgoing::text(text),
            t0,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let chat = Flaky {
        failing: Mutex::new(Some((
            "first".into(),
            ChatError::Retry {
                after: None,
                message: "HTTP 503".into(),
            },
            1,
        ))),
        posted: Mutex::new(vec![]),
    };
    h.app.deliver(&chat, Duration::zero()).await.unwrap();
    assert_eq!(
        *chat.posted.lock().unwrap(),
        ["elsewhere"],
        "rm's second waits, in the same pass"
    );
    h.clock.set(t0 + Duration::seconds(2));
    h.app.deliver(&chat, Duration::zero()).await.unwrap();
    assert_eq!(*chat.posted.lock().unwrap(), ["elsewhere", "first", "second"]);
}

#[tokio::test]
async fn a_message_queued_before_the_message_model_still_delivers() {
    let dir = tempfile::tempdir().unwrap();
    let h = common::Harness::open(&dir.path().join("old-rows.sqlite")).await;
    let t0 = h.clock_now();
    let mut tx = h.app.db.begin().await.unwrap();
    release_desk::db::outbox::post(
        &mut tx,
        release_desk::chat::console::GUILD,
        "ops",
        "notice",
        &Outgoing::text("placeholder"),
        t0,
    )
    .await
    .unwrap();
    // The body as a database from before the model holds it: text and accent.
    let old = r#"{"text":"REL-1 Search — state Planning\n  next: /release plan","mentions":[],"accent":"planning","attachment":null}"#;
    let changed = release_desk::db::query("UPDATE outbox SET body = $1 WHERE kind = 'post'")
        .bind(old)
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 1);
    tx.commit().await.unwrap();
    let chat = Flaky {
        failing: Mutex::new(None),
        posted: Mutex::new(vec![]),
    };
    h.app.deliver(&chat, Duration::zero()).await.unwrap();
    assert_eq!(
        *chat.posted.lock().unwrap(),
        ["REL-1 Search — state Planning\n  next: /release plan"]
    );
}
