//! Two processes on one database — the Discord bot serving guild 42 and a
//! console — each work only their own workspace's outbox and jobs, and a
//! job or delivery that panics leaves the scheduler running the next one.

mod common;

use async_trait::async_trait;
use release_desk::app::App;
use release_desk::chat::console::GUILD as CONSOLE;
use release_desk::chat::{Chat, ChatError, Outgoing, Posted, Reactor};
use release_desk::clock::{Clock, ManualClock};
use release_desk::config::Config;
use release_desk::db::Db;
use release_desk::domain::records::Actor;
use release_desk::handlers::Invoker;
use std::sync::{Arc, Mutex};

const BOT: &str = "42";

/// A platform that records what it is asked to do. Its message ids start
/// at 1 like every other such platform's, so two of them collide.
#[derive(Default)]
struct Recorder {
    posts: Mutex<Vec<String>>,
    /// Posts whose text contains this panic instead of being delivered.
    panic_on_post: Option<&'static str>,
    /// Reading the reactions of this message id panics.
    panic_on_reactions: Option<String>,
}

impl Recorder {
    fn posts(&self) -> Vec<String> {
        self.posts.lock().unwrap().clone()
    }
    fn record(&self, where_: &str, m: &Outgoing) -> Posted {
        let mut posts = self.posts.lock().unwrap();
        posts.push(format!("{where_}: {}", m.plain()));
        Posted {
            channel: where_.to_string(),
            id: posts.len().to_string(),
        }
    }
}

#[async_trait]
impl Chat for Recorder {
    async fn post(&self, channel: &str, m: &Outgoing, _nonce: &str) -> Result<Posted, ChatError> {
        if let Some(needle) = self.panic_on_post.filter(|n| m.plain().contains(n)) {
            panic!("test platform panics on a post with {needle}");
        }
        Ok(self.record(channel, m))
    }
    async fn edit(&self, _at: &Posted, _m: &Outgoing) -> Result<(), ChatError> {
        Ok(())
    }
    async fn react(&self, _at: &Posted, _emoji: &str) -> Result<(), ChatError> {
        Ok(())
    }
    async fn reactions(&self, at: &Posted, _emoji: &str) -> Result<Vec<Reactor>, ChatError> {
        if self.panic_on_reactions.as_ref() == Some(&at.id) {
            panic!("test platform panics reading message {}", at.id);
        }
        Ok(vec![])
    }
    async fn direct(&self, user: &str, m: &Outgoing, _nonce: &str) -> Result<Posted, ChatError> {
        Ok(self.record(&format!("dm:{user}"), m))
    }
}

/// The bot's configuration (guild 42, default release windows), which an
/// operator also gives the console.
fn config() -> Config {
    Config::from_layers(Some("[discord]\nguild_id = 42\n[cab]\nquorum = 1\n")).unwrap()
}

fn app(db: &Db, clock: &ManualClock, workspace: &str) -> App {
    App {
        db: db.clone(),
        config: Arc::new(config()),
        clock: Arc::new(clock.clone()),
        workspace: workspace.to_string(),
        pipelines: None,
        telemetry: Default::default(),
        leader: Default::default(),
    }
}

fn who(app: &App, user: &str, roles: &str) -> Invoker {
    Invoker {
        actor: Actor {
            id: user.into(),
            name: user.into(),
            roles: app.config.itil_roles(roles.split(',')),
        },
        channel: "general".into(),
    }
}

/// An RFC and a release named `name`, submitted to the CAB, in `guild`.
async fn submit(app: &App, guild: &str, name: &str) {
    let rita = who(app, "rita", "");
    let rm = who(app, "rm", "release_manager");
    for (w, line) in [
        (
            &rita,
            format!("/rfc new title:{name} type:normal risk:low impact:i"),
        ),
        (&rm, format!("/release new name:{name} version:1.0.0 rfcs:RFC-1")),
        (&rm, "/release plan id:REL-1 backout:b acceptance:a".to_string()),
        (&rm, "/release submit id:REL-1".to_string()),
    ] {
        let reply = app.command_line(guild, w, &line).await;
        assert!(
            !format!("{reply:?}").contains("Something went wrong"),
            "{line}: {reply:?}"
        );
    }
}

