//! The Discord adapter's guarantees, end to end against the fake: a
//! duplicated interaction runs once, a member without the role is refused
//! privately with nothing changed, a 429 is retried and the message posted
//! once, an answer Discord refuses is retried or posted in the channel, user
//! text never pings, and votes cast while the socket was down count after
//! the reconnect.

mod common;
mod fake_discord;

use fake_discord::bot::*;
use fake_discord::fixtures::{slash, Person};
use fake_discord::flow::*;
use fake_discord::{Fake, APP_ID, GUILD};
use serde_json::{json, Value};
use std::time::Duration;

async fn db(bot: &Bot) -> release_desk::db::Db {
    release_desk::db::Db::open(&bot.url).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicated_interaction_is_handled_once() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, "");
    fake.ready().await;
    let rita = Person::new(111, "rita", &[]);
    let i = slash(
        7001,
        GENERAL,
        &rita,
        "rfc",
        Some("new"),
        &[
            ("title", json!("Once only")),
            ("type", json!("standard")),
            ("risk", json!("low")),
            ("impact", json!("none")),
        ],
    );
    fake.interaction(i.clone());
    fake.interaction(i.clone());
    fake.wait(10, "an answer", |f| callback(f, 7001).is_some()).await;
    // A later, different command is answered, so the duplicate had its chance to run.
    run(&fake, 7002, &rita, "rfc", Some("list"), &[]).await;
    fake.interaction(i);
    run(&fake, 7003, &rita, "rfc", Some("list"), &[]).await;
    // Events are handled concurrently: wait for the bot to say it turned
    // both copies away before asserting that they did nothing.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while bot
        .log()
        .lines()
        .filter(|l| l.contains("duplicate interaction ignored") && l.contains("interaction=7001"))
        .count()
        < 2
    {
        assert!(std::time::Instant::now() < deadline, "{}", bot.log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        fake.find("POST", "/interactions/7001/").len(),
        1,
        "{:?}",
        fake.summary()
    );
    let db = db(&bot).await;
    let mut conn = db.pool.acquire().await.unwrap();
    let rfcs = release_desk::db::rfcs::list(&mut conn, &GUILD.to_string(), None)
        .await
        .unwrap();
    assert_eq!(rfcs.len(), 1, "one RFC, not three");
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_without_the_role_is_refused_privately_and_nothing_changes() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, "");
    fake.ready().await;
    // CAB role and an unrelated role, but not release manager.
    let mallory = Person::new(666, "mallory", &[CAB_MEMBER, 4242]);
    let cb = run(
        &fake,
        7101,
        &mallory,
        "release",
        Some("new"),
        &[
            ("name", json!("Sneaky")),
            ("version", json!("1.0.0")),
            ("rfcs", json!("RFC-1")),
        ],
    )
    .await;
    assert!(ephemeral(&cb), "a refusal is ephemeral: {cb:#}");
    assert!(
        text(&cb).to_lowercase().contains("release_manager")
            || text(&cb).to_lowercase().contains("release manager"),
        "{}",
        text(&cb)
    );
    // A bad option value is refused privately too, before any handler runs.
    let cb = run(
        &fake,
        7102,
        &mallory,
        "rfc",
        Some("show"),
        &[("id", json!("not-an-id"))],
    )
    .await;
    assert!(ephemeral(&cb), "{cb:#}");
    // Both answers came after their commands had finished: what they
    // committed is in the database now, and only the outbox posts later.
    let db = db(&bot).await;
    let mut conn = db.pool.acquire().await.unwrap();
    let releases = release_desk::db::releases::list(&mut conn, &GUILD.to_string(), None)
        .await
        .unwrap();
    assert!(releases.is_empty());
    for table in ["outbox", "audit", "jobs"] {
        let n: i64 = release_desk::db::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 0, "a refusal left rows in {table}");
    }
    assert!(
        fake.messages().is_empty(),
        "nothing posted: {:?}",
        fake.messages()
    );
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_on_a_post_is_retried_and_the_message_posted_once() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, "");
    fake.ready().await;
    let cast = Cast::new(&fake);
    fake.fail("POST", &format!("/channels/{CAB}/messages"), 429, 2);
    let poll = submit_release(&fake, &cast, 7200, "Rate limited", "Payments").await;
    let posts = fake.find("POST", &format!("/channels/{CAB}/messages"));
    let statuses: Vec<u16> = posts.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        vec![429, 429, 200],
        "retried after each 429, posted once"
    );
    // The longer of the wait asked (1 s) and the outbox's back-off, which grows.
    let gap1 = posts[1].at - posts[0].at;
    let gap2 = posts[2].at - posts[1].at;
    assert!(gap1 >= Duration::from_millis(900), "{gap1:?}");
    assert!(
        gap2 >= Duration::from_millis(1500),
        "the back-off grows: {gap1:?} then {gap2:?}"
    );
    assert_eq!(fake.messages().values().filter(|m| m.channel == CAB).count(), 1);
    assert!(fake.messages().contains_key(&poll));
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}

