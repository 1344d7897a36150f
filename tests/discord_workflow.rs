//! The CAB workflow end to end: the real `release-desk run` (serenity)
//! against the fake Discord — the new commands registered, `/release vote`,
//! `/release recall` and `/release decide` run as interactions.

mod common;
mod fake_discord;

use fake_discord::bot::*;
use fake_discord::fixtures::Person;
use fake_discord::flow::*;
use fake_discord::{Fake, APP_ID, GUILD};
use serde_json::json;

/// Quorum 3, so two votes never close the poll early.
const SLOW_CAB: &str = "[cab]\nquorum = 3\nquorum_high = 3\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vote_with_a_reason_then_a_reaction_replaces_it_and_the_poll_is_recalled() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, SLOW_CAB);
    fake.ready().await;

    // The workflow's subcommands are registered from commands/*.toml.
    let put = fake.find("PUT", &format!("/applications/{APP_ID}/guilds/{GUILD}/commands"));
    let subs = |name: &str| -> Vec<String> {
        put[0]
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_string())
            .collect()
    };
    for (command, sub) in [
        ("release", "vote"),
        ("release", "recall"),
        ("release", "decide"),
        ("release", "edit"),
        ("release", "unschedule"),
        ("rfc", "edit"),
        ("calendar", "unfreeze"),
        ("audit", "log"),
    ] {
        assert!(
            subs(command).contains(&sub.to_string()),
            "/{command} {sub}: {:?}",
            subs(command)
        );
    }

    let cast = Cast::new(&fake);
    let poll = submit_release(&fake, &cast, 7000, "Move DNS", "DNS").await;
    let s = |v: &str| json!(v);

    let cb = run(
        &fake,
        7010,
        &cast.c1,
        "release",
        Some("vote"),
        &[
            ("id", s("REL-1")),
            ("vote", s("reject")),
            ("reason", s("no rollback test")),
        ],
    )
    .await;
    assert!(ephemeral(&cb), "a vote is answered privately: {cb:#}");
    assert!(text(&cb).contains("❌ reject — it counts"), "{}", text(&cb));
    fake.wait(10, "the poll showing the reason", |f| {
        last_text(f, poll).contains("❌ c1: no rollback test")
    })
    .await;
    assert!(
        last_text(&fake, poll).contains("❌ 1 (c1)"),
        "{}",
        last_text(&fake, poll)
    );
    for e in &fake.messages()[&poll].edits {
        assert_eq!(e["allowed_mentions"], SAFE(), "{e:#}");
    }

    // A reaction after the command replaces the command vote.
    fake.react(CAB, poll, cast.c1.id, "✅", true);
    fake.wait(10, "the reaction replacing the command vote", |f| {
        let t = last_text(f, poll);
        t.contains("✅ 1 (c1)") && t.contains("❌ 0") && !t.contains("no rollback test")
    })
    .await;

    // A reaction that is no vote is listed as such, in a field of the embed, and counts nothing.
    fake.react(CAB, poll, cast.c2.id, "✔️", true);
    fake.wait(10, "the poll listing the reaction as not a vote", |f| {
        last_text(f, poll).contains("\nnot a vote: c2 ✔️")
    })
    .await;
    let t = last_text(&fake, poll);
    assert!(t.contains("✅ 1 (c1)") && t.contains("❌ 0"), "{t}");

    // Somebody without the voting role cannot vote by command.
    let cb = run(
        &fake,
        7011,
        &cast.rita,
        "release",
        Some("vote"),
        &[("id", s("REL-1")), ("vote", s("approve"))],
    )
    .await;
    assert!(
        ephemeral(&cb) && text(&cb).contains("CAB member"),
        "{}",
        text(&cb)
    );

    let cb = run(
        &fake,
        7012,
        &cast.rm,
        "release",
        Some("recall"),
        &[("id", s("REL-1")), ("reason", s("forgot the database step"))],
    )
    .await;
    visible(&cb, "recalled by rm");
    visible(&cb, "state Planning");
    fake.wait(10, "the poll closed as recalled", |f| {
        last_text(f, poll).contains("CLOSED: recalled by rm (forgot the database step)")
    })
    .await;

    // The ledger keeps both votes; the poll is stored as recalled.
    let db = release_desk::db::Db::open(&bot.url).await.unwrap();
    let actions: Vec<String> = release_desk::db::query_scalar("SELECT action FROM votes ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(actions, ["command", "add"]);
    let reactions: Vec<(String, String)> =
        release_desk::db::query_as("SELECT emoji, action FROM poll_reactions ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(reactions, [("✔️".to_string(), "add".to_string())]);
    let outcome: String = release_desk::db::query_scalar("SELECT outcome FROM polls")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(outcome, "recalled");
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_manager_decides_a_poll_that_expired_without_quorum() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, &format!("{SLOW_CAB}deadline = \"3s\"\n"));
    fake.ready().await;
    let cast = Cast::new(&fake);
    let carol = Person::new(114, "carol", &[CHANGE_MANAGER]);
    fake.member(carol.id, &carol.name, &carol.roles);
    let poll = submit_release(&fake, &cast, 8000, "Move DNS", "DNS").await;
    let s = |v: &str| json!(v);
    let cb = run(
        &fake,
        8010,
        &cast.c1,
        "release",
        Some("vote"),
        &[("id", s("REL-1")), ("vote", s("approve"))],
    )
    .await;
    assert!(text(&cb).contains("it counts"), "{}", text(&cb));

    // Before the expiry there is nothing to decide.
    let decide = [
        ("id", s("REL-1")),
        ("decision", s("approve")),
        ("reason", s("two members away; rollback tested")),
    ];
    let cb = run(&fake, 8011, &carol, "release", Some("decide"), &decide).await;
    assert!(
        ephemeral(&cb) && text(&cb).contains("still open"),
        "{}",
        text(&cb)
    );

    fake.wait(20, "the poll expired", |f| {
        last_text(f, poll).contains("CLOSED: expired (1 vote of quorum 3)")
    })
    .await;
    // Only a change manager decides.
    let cb = run(&fake, 8012, &cast.rm, "release", Some("decide"), &decide).await;
    assert!(
        ephemeral(&cb) && text(&cb).contains("change manager"),
        "{}",
        text(&cb)
    );

    let cb = run(&fake, 8013, &carol, "release", Some("decide"), &decide).await;
    visible(&cb, "approved by carol (change manager)");
    visible(&cb, "state Preparing");
    fake.wait(10, "the decision shown on the poll", |f| {
        last_text(f, poll).contains("approved by carol (change manager)")
    })
    .await;
    let cb = run(&fake, 8014, &carol, "release", Some("decide"), &decide).await;
    assert!(
        ephemeral(&cb) && text(&cb).contains("decided already"),
        "{}",
        text(&cb)
    );

    let db = release_desk::db::Db::open(&bot.url).await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let r = release_desk::db::releases::get(&mut conn, &GUILD.to_string(), 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.lifecycle.state.key(), "preparing");
    let decision: Option<String> = release_desk::db::query_scalar("SELECT decision FROM polls")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(decision.as_deref(), Some("approved"));
    drop(conn);
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}
