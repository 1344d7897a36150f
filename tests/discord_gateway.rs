//! Gateway details against the fake: global registration (and learning a
//! channel's guild), completions for ids, and events serenity cannot read
//! logged rather than lost silently.

mod common;
mod fake_discord;

use fake_discord::bot::*;
use fake_discord::fixtures::{interaction, Person};
use fake_discord::flow::*;
use fake_discord::{Fake, APP_ID, GUILD};
use release_desk::chat::discord::handler;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_guild_id_commands_are_global_and_polls_still_count() {
    let fake = Fake::start().await;
    let bot = Bot::start_global(&fake, EARLY_CAB);
    fake.wait(15, "global registration", |f| {
        !f.find("PUT", &format!("/applications/{APP_ID}/commands"))
            .is_empty()
    })
    .await;
    assert!(fake
        .find("PUT", &format!("/applications/{APP_ID}/guilds/"))
        .is_empty());
    let cast = Cast::new(&fake);
    let poll = submit_release(&fake, &cast, 8000, "Global", "Payments").await;
    fake.react(CAB, poll, cast.c1.id, "✅", true);
    fake.react(CAB, poll, cast.c2.id, "✅", true);
    fake.wait(15, "the poll closed as approved", |f| {
        last_text(f, poll).contains("CLOSED: approved")
    })
    .await;
    assert!(fake.unknown().is_empty(), "{:?}", fake.unknown());
    // The bot's own records (the window announcements it schedules) belong
    // to the server of its channels, as the commands' records do.
    let db = release_desk::db::Db::open(&bot.url).await.unwrap();
    let guilds: Vec<String> =
        release_desk::db::query_scalar("SELECT DISTINCT guild FROM jobs ORDER BY guild")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(guilds, [GUILD.to_string()]);
    bot.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_are_offered_as_completions() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, "");
    fake.ready().await;
    let rita = Person::new(111, "rita", &[]);
    for (i, title) in ["Alpha change", "Beta change"].iter().enumerate() {
        run(
            &fake,
            8100 + i as u64,
            &rita,
            "rfc",
            Some("new"),
            &[
                ("title", json!(title)),
                ("type", json!("standard")),
                ("risk", json!("low")),
                ("impact", json!("none")),
            ],
        )
        .await;
    }
    let data = json!({"id": "7000", "name": "rfc", "type": 1, "options": [
        {"name": "show", "type": 1, "options": [{"name": "id", "type": 3, "value": "beta", "focused": true}]}
    ]});
    fake.interaction(interaction(8110, GENERAL, &rita, 4, data));
    fake.wait(10, "the completion", |f| callback(f, 8110).is_some())
        .await;
    let cb = callback(&fake, 8110).unwrap();
    assert_eq!(cb["type"], 8, "{cb:#}");
    let choices = cb["data"]["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 1, "{cb:#}");
    assert_eq!(choices[0]["value"], "RFC-2");
    assert!(choices[0]["name"].as_str().unwrap().contains("Beta change"));

    // A list completes its last item and keeps the ones before.
    let data = json!({"id": "7001", "name": "release", "type": 1, "options": [
        {"name": "new", "type": 1, "options": [
            {"name": "name", "type": 3, "value": "Payments"},
            {"name": "rfcs", "type": 3, "value": "RFC-1,bet", "focused": true}
        ]}
    ]});
    fake.interaction(interaction(8111, GENERAL, &rita, 4, data));
    fake.wait(10, "the list completion", |f| callback(f, 8111).is_some())
        .await;
    let cb = callback(&fake, 8111).unwrap();
    let choices = cb["data"]["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 1, "{cb:#}");
    assert_eq!(choices[0]["value"], "RFC-1,RFC-2");

    // A subscription target offers `all` too.
    let data = json!({"id": "7002", "name": "subscribe", "type": 1, "options": [
        {"name": "target", "type": 3, "value": "", "focused": true}
    ]});
    fake.interaction(interaction(8112, GENERAL, &rita, 4, data));
    fake.wait(10, "the target completion", |f| callback(f, 8112).is_some())
        .await;
    let cb = callback(&fake, 8112).unwrap();
    let values: Vec<&str> = cb["data"]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["all"], "{cb:#}");

    // Behind a long list the offered id stays readable, and a value over
    // Discord's 100 characters is not offered (it would void the answer).
    let list = |typed: &str| {
        json!({"id": "7003", "name": "release", "type": 1, "options": [
            {"name": "new", "type": 1, "options": [
                {"name": "rfcs", "type": 3, "value": typed, "focused": true}
            ]}
        ]})
    };
    let long = "RFC-1,".repeat(15); // 90 characters
    fake.interaction(interaction(8113, GENERAL, &rita, 4, list(&format!("{long}bet"))));
    fake.wait(10, "the long list completion", |f| callback(f, 8113).is_some())
        .await;
    let cb = callback(&fake, 8113).unwrap();
    let choices = cb["data"]["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 1, "{cb:#}");
    assert_eq!(choices[0]["value"], format!("{long}RFC-2"));
    let name = choices[0]["name"].as_str().unwrap();
    assert!(name.starts_with("… RFC-2 Beta"), "{name}");
    let longer = "RFC-1,".repeat(16); // 96: RFC-2 would make 101
    fake.interaction(interaction(
        8114,
        GENERAL,
        &rita,
        4,
        list(&format!("{longer}bet")),
    ));
    fake.wait(10, "the too-long list completion", |f| {
        callback(f, 8114).is_some()
    })
    .await;
    let cb = callback(&fake, 8114).unwrap();
    assert_eq!(cb["data"]["choices"], json!([]), "{cb:#}");

    // Release ids, by name.
    let rm = Person::new(112, "rm", &[RELEASE_MANAGER]);
    run(
        &fake,
        8115,
        &rm,
        "release",
        Some("new"),
        &[
            ("name", json!("Payments")),
            ("version", json!("2.3.0")),
            ("rfcs", json!("RFC-1")),
        ],
    )
    .await;
    let data = json!({"id": "7004", "name": "release", "type": 1, "options": [
        {"name": "show", "type": 1, "options": [{"name": "id", "type": 3, "value": "pay", "focused": true}]}
    ]});
    fake.interaction(interaction(8116, GENERAL, &rm, 4, data));
    fake.wait(10, "the release completion", |f| callback(f, 8116).is_some())
        .await;
    let cb = callback(&fake, 8116).unwrap();
    let choices = cb["data"]["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 1, "{cb:#}");
    assert_eq!(choices[0]["value"], "REL-1");
    assert!(fake.unknown().is_empty(), "{:?}", fake.unknown());
    bot.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_serenity_cannot_read_is_logged() {
    let fake = Fake::start().await;
    let mut bot = Bot::start(&fake, "");
    bot.expect_dropped_event();
    fake.ready().await;
    // A reaction event without its channel_id: serenity turns it into Event::Unknown.
    fake.dispatch(
        "MESSAGE_REACTION_ADD",
        json!({"user_id": "5", "message_id": "6", "guild_id": "1000", "emoji": {"id": null, "name": "✅"}}),
    );
    let mut logged = false;
    for _ in 0..100 {
        if bot.log().contains("not understood") {
            logged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(logged, "{}", bot.log());
    assert!(bot.log().contains("MESSAGE_REACTION_ADD"));
    bot.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_command_is_deferred_then_answered_in_place() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, "");
    fake.ready().await;
    let rita = Person::new(111, "rita", &[]);
    let nobody = Person::new(112, "nobody", &[]);
    // Another writer holds the database for three seconds: the commands wait.
    let db = release_desk::db::Db::open(&bot.url).await.unwrap();
    let tx = common::holding_the_write_lock(&db).await;
    fake.interaction(fake_discord::fixtures::slash(
        8201,
        GENERAL,
        &rita,
        "rfc",
        Some("new"),
        &[
            ("title", json!("Slow")),
            ("type", json!("standard")),
            ("risk", json!("low")),
            ("impact", json!("none")),
        ],
    ));
    // Refused only once the record is read, so it waits for the database too.
    fake.interaction(fake_discord::fixtures::slash(
        8202,
        GENERAL,
        &nobody,
        "rfc",
        Some("withdraw"),
        &[("id", json!("RFC-7"))],
    ));
    // Refused for want of a role: answered at once, the database untouched.
    fake.interaction(fake_discord::fixtures::slash(
        8203,
        GENERAL,
        &nobody,
        "release",
        Some("new"),
        &[
            ("name", json!("X")),
            ("version", json!("1.0.0")),
            ("rfcs", json!("RFC-1")),
        ],
    ));
    fake.wait(5, "all answered or deferred", |f| {
        [8201, 8202, 8203].iter().all(|id| callback(f, *id).is_some())
    })
    .await;
    let (sent, answered) = (fake.dispatch_times(), fake.callback_times());
    for id in [8201, 8202] {
        let cb = callback(&fake, id).unwrap();
        assert_eq!(cb["type"], 5, "deferred: {cb:#}");
        let took = answered[&id] - sent[&id];
        assert!(
            took < Duration::from_secs(3),
            "within Discord's 3 seconds: {took:?}"
        );
        assert!(
            took >= handler::DEFER_AFTER,
            "after the work had its {:?}: {took:?}",
            handler::DEFER_AFTER
        );
    }
    let refused = callback(&fake, 8203).unwrap();
    assert_eq!(refused["type"], 4, "answered, not deferred: {refused:#}");
    assert_eq!(refused["data"]["flags"].as_u64().unwrap() & 64, 64, "{refused:#}");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    tx.commit().await.unwrap();
    // The public answer replaces "thinking…"; the private one follows up ephemerally and removes it.
    fake.wait(10, "the deferred answers", |f| {
        !f.find("PATCH", "/webhooks/901/itoken-8201/messages/@original")
            .is_empty()
            && !f
                .find("DELETE", "/webhooks/901/itoken-8202/messages/@original")
                .is_empty()
    })
    .await;
    let edit = &fake.find("PATCH", "/webhooks/901/itoken-8201/messages/@original")[0].body;
    assert!(
        edit["embeds"][0]["title"].as_str().unwrap().contains("RFC-1"),
        "{edit:#}"
    );
    assert_eq!(edit["allowed_mentions"], SAFE());
    let follow = &fake.find("POST", "/webhooks/901/itoken-8202")[0].body;
    assert_eq!(follow["flags"].as_u64().unwrap() & 64, 64, "{follow:#}");
    assert_eq!(follow["allowed_mentions"], SAFE());
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_and_role_names_are_refused_at_start_naming_the_keys() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    // The shipped defaults name channels and roles as the console does.
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"sqlite://{}\"\n[discord]\napi_base = \"{}\"\nguild_id = 42\n[channels]\ncab = \"cab\"\n",
            dir.path().join("bot.sqlite").display(),
            fake.base()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_release-desk"))
        .arg("run")
        .arg("--config")
        .arg(&config)
        .env("DISCORD_TOKEN", TOKEN)
        .env_remove("DATABASE_URL")
        .env_remove("RELEASE_DESK_CONFIG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("channels.cab: \"cab\" — expected a Discord channel id"),
        "{err}"
    );
    assert!(err.contains("channels.announcements"), "{err}");
    assert!(err.contains("roles.release_manager"), "{err}");
    assert!(!err.contains(TOKEN), "the token is never shown");
    assert!(fake.requests().is_empty(), "nothing sent: {:?}", fake.summary());
    assert!(!dir.path().join("bot.sqlite").exists(), "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bare_release_desk_with_a_token_runs_the_bot() {
    let fake = Fake::start().await;
    let bot = Bot::start_bare(&fake);
    fake.ready().await;
    assert_eq!(fake.identifies().len(), 1);
    let rita = Person::new(111, "rita", &[]);
    let cb = run(&fake, 8300, &rita, "rfc", Some("list"), &[]).await;
    assert!(ephemeral(&cb), "{cb:#}");
    assert!(!bot.log().contains("local console"), "{}", bot.log());
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_registration_is_retried_when_the_session_resumes() {
    let fake = Fake::start().await;
    fake.fail("PUT", &format!("/applications/{APP_ID}/"), 500, 1);
    let mut bot = Bot::start(&fake, "");
    bot.expect_error("command registration failed");
    fake.ready().await;
    let before = fake.connections();
    fake.drop_socket();
    fake.wait(15, "a RESUME and a second registration", |f| {
        f.connections() > before
            && !f.resumes().is_empty()
            && f.find("PUT", &format!("/applications/{APP_ID}/")).len() >= 2
    })
    .await;
    let statuses: Vec<u16> = fake
        .find("PUT", &format!("/applications/{APP_ID}/"))
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [500, 200], "{:?}", fake.summary());
    assert_eq!(fake.identifies().len(), 1, "resumed, not identified again");
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    let log = bot.log();
    assert_eq!(
        error_lines(&log),
        1,
        "the one failed registration is logged as an error:\n{log}"
    );
    bot.stop();
}

/// The ERROR lines of a log.
fn error_lines(log: &str) -> usize {
    fake_discord::bot::unexpected_errors(log, &[]).len()
}

/// The harness's error check can fail: it finds an ERROR line among
/// others, skips one a test declared, and does not take "ERROR" in a
/// message for the level.
#[test]
fn the_error_check_sees_error_lines_only() {
    let log = "2026-12-01T09:00:00.000001Z  INFO release_desk: ERROR in a title\n\
               2026-12-01T09:00:00.000002Z ERROR release_desk::chat::discord::runner: reaction not recorded error=x\n\
               2026-12-01T09:00:00.000003Z ERROR release_desk::chat::discord::handler: command registration failed\n";
    assert_eq!(
        fake_discord::bot::unexpected_errors(log, &["command registration failed".to_string()]),
        vec!["2026-12-01T09:00:00.000002Z ERROR release_desk::chat::discord::runner: reaction not recorded error=x"]
    );
    assert_eq!(fake_discord::bot::unexpected_errors(log, &[]).len(), 2);
}

/// And on the real bot: an ERROR line the test did not declare fails it
/// when the bot is stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_error_of_the_bot_fails_the_test() {
    let fake = Fake::start().await;
    fake.fail("PUT", &format!("/applications/{APP_ID}/"), 500, 1);
    let bot = Bot::start(&fake, "");
    fake.ready().await;
    let mut logged = false;
    for _ in 0..200 {
        if bot.log().contains("command registration failed") {
            logged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(logged, "{}", bot.log());
    let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| bot.stop()));
    assert!(stopped.is_err(), "an undeclared ERROR line passed");
}

/// A token Discord refuses stops the bot at once, with status 2 and a
/// message naming the token, instead of retrying a gateway forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_stops_the_bot_with_status_2() {
    let fake = Fake::start().await;
    // Discord answers 401 to every request made with a bad token.
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        fake.fail(method, "/", 401, 1000);
    }
    let mut bot = Bot::start(&fake, "");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = bot.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running 10 s after a 401:\n{}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let log = bot.log();
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(log.contains("Discord refused the bot's token"), "{log}");
    assert!(log.contains("DISCORD_TOKEN"), "{log}");
    assert_eq!(fake.connections(), 0, "no gateway tried: {:?}", fake.summary());
    assert_eq!(
        fake.requests().iter().filter(|r| r.status == 401).count(),
        1,
        "one refused request, not retries: {:?}",
        fake.summary()
    );
    bot.stop();
}
