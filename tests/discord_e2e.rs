//! End to end: the real `release-desk run` (serenity) against the fake Discord.

mod fake_discord;

use fake_discord::bot::*;
use fake_discord::fixtures::{slash, Person};
use fake_discord::{Fake, APP_ID, GUILD};
use serde_json::{json, Value};

fn callback(fake: &Fake, interaction: u64) -> Option<Value> {
    fake.find("POST", &format!("/interactions/{interaction}/"))
        .last()
        .map(|r| r.body.clone())
}

const SAFE: fn() -> Value = || json!({"parse": [], "users": [], "roles": [], "replied_user": false});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_registers_and_answers_rfc_new() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, "");
    fake.ready().await;
    // The gateway URL came from the fake, so nothing reached the real Discord.
    assert_eq!(fake.find("GET", "/gateway").len(), 1, "{:?}", fake.summary());
    let identify = &fake.identifies()[0];
    assert_eq!(
        identify["token"].as_str().unwrap().trim_start_matches("Bot "),
        TOKEN
    );
    let intents = identify["intents"].as_u64().unwrap();
    assert_eq!(intents, 1 | (1 << 10), "guilds and guild message reactions only");
    let put = fake.find("PUT", &format!("/applications/{APP_ID}/guilds/{GUILD}/commands"));
    assert_eq!(put.len(), 1, "guild-scoped bulk overwrite");
    let names: Vec<&str> = put[0]
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"rfc") && names.contains(&"release"), "{names:?}");

    let alice = Person::new(111, "alice", &[]);
    fake.interaction(slash(
        5001,
        GENERAL,
        &alice,
        "rfc",
        Some("new"),
        &[
            ("title", json!("Upgrade the payment gateway")),
            ("type", json!("normal")),
            ("risk", json!("medium")),
            ("impact", json!("Payments down 5 minutes")),
        ],
    ));
    fake.wait(10, "the interaction answered", |f| callback(f, 5001).is_some())
        .await;
    let cb = callback(&fake, 5001).unwrap();
    assert_eq!(cb["type"], 4, "a channel message: {cb:#}");
    let flags = cb["data"]["flags"].as_u64().unwrap_or(0);
    assert_eq!(flags & 64, 0, "a record change is visible: {cb:#}");
    let embed = &cb["data"]["embeds"][0];
    let text = format!("{} {}", embed["title"], embed["description"]);
    assert!(text.contains("RFC-1"), "{cb:#}");
    assert_eq!(cb["data"]["allowed_mentions"], SAFE());

    // The record is stored.
    let db = release_desk::db::Db::open(bot.db.to_str().unwrap())
        .await
        .unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let rfc = release_desk::db::rfcs::get(&mut conn, &GUILD.to_string(), 1)
        .await
        .unwrap();
    assert_eq!(rfc.unwrap().title, "Upgrade the payment gateway");
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}
