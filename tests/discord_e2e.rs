//! End to end: the real `release-desk run` (serenity) against the fake Discord.

mod fake_discord;

use fake_discord::bot::*;
use fake_discord::fixtures::{slash, Person};
use fake_discord::flow::*;
use fake_discord::{Fake, APP_ID, GUILD};
use serde_json::json;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_goes_from_rfc_to_authorization_through_interactions_and_reactions() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, EARLY_CAB);
    fake.ready().await;
    let rita = Person::new(111, "rita", &[]);
    let rm = Person::new(112, "rm", &[RELEASE_MANAGER]);
    let bob = Person::new(113, "bob", &[BUILD_MANAGER]);
    let carol = Person::new(114, "carol", &[CHANGE_MANAGER]);
    let c1 = Person::new(121, "c1", &[CAB_MEMBER]);
    let c2 = Person::new(122, "c2", &[CAB_MEMBER]);
    for p in [&rita, &rm, &bob, &carol, &c1, &c2] {
        fake.member(p.id, &p.name, &p.roles);
    }
    let s = |v: &str| json!(v);
    let cb = run(
        &fake,
        6001,
        &rita,
        "rfc",
        Some("new"),
        &[
            ("title", s("Upgrade payment gateway")),
            ("type", s("normal")),
            ("risk", s("medium")),
            ("impact", s("Checkout degraded for 5 minutes")),
        ],
    )
    .await;
    visible(&cb, "RFC-1");
    let cb = run(
        &fake,
        6002,
        &rm,
        "release",
        Some("new"),
        &[
            ("name", s("Payments 2.3")),
            ("version", s("2.3.0")),
            ("rfcs", s("RFC-1")),
        ],
    )
    .await;
    visible(&cb, "REL-1");
    let cb = run(
        &fake,
        6003,
        &rm,
        "release",
        Some("plan"),
        &[
            ("id", s("REL-1")),
            ("scope", s("Gateway SDK 5")),
            ("backout", s("redeploy 2.2.4")),
            ("acceptance", s("checkout smoke tests green")),
        ],
    )
    .await;
    visible(&cb, "REL-1");
    let cb = run(&fake, 6004, &rm, "release", Some("submit"), &[("id", s("REL-1"))]).await;
    visible(&cb, "submitted to the CAB");

    // The poll is posted in #cab with the three vote reactions.
    fake.wait(10, "the CAB poll with its reactions", |f| {
        poll_message(f).is_some_and(|m| {
            ["✅", "❌", "🤷"]
                .iter()
                .all(|e| f.reactors(m, e).contains(&fake_discord::BOT_ID))
        })
    })
    .await;
    let poll = poll_message(&fake).unwrap();
    assert!(
        last_text(&fake, poll).contains("CAB vote — REL-1"),
        "{}",
        last_text(&fake, poll)
    );
    let posted = &fake.messages()[&poll].body;
    assert_eq!(posted["allowed_mentions"], SAFE(), "{posted:#}");

    // Two CAB members approve by reaction; the poll closes early, approved.
    fake.react(CAB, poll, c1.id, "✅", true);
    fake.react(CAB, poll, c2.id, "✅", true);
    fake.wait(15, "the poll closed as approved", |f| {
        last_text(f, poll).contains("CLOSED: approved")
    })
    .await;
    // The count was read back from Discord, the bot's own reactions not counted.
    assert!(!fake
        .find("GET", &format!("/channels/{CAB}/messages/{poll}/reactions/"))
        .is_empty());
    assert!(
        last_text(&fake, poll).contains("2 ✅") || last_text(&fake, poll).contains("✅ 2"),
        "{}",
        last_text(&fake, poll)
    );

    // The requester hears of the decision in a direct message.
    fake.wait(10, "a DM to the requester", |f| {
        f.find("POST", "/users/@me/channels")
            .iter()
            .any(|r| r.body["recipient_id"] == json!(rita.id.to_string()))
            && f.messages().values().any(|m| m.channel == 50_000 + rita.id)
    })
    .await;
    let dm = fake
        .messages()
        .into_values()
        .find(|m| m.channel == 50_000 + rita.id)
        .unwrap();
    assert!(
        dm.body["embeds"][0]["title"]
            .as_str()
            .unwrap_or("")
            .contains("REL-1"),
        "{:#}",
        dm.body
    );
    assert_eq!(dm.body["allowed_mentions"], SAFE());

    let cb = run(
        &fake,
        6005,
        &rm,
        "release",
        Some("prepare"),
        &[
            ("id", s("REL-1")),
            ("validation", s("Service validation report v3")),
            ("training", s("Service desk briefing")),
        ],
    )
    .await;
    visible(&cb, "state Building");
    let cb = run(
        &fake,
        6006,
        &bob,
        "package",
        Some("add"),
        &[
            ("release", s("REL-1")),
            ("item", s("api")),
            ("version", s("2.3.0")),
        ],
    )
    .await;
    assert!(!ephemeral(&cb), "{}", text(&cb));
    let cb = run(
        &fake,
        6007,
        &bob,
        "package",
        Some("baseline"),
        &[("release", s("REL-1"))],
    )
    .await;
    assert!(!ephemeral(&cb), "{}", text(&cb));
    let cb = run(
        &fake,
        6008,
        &bob,
        "release",
        Some("build"),
        &[("id", s("REL-1")), ("notes", s("build 118"))],
    )
    .await;
    visible(&cb, "state Testing");
    let cb = run(
        &fake,
        6009,
        &bob,
        "release",
        Some("test"),
        &[("id", s("REL-1")), ("result", s("pass"))],
    )
    .await;
    visible(&cb, "state Awaiting authorization");
    let cb = run(
        &fake,
        6010,
        &carol,
        "release",
        Some("authorize"),
        &[
            ("id", s("REL-1")),
            ("decision", s("approve")),
            ("reason", s("CAB approved, tests green")),
        ],
    )
    .await;
    visible(&cb, "authorized");
    let cb = run(&fake, 6011, &rita, "release", Some("show"), &[("id", s("REL-1"))]).await;
    assert!(text(&cb).contains("Deployment planning"), "{}", text(&cb));

    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}
