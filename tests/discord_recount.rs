//! A CAB poll recounted after a reconnect, at scale, against the fake
//! Discord: its reactors are read a page of 100 at a time and their roles
//! over the gateway (Request Guild Members by user ids, 100 to a request),
//! not with a REST call per voter; the votes come out exactly as the role
//! check decides them; and when the gateway does not answer, the roles come
//! over REST and the votes still count.

mod common;
mod fake_discord;

use fake_discord::bot::*;
use fake_discord::flow::*;
use fake_discord::{Fake, GUILD};
use std::collections::BTreeSet;

/// The user ids of the op 8 requests after the first `skip`, one set per request.
fn requested(fake: &Fake, skip: usize) -> Vec<BTreeSet<u64>> {
    fake.member_requests()
        .iter()
        .skip(skip)
        .map(|d| {
            d["user_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().parse().unwrap())
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_poll_is_recounted_with_a_member_request_per_hundred_voters() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, EARLY_CAB);
    fake.ready().await;
    let cast = Cast::new(&fake);
    let poll = submit_release(&fake, &cast, 7800, "Many voters", "Payments").await;
    let before = fake.connections();
    let seen = fake.request_count();
    let asked_before = fake.member_requests().len();
    // Cast without gateway events, as while the bot is away: 230 on ✅ (200 CAB members, 20 without the
    // role, 10 who left the server) and 5 CAB members on ❌, so the poll
    // stays open and its text shows the exact counts.
    let mut voters = BTreeSet::new();
    for i in 0..235u64 {
        let u = 100_000 + i;
        match i {
            0..200 => fake.member(u, &format!("v{u}"), &[CAB_MEMBER]),
            200..220 => fake.member(u, &format!("v{u}"), &[]),
            220..230 => {}
            _ => fake.member(u, &format!("v{u}"), &[CAB_MEMBER]),
        }
        fake.add_reaction_silently(poll, if i < 230 { "✅" } else { "❌" }, u);
        voters.insert(u);
    }
    fake.drop_socket();
    fake.wait(15, "the bot to reconnect", |f| f.connections() > before)
        .await;
    fake.wait(30, "the recount's tally", |f| {
        let t = last_text(f, poll);
        t.contains("✅ 200 (") && t.contains("❌ 5 (")
    })
    .await;
    assert!(
        !last_text(&fake, poll).contains("CLOSED"),
        "{}",
        last_text(&fake, poll)
    );

    let during: Vec<_> = fake.requests().into_iter().skip(seen).collect();
    let member_gets = during
        .iter()
        .filter(|r| r.path.starts_with(&format!("/guilds/{GUILD}/members/")))
        .count();
    assert_eq!(member_gets, 0, "no member looked up over REST");
    let pages = |e: &str| {
        during
            .iter()
            .filter(|r| {
                r.method == "GET" && r.path == format!("/channels/{CAB}/messages/{poll}/reactions/{e}")
            })
            .count()
    };
    // 231 reactors on ✅ with the bot's own: 3 pages a recount; ❌ and 🤷 one each.
    let recounts = pages("🤷");
    assert!(recounts >= 1, "the poll was recounted");
    assert_eq!((pages("✅"), pages("❌")), (3 * recounts, recounts));
    // Per recount: ⌈230/100⌉ requests for ✅, one for ❌, none for 🤷 (only the bot).
    let asked = requested(&fake, asked_before);
    assert_eq!(asked.len(), 4 * recounts, "{asked:?}");
    assert!(asked.iter().all(|ids| !ids.is_empty() && ids.len() <= 100));
    let all: BTreeSet<u64> = asked.iter().flatten().copied().collect();
    assert_eq!(all, voters, "every voter looked up, the bot not");
    assert!(fake.unknown().is_empty(), "unknown routes: {:?}", fake.unknown());
    bot.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_gateways_answer_the_roles_come_over_rest() {
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, EARLY_CAB);
    fake.ready().await;
    let cast = Cast::new(&fake);
    let poll = submit_release(&fake, &cast, 7850, "Unanswered", "Payments").await;
    fake.ignore_member_requests(true);
    let before = fake.connections();
    let seen = fake.request_count();
    fake.member(700_001, "outsider", &[]);
    for u in [700_001, cast.c1.id, cast.c2.id] {
        fake.add_reaction_silently(poll, "✅", u);
    }
    fake.drop_socket();
    fake.wait(15, "the bot to reconnect", |f| f.connections() > before)
        .await;
    fake.wait(30, "the poll closed as approved after the recount", |f| {
        last_text(f, poll).contains("CLOSED: approved")
    })
    .await;
    assert!(
        last_text(&fake, poll).contains("✅ 2 ("),
        "{}",
        last_text(&fake, poll)
    );
    assert!(!requested(&fake, 0).is_empty(), "the gateway was asked first");
    let gets: BTreeSet<String> = fake
        .requests()
        .into_iter()
        .skip(seen)
        .filter(|r| r.method == "GET" && r.path.starts_with(&format!("/guilds/{GUILD}/members/")))
        .map(|r| r.path)
        .collect();
    let want: BTreeSet<String> = [700_001, cast.c1.id, cast.c2.id]
        .iter()
        .map(|u| format!("/guilds/{GUILD}/members/{u}"))
        .collect();
    assert_eq!(gets, want);
    bot.stop();
}

/// A burst of answers Discord took: their tokens are forgotten (in writes
/// that gather them), none is left owed, and each command ran once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_answers_taken_leaves_none_owed() {
    use fake_discord::fixtures::{slash, Person};
    use serde_json::json;
    let fake = Fake::start().await;
    let bot = Bot::start(&fake, "");
    fake.ready().await;
    let alice = Person::new(111, "alice", &[]);
    let ids: Vec<u64> = (6000..6060).collect();
    for id in &ids {
        fake.interaction(slash(
            *id,
            GENERAL,
            &alice,
            "rfc",
            Some("new"),
            &[
                ("title", json!(format!("Change {id}"))),
                ("type", json!("normal")),
                ("risk", json!("low")),
                ("impact", json!("none")),
            ],
        ));
    }
    fake.wait(20, "every interaction answered", |f| {
        ids.iter().all(|id| callback(f, *id).is_some())
    })
    .await;
    let db = release_desk::db::Db::open(&bot.url).await.unwrap();
    let counts = || async {
        release_desk::db::query_as::<(i64, i64)>(
            "SELECT COUNT(*), COUNT(token) FROM interactions WHERE CAST(id AS INTEGER) BETWEEN 6000 AND 6059",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut c = counts().await;
    while c.1 > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        c = counts().await;
    }
    assert_eq!(c, (60, 0), "60 claimed, no token left");
    let rfcs: i64 = release_desk::db::query_scalar("SELECT COUNT(*) FROM rfcs")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(rfcs, 60);
    bot.stop();
}