/// The outbox and jobs of `guild`, every column that says what was done.
async fn work_of(db: &Db, guild: &str) -> String {
    // SQLite's json_array is PostgreSQL's json_build_array (as text).
    let array = match db.backend() {
        release_desk::db::Backend::Sqlite => "json_array",
        release_desk::db::Backend::Postgres => "CAST(json_build_array",
    };
    let close = match db.backend() {
        release_desk::db::Backend::Sqlite => "",
        release_desk::db::Backend::Postgres => " AS TEXT)",
    };
    let outbox: Vec<String> = release_desk::db::query_scalar(&format!(
        "SELECT {array}(id, kind, message_id, delivered_at, attempts, last_error, not_before, superseded){close}
         FROM outbox WHERE guild = $1 ORDER BY id"
    ))
    .bind(guild)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let jobs: Vec<String> = release_desk::db::query_scalar(&format!(
        "SELECT {array}(id, kind, key, due_at, done_at, attempts, last_error, not_before){close}
         FROM jobs WHERE guild = $1 ORDER BY id"
    ))
    .bind(guild)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let messages: Vec<String> = release_desk::db::query_scalar(&format!(
        "SELECT {array}(id, channel, platform_id){close} FROM bot_messages WHERE guild = $1 ORDER BY id"
    ))
    .bind(guild)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    format!(
        "outbox {}\njobs {}\nmessages {}",
        outbox.join(" "),
        jobs.join(" "),
        messages.join(" ")
    )
}