/// A 429 asking for longer than the outbox's own back-off is waited for:
/// its `retry_after` is honoured behind `api_base` too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_asking_for_5_seconds_is_retried_after_5_seconds_not_before() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, "");
    fake.ready().await;
    let cast = Cast::new(&fake);
    fake.set_retry_after(5.0);
    fake.fail("POST", &format!("/channels/{CAB}/messages"), 429, 1);
    let poll = submit_release(&fake, &cast, 7250, "Rate limited long", "Payments").await;
    let posts = fake.find("POST", &format!("/channels/{CAB}/messages"));
    let statuses: Vec<u16> = posts.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![429, 200], "retried once, posted once");
    let gap = posts[1].at - posts[0].at;
    assert!(
        gap >= Duration::from_secs(5),
        "retried {gap:?} after a 5 s retry_after"
    );
    assert!(gap < Duration::from_secs(9), "and not much later: {gap:?}");
    assert!(fake.messages().contains_key(&poll));
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}

/// Every create and edit the bot made, with its allowed_mentions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_refused_once_is_retried_and_one_never_accepted_goes_to_the_channel() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, "");
    fake.ready().await;
    let rita = Person::new(111, "rita", &[]);
    let rfc = |title: &str| {
        vec![
            ("title", json!(title)),
            ("type", json!("standard")),
            ("risk", json!("low")),
            ("impact", json!("none")),
        ]
    };
    let answered = |f: &Fake, id: u64| {
        f.find("POST", &format!("/interactions/{id}/"))
            .iter()
            .any(|r| r.status < 300)
    };
    // One 500: the answer is sent again, within Discord's three seconds.
    fake.fail("POST", "/interactions/7260/", 500, 1);
    fake.interaction(slash(
        7260,
        GENERAL,
        &rita,
        "rfc",
        Some("new"),
        &rfc("Second try"),
    ));
    fake.wait(10, "the retried answer", |f| answered(f, 7260)).await;
    let tries = fake.find("POST", "/interactions/7260/");
    assert_eq!(
        tries.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![500, 204],
        "{:?}",
        fake.summary()
    );
    assert!(
        text(&tries[1].body).contains("RFC-1 opened"),
        "{}",
        text(&tries[1].body)
    );
    // Never accepted: the record changed, so its answer is posted in the channel instead.
    fake.fail("POST", "/interactions/7261/", 503, 1000);
    fake.interaction(slash(
        7261,
        GENERAL,
        &rita,
        "rfc",
        Some("new"),
        &rfc("@everyone Never answered"),
    ));
    fake.wait(15, "the answer in the channel", |f| {
        f.find("POST", &format!("/channels/{GENERAL}/messages"))
            .iter()
            .any(|r| {
                r.status < 300
                    && r.body["embeds"][0]["title"]
                        .as_str()
                        .unwrap_or("")
                        .contains("RFC-2 opened")
            })
    })
    .await;
    assert!(
        fake.find("POST", "/interactions/7261/").len() >= 2,
        "retried first"
    );
    assert!(!answered(&fake, 7261));
    let posted = fake.find("POST", &format!("/channels/{GENERAL}/messages"));
    assert_eq!(posted.len(), 1, "posted once: {:?}", fake.summary());
    assert_eq!(posted[0].body["allowed_mentions"], SAFE());
    assert!(fake.unknown().is_empty(), "{:?}", fake.unknown());
    bot.stop();
}

