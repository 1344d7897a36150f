//! End to end: the real `release-desk run` (serenity) against the fake Discord.

mod common;
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
    let db = release_desk::db::Db::open(&bot.url).await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let rfc = release_desk::db::rfcs::get(&mut conn, &GUILD.to_string(), 1)
        .await
        .unwrap();
    assert_eq!(rfc.unwrap().title, "Upgrade the payment gateway");
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_goes_from_rfc_new_to_release_close_through_interactions_and_reactions() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, &format!("{EARLY_CAB}{ALWAYS_OPEN}"));
    fake.ready().await;
    let rita = Person::new(111, "rita", &[]);
    let rm = Person::new(112, "rm", &[RELEASE_MANAGER]);
    let bob = Person::new(113, "bob", &[BUILD_MANAGER]);
    let carol = Person::new(114, "carol", &[CHANGE_MANAGER]);
    let c1 = Person::new(121, "c1", &[CAB_MEMBER]);
    let c2 = Person::new(122, "c2", &[CAB_MEMBER]);
    let dan = Person::new(115, "dan", &[DEPLOYMENT_STAFF]);
    let ella = Person::new(116, "ella", &[ELS_STAFF]);
    for p in [&rita, &rm, &bob, &carol, &c1, &c2, &dan, &ella] {
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
    // Its colour is its state's (Planning: Discord's blurple); its key facts are embed fields.
    assert_eq!(cb["data"]["embeds"][0]["color"], 0x58_65_f2, "{cb:#}");
    let fields = cb["data"]["embeds"][0]["fields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        fields
            .iter()
            .any(|f| f["name"] == "next" && f["value"].as_str().unwrap_or("").contains("/release submit")),
        "{cb:#}"
    );
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

    // Deployments, environment by environment, inside the (always open) window.
    let mut id = 6100;
    let mut next = || {
        id += 1;
        id
    };
    for (env, steps) in [
        ("staging", &["Deploy api", "Run smoke tests"][..]),
        ("prod", &["Deploy api"][..]),
    ] {
        let cb = run(
            &fake,
            next(),
            &dan,
            "deploy",
            Some("plan"),
            &[
                ("release", s("REL-1")),
                ("env", s(env)),
                ("steps", s(&steps.join(";"))),
            ],
        )
        .await;
        visible(&cb, "REL-1");
        let cb = run(
            &fake,
            next(),
            &dan,
            "deploy",
            Some("start"),
            &[("release", s("REL-1")), ("env", s(env))],
        )
        .await;
        // Deployment commands update the progress message and answer the actor privately.
        assert!(
            ephemeral(&cb) && text(&cb).contains(&format!("deployment to {env} started")),
            "{cb:#}"
        );
        for step in 1..=steps.len() {
            let cb = run(
                &fake,
                next(),
                &dan,
                "deploy",
                Some("step"),
                &[
                    ("release", s("REL-1")),
                    ("env", s(env)),
                    ("step", json!(step)),
                    ("status", s("done")),
                ],
            )
            .await;
            assert!(
                ephemeral(&cb) && text(&cb).contains(&format!("step {step} done")),
                "{}",
                text(&cb)
            );
        }
        let cb = run(
            &fake,
            next(),
            &dan,
            "deploy",
            Some("verify"),
            &[
                ("release", s("REL-1")),
                ("env", s(env)),
                ("result", s("confirmed")),
            ],
        )
        .await;
        assert!(
            ephemeral(&cb) && text(&cb).contains(&format!("deployment to {env} verified")),
            "{cb:#}"
        );
        // The progress message in #deployments is one message, edited in place.
        let progress = |f: &Fake| {
            f.messages()
                .into_iter()
                .find(|(_, m)| {
                    m.channel == DEPLOY && {
                        let t = m.body["embeds"][0]["title"].as_str().unwrap_or("").to_string();
                        t.contains(&format!("→ {env}"))
                    }
                })
                .map(|(id, _)| id)
        };
        fake.wait(
            10,
            &format!("the {env} progress message edited to verified"),
            |f| progress(f).is_some_and(|m| last_text(f, m).contains("verified")),
        )
        .await;
        let m = progress(&fake).unwrap();
        assert!(!fake.messages()[&m].edits.is_empty());
        for e in &fake.messages()[&m].edits {
            assert_eq!(e["allowed_mentions"], SAFE(), "{e:#}");
        }
    }
    // Nothing of the steps was posted in a channel: the progress message told it.
    for (id, m) in fake.messages() {
        let t = last_text(&fake, id);
        assert!(
            !t.contains("step 1 done"),
            "a step was posted in {}: {t}",
            m.channel
        );
    }
    assert!(text(&cb_show(&fake, next(), &rita).await).contains("Early life support"));

    // The satisfaction survey: posted with its five reactions; a 4️⃣ is counted.
    let survey = |f: &Fake| {
        f.messages()
            .into_iter()
            .find(|(id, m)| m.channel == ANNOUNCE && last_text(f, *id).contains("How satisfied"))
            .map(|(id, _)| id)
    };
    fake.wait(10, "the survey with its reactions", |f| {
        survey(f).is_some_and(|m| {
            ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣"]
                .iter()
                .all(|e| f.reactors(m, e).contains(&fake_discord::BOT_ID))
        })
    })
    .await;
    let survey = survey(&fake).unwrap();
    fake.react(ANNOUNCE, survey, rita.id, "4️⃣", true);
    let db = release_desk::db::Db::open(&bot.url).await.unwrap();
    let row = {
        let mut conn = db.pool.acquire().await.unwrap();
        release_desk::db::releases::get(&mut conn, &GUILD.to_string(), 1)
            .await
            .unwrap()
            .unwrap()
            .row
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mut conn = db.pool.acquire().await.unwrap();
        let (avg, n) = release_desk::db::incidents::csat_for_release(&mut conn, &GUILD.to_string(), row)
            .await
            .unwrap();
        if n == 1 {
            assert_eq!(avg, Some(4.0));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the survey answer was not recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // An answer taken back no longer counts.
    let csat_becomes = |want: (Option<f64>, i64)| {
        let db = db.clone();
        async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                let mut conn = db.pool.acquire().await.unwrap();
                let got = release_desk::db::incidents::csat_for_release(&mut conn, &GUILD.to_string(), row)
                    .await
                    .unwrap();
                if got == want {
                    return;
                }
                assert!(std::time::Instant::now() < deadline, "CSAT {got:?}, not {want:?}");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    };
    fake.react(ANNOUNCE, survey, rm.id, "2️⃣", true);
    csat_becomes((Some(3.0), 2)).await;
    fake.react(ANNOUNCE, survey, rm.id, "2️⃣", false);
    csat_becomes((Some(4.0), 1)).await;
    // An answer given while the bot was away counts once it reconnects.
    let before = fake.connections();
    fake.drop_socket();
    fake.add_reaction_silently(survey, "5️⃣", c1.id);
    fake.wait(15, "the bot to reconnect", |f| f.connections() > before)
        .await;
    csat_becomes((Some(4.5), 2)).await;

    // An incident during early life support, resolved.
    let cb = run(
        &fake,
        next(),
        &ella,
        "incident",
        Some("new"),
        &[
            ("release", s("REL-1")),
            ("severity", json!(2)),
            ("defect", s("configuration")),
            ("title", s("Timeouts on refunds")),
        ],
    )
    .await;
    visible(&cb, "INC-1");
    let cb = run(
        &fake,
        next(),
        &ella,
        "incident",
        Some("resolve"),
        &[
            ("id", s("INC-1")),
            ("effort", json!(3.5)),
            ("notes", s("pool size raised")),
        ],
    )
    .await;
    visible(&cb, "INC-1 resolved");
    let cb = run(
        &fake,
        next(),
        &rm,
        "report",
        Some("release"),
        &[("id", s("REL-1"))],
    )
    .await;
    assert!(ephemeral(&cb), "a personal view: {cb:#}");
    assert!(
        text(&cb).contains("satisfaction: 4.5/5 from 2 responses"),
        "{}",
        text(&cb)
    );

    // Closing: refused while early life support lasts, unless early with a reason.
    let cb = run(
        &fake,
        next(),
        &rm,
        "release",
        Some("close"),
        &[("id", s("REL-1")), ("handover", s("Runbook v3 to operations"))],
    )
    .await;
    assert!(ephemeral(&cb), "{cb:#}");
    assert!(text(&cb).contains("early life support"), "{}", text(&cb));
    let cb = run(
        &fake,
        next(),
        &rm,
        "release",
        Some("close"),
        &[
            ("id", s("REL-1")),
            ("handover", s("Runbook v3 to operations")),
            ("early", s("stable for a week")),
        ],
    )
    .await;
    visible(&cb, "closed early");
    assert!(text(&cb).contains("state Closed"), "{}", text(&cb));
    assert!(text(&cb_show(&fake, next(), &rita).await).contains("Closed"));

    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}

/// A release window that is always open for both environments, and a short early life.
const ALWAYS_OPEN: &str = r#"
[calendar]
announce_before = []

[[calendar.windows]]
name = "always"
cron = "0 0 0 * * *"
duration = "24h"
environments = ["staging", "prod"]

[els]
days = 7
"#;

async fn cb_show(fake: &Fake, id: u64, who: &Person) -> serde_json::Value {
    run(fake, id, who, "release", Some("show"), &[("id", json!("REL-1"))]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_ics_and_report_metrics_answer_with_their_files_uploaded() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, ALWAYS_OPEN);
    fake.ready().await;
    let rita = Person::new(111, "rita", &[]);
    fake.member(rita.id, &rita.name, &rita.roles);

    let upload = |id: u64| {
        let r = fake
            .find("POST", &format!("/interactions/{id}/"))
            .pop()
            .expect("the callback");
        assert_eq!(r.files.len(), 1, "one file uploaded: {:?}", r.files);
        r
    };

    let cb = run(&fake, 7001, &rita, "calendar", Some("ics"), &[("days", json!(7))]).await;
    assert!(ephemeral(&cb), "{cb:#}");
    assert!(text(&cb).contains("release-desk.ics"), "{}", text(&cb));
    assert_eq!(cb["data"]["allowed_mentions"], SAFE());
    let r = upload(7001);
    let f = &r.files[0];
    assert_eq!(f.field, "files[0]");
    assert_eq!(f.filename, "release-desk.ics");
    let ics = String::from_utf8(f.bytes.clone()).unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
    assert!(ics.contains("always"), "the window is in the file: {ics}");
    // The message names its attachment, as Discord requires.
    assert_eq!(
        cb["data"]["attachments"][0]["filename"], "release-desk.ics",
        "{cb:#}"
    );

    let cb = run(&fake, 7002, &rita, "report", Some("metrics"), &[]).await;
    assert!(ephemeral(&cb), "{cb:#}");
    let r = upload(7002);
    let f = &r.files[0];
    assert_eq!(f.filename, "release-metrics.png");
    assert!(
        f.bytes.starts_with(b"\x89PNG\r\n\x1a\n") && f.bytes.len() > 1000,
        "a PNG chart ({} bytes)",
        f.bytes.len()
    );
    assert_eq!(cb["data"]["attachments"][0]["filename"], "release-metrics.png");

    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_list_is_cut_to_discords_limits_with_and_n_more() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, "");
    fake.ready().await;
    let rita = Person::new(111, "rita", &[]);
    for i in 0..60u64 {
        let title: String = format!("Change {i:02} {}", "with a long description ".repeat(5))
            .chars()
            .take(100)
            .collect();
        let cb = run(
            &fake,
            9000 + i,
            &rita,
            "rfc",
            Some("new"),
            &[
                ("title", json!(title.trim())),
                ("type", json!("standard")),
                ("risk", json!("low")),
                ("impact", json!("none")),
            ],
        )
        .await;
        assert!(!ephemeral(&cb), "{}", text(&cb));
    }
    let cb = run(&fake, 9100, &rita, "rfc", Some("list"), &[]).await;
    let embed = &cb["data"]["embeds"][0];
    let description = embed["description"].as_str().unwrap_or("");
    let total: usize = [&embed["title"], &embed["description"]]
        .iter()
        .map(|v| v.as_str().unwrap_or("").chars().count())
        .sum::<usize>()
        + embed["footer"]["text"].as_str().unwrap_or("").chars().count()
        + embed["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                f["name"].as_str().unwrap_or("").chars().count()
                    + f["value"].as_str().unwrap_or("").chars().count()
            })
            .sum::<usize>();
    assert!(
        description.chars().count() <= 4096,
        "{}",
        description.chars().count()
    );
    assert!(total <= 6000, "{total}");
    let last = description.lines().last().unwrap_or("");
    assert!(last.starts_with("… and ") && last.ends_with(" more"), "{last}");
    assert!(fake.unknown().is_empty(), "{:?}", fake.unknown());
    bot.stop();
}