async fn count(db: &Db, sql: &str, guild: &str) -> i64 {
    release_desk::db::query_scalar(sql)
        .bind(guild)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn poll_outcome(db: &Db, guild: &str) -> Option<String> {
    release_desk::db::query_scalar("SELECT outcome FROM polls WHERE guild = $1")
        .bind(guild)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// The platform id of `guild`'s poll message.
async fn poll_message(db: &Db, guild: &str) -> String {
    release_desk::db::query_scalar(
        "SELECT m.platform_id FROM polls p JOIN bot_messages m ON m.id = p.message_id WHERE p.guild = $1",
    )
    .bind(guild)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

/// Who voted on `guild`'s poll.
async fn voters(db: &Db, guild: &str) -> Vec<String> {
    release_desk::db::query_scalar(
        "SELECT v.\"user\" FROM votes v JOIN polls p ON p.id = v.poll_id WHERE p.guild = $1 ORDER BY v.id",
    )
    .bind(guild)
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

async fn vote(
    app: &App,
    guild: &str,
    message: &str,
    user: &str,
) -> release_desk::handlers::reaction::ReactionEvent {
    release_desk::handlers::reaction::ReactionEvent {
        message: message.into(),
        channel: common::channel_of(&app.db, guild, message).await,
        user: user.into(),
        name: user.into(),
        roles: app.config.itil_roles(["cab_member"]),
        emoji: "✅".into(),
        added: true,
        bot: false,
    }
}

#[tokio::test]
async fn a_bot_and_a_console_on_one_database_never_do_each_others_work() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&common::database_url(&dir.path().join("shared.sqlite")))
        .await
        .unwrap();
    let clock = ManualClock::new("2026-12-01T09:00:00Z".parse().unwrap());
    let bot = app(&db, &clock, BOT);
    let console = app(&db, &clock, CONSOLE);
    let (bot_chat, console_chat) = (Recorder::default(), Recorder::default());

    // The bot's poll is posted; then a notice waits undelivered (its platform was failing).
    submit(&bot, BOT, "Alpha").await;
    bot.deliver(&bot_chat, chrono::Duration::zero()).await.unwrap();
    bot.post(BOT, "releases", &Outgoing::text("Gamma notice"))
        .await
        .unwrap();

    // A console started on the same database, with the bot's config, its clock in the past.
    clock.set("2026-11-30T09:00:00Z".parse().unwrap());
    submit(&console, CONSOLE, "Beta").await;
    // Each recounts its own open polls only, and queues that recount as its own job.
    assert_eq!(bot.recount_reactions().await.unwrap(), 1);
    let bot_before = work_of(&db, BOT).await;
    assert!(
        bot_before.contains("\"post\",") && bot_before.contains("reconcile"),
        "{bot_before}"
    );
    console
        .settle(&console_chat, chrono::Duration::zero())
        .await
        .unwrap();
    let posted = console_chat.posts();
    assert!(posted.iter().any(|p| p.contains("Beta")), "{posted:?}");
    assert!(
        !posted.iter().any(|p| p.contains("Alpha") || p.contains("Gamma")),
        "{posted:?}"
    );
    assert_eq!(
        work_of(&db, BOT).await,
        bot_before,
        "the console left the bot's work alone"
    );
    assert!(
        count(
            &db,
            "SELECT COUNT(*) FROM jobs WHERE guild = $1 AND kind = 'window'",
            CONSOLE
        )
        .await
            > 0,
        "the console made its own window jobs"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM jobs WHERE guild = $1 AND kind = 'window'",
            BOT
        )
        .await,
        0,
        "and none of the bot's"
    );

    // Both platforms number their messages alike: a reaction is matched in its own workspace.
    let (bot_poll, console_poll) = (poll_message(&db, BOT).await, poll_message(&db, CONSOLE).await);
    assert_eq!(
        count(
            &db,
            &format!("SELECT COUNT(*) FROM bot_messages WHERE guild = $1 AND platform_id = '{console_poll}'"),
            BOT
        )
        .await,
        1,
        "the bot has a message with the console poll's platform id too"
    );
    console
        .reaction(CONSOLE, &vote(&console, CONSOLE, &console_poll, "c1").await)
        .await
        .unwrap();
    bot.reaction(BOT, &vote(&bot, BOT, &bot_poll, "c2").await)
        .await
        .unwrap();
    assert_eq!(voters(&db, CONSOLE).await, ["c1"]);
    assert_eq!(voters(&db, BOT).await, ["c2"]);
    let bot_before = work_of(&db, BOT).await;

    // Past both deadlines, the console closes its poll only.
    clock.set("2026-12-05T09:00:00Z".parse().unwrap());
    console
        .settle(&console_chat, chrono::Duration::zero())
        .await
        .unwrap();
    assert!(poll_outcome(&db, CONSOLE).await.is_some());
    assert_eq!(
        poll_outcome(&db, BOT).await,
        None,
        "the bot's poll is the bot's to close"
    );
    assert_eq!(work_of(&db, BOT).await, bot_before);
    assert!(!console_chat
        .posts()
        .iter()
        .any(|p| p.contains("Alpha") || p.contains("Gamma")));

    // The bot then does its own work, and none of the console's.
    let console_after = work_of(&db, CONSOLE).await;
    bot.settle(&bot_chat, chrono::Duration::zero()).await.unwrap();
    let bot_posts = bot_chat.posts();
    assert!(bot_posts.iter().any(|p| p.contains("Gamma")), "{bot_posts:?}");
    assert!(!bot_posts.iter().any(|p| p.contains("Beta")), "{bot_posts:?}");
    assert_eq!(poll_outcome(&db, BOT).await.as_deref(), Some("expired"));
    assert_eq!(
        work_of(&db, CONSOLE).await,
        console_after,
        "the bot left the console's work alone"
    );
    // The same windows at the same times: the bot's jobs are its own, not taken by the console's.
    assert!(
        count(
            &db,
            "SELECT COUNT(*) FROM jobs WHERE guild = $1 AND kind = 'window'",
            BOT
        )
        .await
            > 0
    );
}

/// Two polls whose deadlines pass together; returns the platform id of the first's message.
async fn two_due_polls(app: &App, chat: &Recorder) -> String {
    let rita = who(app, "rita", "");
    let rm = who(app, "rm", "release_manager");
    for (w, line) in [
        (&rita, "/rfc new title:A type:normal risk:low impact:i"),
        (&rita, "/rfc new title:B type:normal risk:low impact:i"),
        (&rm, "/release new name:A version:1.0.0 rfcs:RFC-1"),
        (&rm, "/release new name:B version:1.0.0 rfcs:RFC-2"),
        (&rm, "/release plan id:REL-1 backout:b acceptance:a"),
        (&rm, "/release plan id:REL-2 backout:b acceptance:a"),
        (&rm, "/release submit id:REL-1"),
        (&rm, "/release submit id:REL-2"),
    ] {
        app.command_line(CONSOLE, w, line).await;
    }
    app.deliver(chat, chrono::Duration::zero()).await.unwrap();
    release_desk::db::query_scalar(
        "SELECT m.platform_id FROM polls p JOIN bot_messages m ON m.id = p.message_id
         JOIN releases r ON r.id = p.release_id WHERE r.number = 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_job_that_panics_leaves_the_scheduler_running_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let h = common::Harness::with_config(
        &dir.path().join("panic.sqlite"),
        Config::from_layers(Some("[cab]\nquorum = 1\n[calendar]\nwindows = []\n")).unwrap(),
    )
    .await;
    let recorder = Recorder::default();
    let first = two_due_polls(&h.app, &recorder).await;
    let panicking = Recorder {
        panic_on_reactions: Some(first),
        ..Recorder::default()
    };
    h.clock.set(h.clock.now() + chrono::Duration::days(3));
    h.app.run_due(&panicking).await.unwrap();
    let polls: Vec<(i64, Option<String>)> = release_desk::db::query_as(
        "SELECT r.number, p.outcome FROM polls p JOIN releases r ON r.id = p.release_id ORDER BY r.number",
    )
    .fetch_all(&h.app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        polls,
        [(1, None), (2, Some("expired".to_string()))],
        "REL-1's job panicked, REL-2's ran after it"
    );
    let poll_one = match h.app.db.backend() {
        release_desk::db::Backend::Sqlite => "json_extract(payload, '$.poll') = 1",
        release_desk::db::Backend::Postgres => "CAST(payload AS JSONB) -> 'poll' = '1'",
    };
    let (attempts, error, done): (i64, String, Option<String>) = release_desk::db::query_as(&format!(
        "SELECT attempts, last_error, done_at FROM jobs WHERE kind = 'poll-close' AND {poll_one}"
    ))
    .fetch_one(&h.app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (attempts, done),
        (1, None),
        "recorded as a failure, to be retried"
    );
    assert!(error.contains("panicked: test platform panics"), "{error}");
    // Retried after its back-off on a platform that answers, it closes.
    h.clock.set(h.clock.now() + chrono::Duration::seconds(2));
    h.app.run_due(&recorder).await.unwrap();
    assert_eq!(
        release_desk::db::query_scalar::<Option<String>>("SELECT outcome FROM polls WHERE id = 1")
            .fetch_one(&h.app.db.pool)
            .await
            .unwrap()
            .as_deref(),
        Some("expired")
    );
}

#[tokio::test]
async fn a_delivery_that_panics_is_a_failed_attempt_and_the_rest_are_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let h = common::Harness::open(&dir.path().join("panic-post.sqlite")).await;
    // Another channel: a failed post holds back the later posts to its own.
    for (channel, text) in [("releases", "Poison"), ("cab", "Fine")] {
        h.app.post(CONSOLE, channel, &Outgoing::text(text)).await.unwrap();
    }
    let queued = count(&h.app.db, "SELECT COUNT(*) FROM outbox WHERE guild = $1", CONSOLE).await;
    assert!(queued >= 2, "both RFCs announced: {queued}");
    let chat = Recorder {
        panic_on_post: Some("Poison"),
        ..Recorder::default()
    };
    let report = h.app.deliver(&chat, chrono::Duration::zero()).await.unwrap();
    assert_eq!(report.failed, 1);
    assert!(
        chat.posts().iter().any(|p| p.contains("Fine")),
        "{:?}",
        chat.posts()
    );
    let (attempts, error): (i64, String) =
        release_desk::db::query_as("SELECT attempts, last_error FROM outbox WHERE delivered_at IS NULL")
            .fetch_one(&h.app.db.pool)
            .await
            .unwrap();
    assert_eq!(attempts, 1);
    assert!(
        error.contains("delivery panicked: test platform panics"),
        "{error}"
    );
}

#[tokio::test]
async fn window_jobs_that_cannot_be_scheduled_do_not_keep_the_due_jobs_from_running() {
    let dir = tempfile::tempdir().unwrap();
    let h = common::Harness::with_config(&dir.path().join("calendar-broken.sqlite"), config()).await;
    let recorder = Recorder::default();
    submit(&h.app, CONSOLE, "Due").await;
    h.app.deliver(&recorder, chrono::Duration::zero()).await.unwrap();
    // The calendar's stored horizon is unreadable: scheduling window jobs fails on every pass.
    release_desk::db::query("INSERT INTO calendar_state (guild, materialised_to) VALUES ('console', 'not a time') ON CONFLICT (guild) DO UPDATE SET materialised_to = 'not a time'")
        .execute(&h.app.db.pool)
        .await
        .unwrap();
    h.clock.set(h.clock.now() + chrono::Duration::days(3));
    // Its deadline, reminder and recount jobs: the outcome shows the deadline's ran.
    let ran = h.app.run_due(&recorder).await.unwrap();
    assert!(ran >= 1, "the poll's jobs ran: {ran}");
    assert_eq!(poll_outcome(&h.app.db, CONSOLE).await.as_deref(), Some("expired"));
    assert_eq!(
        count(
            &h.app.db,
            "SELECT COUNT(*) FROM jobs WHERE guild = $1 AND kind = 'window'",
            CONSOLE
        )
        .await,
        0,
        "no window jobs could be made"
    );
}