fn creates_and_edits(fake: &Fake) -> Vec<(String, Value)> {
    fake.requests()
        .into_iter()
        .filter_map(|r| {
            let p = &r.path;
            let am = if r.method == "POST" && p.starts_with("/interactions/") {
                r.body["data"]["allowed_mentions"].clone()
            } else if (r.method == "POST" && p.starts_with("/channels/") && p.ends_with("/messages"))
                || (r.method == "PATCH" && p.starts_with("/channels/"))
                || (p.starts_with("/webhooks/") && (r.method == "POST" || r.method == "PATCH"))
            {
                r.body["allowed_mentions"].clone()
            } else {
                return None;
            };
            Some((format!("{} {}", r.method, r.path), am))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_typed_by_users_never_pings() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, EARLY_CAB);
    fake.ready().await;
    let cast = Cast::new(&fake);
    let corpus = [
        "@everyone",
        "@here",
        "<@&3001>",
        "<@&1000>",
        "@\u{200b}everyone",
        "@every\u{200b}one",
        "\u{ff20}here",
        "<@111>",
        "<@!9001>",
        "@everyone@here<@&3003>",
    ];
    let title = corpus.join(" ");
    let poll = submit_release(&fake, &cast, 7300, &title, "@everyone <@&3001> release").await;
    let rita = &cast.rita;
    for (i, word) in corpus.iter().enumerate() {
        run(
            &fake,
            7400 + i as u64,
            rita,
            "rfc",
            Some("new"),
            &[
                ("title", json!(word)),
                ("type", json!("standard")),
                ("risk", json!("low")),
                ("impact", json!(word)),
            ],
        )
        .await;
        // Invalid input echoing the text comes back privately, still without pings.
        run(
            &fake,
            7500 + i as u64,
            rita,
            "rfc",
            Some("list"),
            &[("status", json!(word))],
        )
        .await;
    }
    // Votes edit the poll (edits carry the user names, here hostile ones).
    let hostile = Person::new(9_003, "@everyone", &[CAB_MEMBER]);
    fake.member(hostile.id, &hostile.name, &hostile.roles);
    fake.react(CAB, poll, hostile.id, "✅", true);
    fake.react(CAB, poll, cast.c1.id, "✅", true);
    fake.wait(15, "the poll closed", |f| last_text(f, poll).contains("CLOSED"))
        .await;
    // The decision's posts and edits, every one delivered before they are checked.
    bot.wait_delivered(15).await;
    let all = creates_and_edits(&fake);
    assert!(all.len() >= 25, "{all:#?}");
    for (what, am) in &all {
        assert_eq!(am["parse"], json!([]), "{what}: {am}");
        assert_eq!(am["roles"], json!([]), "{what}: {am}");
        assert_eq!(
            am["users"],
            json!([]),
            "{what}: no one is meant to be pinged here: {am}"
        );
    }
    // And user text never reaches the content (the only part that can ping).
    for r in fake.requests() {
        let content = r.body["content"]
            .as_str()
            .or(r.body["data"]["content"].as_str())
            .unwrap_or("");
        assert!(
            !content.contains("everyone") && !content.contains("here") && !content.contains("<@&"),
            "{} {}: {content}",
            r.method,
            r.path
        );
    }
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_cast_while_the_socket_was_down_count_after_the_reconnect() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, EARLY_CAB);
    fake.ready().await;
    let cast = Cast::new(&fake);
    let poll = submit_release(&fake, &cast, 7600, "Offline votes", "Payments").await;
    // 120 other reactors first (no CAB role), so the CAB votes are on the second page.
    for u in 5_000..5_120u64 {
        fake.member(u, &format!("u{u}"), &[]);
        fake.add_reaction_silently(poll, "✅", u);
    }
    // The socket drops; the votes are cast while the bot is away (no events reach it).
    let before = fake.connections();
    fake.drop_socket();
    fake.add_reaction_silently(poll, "✅", cast.c1.id);
    fake.add_reaction_silently(poll, "✅", cast.c2.id);
    fake.wait(15, "the bot to reconnect", |f| {
        f.connections() > before && (!f.resumes().is_empty() || f.identifies().len() > 1)
    })
    .await;
    fake.wait(15, "the poll closed as approved after the recount", |f| {
        last_text(f, poll).contains("CLOSED: approved")
    })
    .await;
    let pages: Vec<String> = fake
        .find("GET", &format!("/channels/{CAB}/messages/{poll}/reactions/✅"))
        .iter()
        .map(|r| r.query.clone())
        .collect();
    assert!(
        pages
            .iter()
            .any(|q| q.contains("limit=100") && !q.contains("after")),
        "{pages:?}"
    );
    assert!(
        pages
            .iter()
            .any(|q| q.contains("limit=100") && q.contains("after=")),
        "a second page was read: {pages:?}"
    );
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_cast_while_away_and_one_cast_live_decide_together() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, EARLY_CAB);
    fake.ready().await;
    let cast = Cast::new(&fake);
    let poll = submit_release(&fake, &cast, 7650, "Half offline", "Payments").await;
    let before = fake.connections();
    fake.drop_socket();
    fake.add_reaction_silently(poll, "✅", cast.c1.id);
    fake.wait(15, "the bot to reconnect", |f| {
        f.connections() > before && (!f.resumes().is_empty() || f.identifies().len() > 1)
    })
    .await;
    // One vote of the two early approval needs: the recount shows it, the poll stays open.
    fake.wait(15, "the recount to show c1's vote", |f| {
        last_text(f, poll).contains("✅ 1 (c1)")
    })
    .await;
    assert!(
        !last_text(&fake, poll).contains("CLOSED"),
        "{}",
        last_text(&fake, poll)
    );
    // c2 votes with the bot listening: c1's vote from the recount still counts.
    fake.react(CAB, poll, cast.c2.id, "✅", true);
    fake.wait(15, "early approval by c1 and c2", |f| {
        last_text(f, poll).contains("CLOSED: approved")
    })
    .await;
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_invalid_session_the_bot_identifies_again_and_recounts() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, EARLY_CAB);
    fake.ready().await;
    let cast = Cast::new(&fake);
    let poll = submit_release(&fake, &cast, 7700, "Invalid session", "Payments").await;
    fake.add_reaction_silently(poll, "✅", cast.c1.id);
    fake.add_reaction_silently(poll, "✅", cast.c2.id);
    fake.invalid_session(false);
    fake.wait(20, "a second IDENTIFY", |f| f.identifies().len() >= 2)
        .await;
    fake.wait(15, "the recount after READY", |f| {
        last_text(f, poll).contains("CLOSED: approved")
    })
    .await;
    // Commands are registered once per process, not on every READY.
    assert_eq!(fake.find("PUT", "/applications/").len(), 1);
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}

