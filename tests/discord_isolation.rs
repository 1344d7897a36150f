//! A server the desk does not serve, end to end against the fake Discord:
//! its commands are answered privately with the refusal and nothing of the
//! served server; its completions and reactions are ignored; the database
//! is unchanged, row for row, and the bot makes no other request for it.

mod common;
mod fake_discord;
mod rows;

use fake_discord::bot::*;
use fake_discord::fixtures::{interaction, reaction, slash, Person};
use fake_discord::flow::*;
use fake_discord::Fake;
use serde_json::{json, Value};

/// The other server.
const OTHER: u64 = 5555;

/// `d` as if sent from the other server.
fn from_other(mut d: Value) -> Value {
    d["guild_id"] = json!(OTHER.to_string());
    if d.get("authorizing_integration_owners").is_some() {
        d["authorizing_integration_owners"] = json!({"0": OTHER.to_string()});
    }
    d
}

async fn db(bot: &Bot) -> release_desk::db::Db {
    release_desk::db::Db::open(&bot.url).await.unwrap()
}

/// Waits until the database holds still: the bot has nothing left to
/// deliver, and its first scheduler pass has made the window jobs of the
/// next 30 days (the next pass that makes any is an hour away).
async fn quiet(db: &release_desk::db::Db) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let pending: i64 = release_desk::db::query_scalar(
            "SELECT (SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL)
                  + (SELECT CASE WHEN COUNT(*) = 0 THEN 1 ELSE 0 END FROM calendar_state)",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        if pending == 0 {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the bot never settled");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The commands another server's member tries: reads that would list the
/// served server's records, and a write.
fn attempts(rm: &Person) -> Vec<(u64, Value)> {
    let s = |v: &str| json!(v);
    vec![
        (9501, slash(9501, GENERAL, rm, "calendar", Some("show"), &[])),
        (9502, slash(9502, GENERAL, rm, "report", Some("metrics"), &[])),
        (9503, slash(9503, GENERAL, rm, "release", Some("list"), &[])),
        (
            9504,
            slash(9504, GENERAL, rm, "release", Some("show"), &[("id", s("REL-1"))]),
        ),
        (
            9505,
            slash(
                9505,
                GENERAL,
                rm,
                "rfc",
                Some("new"),
                &[
                    ("title", s("Foreign")),
                    ("type", s("standard")),
                    ("risk", s("low")),
                    ("impact", s("none")),
                ],
            ),
        ),
        (
            9506,
            slash(
                9506,
                GENERAL,
                rm,
                "release",
                Some("cancel"),
                &[("id", s("REL-1")), ("reason", s("x"))],
            ),
        ),
    ]
}

/// Sends the other server's commands, a completion and reactions on the
/// served server's poll, and checks what came back and what did not.
async fn other_server_changes_nothing(fake: &Fake, bot: &Bot, cast: &Cast, poll: u64) {
    let db = db(bot).await;
    quiet(&db).await;
    let before = rows::contents(&db.pool).await;
    assert!(
        before.contains("'Quartz'"),
        "the served server's release is there: {before}"
    );
    let requests_before = fake.requests().len();

    let attempts = attempts(&cast.rm);
    for (_, i) in &attempts {
        fake.interaction(from_other(i.clone()));
    }
    let completion = json!({"id": "7000", "name": "release", "type": 1, "options": [
        {"name": "show", "type": 1, "options": [{"name": "id", "type": 3, "value": "", "focused": true}]}
    ]});
    fake.interaction(from_other(interaction(9510, GENERAL, &cast.rm, 4, completion)));
    for (who, emoji) in [(&cast.c1, "✅"), (&cast.c2, "❌")] {
        let d = reaction(
            CAB,
            poll,
            who.id,
            emoji,
            Some((who.name.clone(), who.roles.clone())),
        );
        fake.dispatch("MESSAGE_REACTION_ADD", from_other(d));
    }
    let d = reaction(CAB, poll, cast.c1.id, "✅", None);
    fake.dispatch("MESSAGE_REACTION_REMOVE", from_other(d));

    // Positive signs first: every refusal sent, every ignored event logged.
    for (id, _) in &attempts {
        fake.wait(10, "the refusal", |f| callback(f, *id).is_some()).await;
    }
    let ignored = |log: &str, what: &str| {
        log.lines()
            .filter(|l| {
                l.contains("event from a server not served; ignored")
                    && l.contains(&format!("what=\"{what}\""))
            })
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !(ignored(&bot.log(), "autocomplete") == 1 && ignored(&bot.log(), "reaction") == 3) {
        assert!(
            std::time::Instant::now() < deadline,
            "the ignored events were not logged:\n{}",
            bot.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    for (id, _) in &attempts {
        let cb = callback(fake, *id).unwrap();
        assert!(ephemeral(&cb), "the refusal is private: {cb:#}");
        let said = text(&cb);
        assert!(
            said.contains("This server is not served by this release desk"),
            "{said}"
        );
        let whole = cb.to_string();
        for served in ["Quartz", "REL-1", "RFC-1", "Planning", "Plan review", "rita"] {
            // The refused command's own option text (REL-1 typed by the user) is not in the answer either.
            assert!(
                !whole.contains(served),
                "the answer to {id} shows {served:?}: {whole}"
            );
        }
        assert_eq!(cb["data"]["allowed_mentions"], SAFE());
    }
    assert!(
        callback(fake, 9510).is_none(),
        "a completion was offered to the other server"
    );
    // Nothing else was asked of Discord for the other server: no member
    // lookups, no posts, no edits of the poll.
    let since: Vec<String> = fake.requests()[requests_before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    for r in &since {
        assert!(
            attempts
                .iter()
                .any(|(id, _)| r.starts_with(&format!("POST /interactions/{id}/"))),
            "unexpected request {r} among {since:?}"
        );
    }
    assert_eq!(since.len(), attempts.len(), "{since:?}");
    let after = rows::contents(&db.pool).await;
    assert!(
        after == before,
        "the other server changed the database:\n{}",
        rows::diff(&before, &after)
    );
    // Logged at info once for the server, not once per event.
    let log = bot.log();
    assert_eq!(
        log.matches("a server this release desk does not serve is using it")
            .count(),
        1,
        "{log}"
    );

    // The served server's own reaction still counts: the filter is not a wall.
    fake.react(CAB, poll, cast.c1.id, "✅", true);
    fake.wait(10, "the served server's vote", |f| {
        last_text(f, poll).contains("✅ 1")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_server_is_refused_and_changes_nothing() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, "");
    fake.ready().await;
    let cast = Cast::new(&fake);
    let poll = submit_release(&fake, &cast, 9400, "Upgrade", "Quartz").await;
    other_server_changes_nothing(&fake, &bot, &cast, poll).await;
    bot.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_global_commands_the_announcements_server_is_the_only_one_served() {
    let fake = Fake::start().await;
    let bot = Bot::start_global(&fake, "");
    fake.ready().await;
    let cast = Cast::new(&fake);
    let poll = submit_release(&fake, &cast, 9400, "Upgrade", "Quartz").await;
    other_server_changes_nothing(&fake, &bot, &cast, poll).await;
    bot.stop();
}