/// Killed (kill -9) after a command committed and before Discord took its
/// answer, the bot sends that answer as a follow-up once restarted, while
/// the interaction's token lasts, and once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_a_kill_kept_from_discord_is_sent_as_a_follow_up_after_the_restart() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, "");
    fake.ready().await;
    let rita = Person::new(111, "rita", &[]);
    fake.hold_callbacks(true);
    fake.interaction(slash(
        7601,
        GENERAL,
        &rita,
        "rfc",
        Some("new"),
        &[
            ("title", json!("Survives a crash")),
            ("type", json!("standard")),
            ("risk", json!("low")),
            ("impact", json!("none")),
        ],
    ));
    // The callback on its way: the command has committed.
    fake.wait(10, "the callback, held", |f| f.held() == 1).await;
    let dir = bot.stop();
    fake.hold_callbacks(false);
    let bot = Bot::start_in(&fake, "", dir, GUILD);
    fake.wait(15, "the restarted bot to identify", |f| f.identifies().len() == 2)
        .await;
    let path = format!("/webhooks/{APP_ID}/itoken-7601");
    fake.wait(15, "the answer as a follow-up", |f| {
        !f.find("POST", &path).is_empty()
    })
    .await;
    let follow = &fake.find("POST", &path)[0].body;
    assert!(
        follow["embeds"][0]["title"]
            .as_str()
            .unwrap_or("")
            .contains("RFC-1"),
        "{follow:#}"
    );
    assert_eq!(
        follow["flags"].as_u64().unwrap_or(0) & 64,
        0,
        "a record change is shown to all: {follow:#}"
    );
    assert_eq!(follow["allowed_mentions"], SAFE());
    assert!(callback(&fake, 7601).is_none(), "the held callback never arrived");
    // Once: the token is forgotten when the follow-up went out.
    let token = || async {
        let db = db(&bot).await;
        let t: Option<String> =
            release_desk::db::query_scalar("SELECT token FROM interactions WHERE id = '7601'")
                .fetch_one(&db.pool)
                .await
                .unwrap();
        t
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while token().await.is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the token is kept after the follow-up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dir = bot.terminate();
    let bot = Bot::start_in(&fake, "", dir, GUILD);
    fake.wait(15, "a third start", |f| f.identifies().len() == 3)
        .await;
    // A command answered by the third process shows its start is past.
    run(&fake, 7602, &rita, "rfc", Some("list"), &[]).await;
    assert_eq!(fake.find("POST", &path).len(), 1, "{:?}", fake.summary());
    let db = db(&bot).await;
    let mut conn = db.pool.acquire().await.unwrap();
    let rfcs = release_desk::db::rfcs::list(&mut conn, &GUILD.to_string(), None)
        .await
        .unwrap();
    assert_eq!(rfcs.len(), 1);
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}
