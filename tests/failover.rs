//! Failover: two real `release-desk run` processes on one PostgreSQL (a
//! throwaway cluster) and the fake Discord. One leads, the other waits;
//! during a CAB vote and a deployment the leader is killed (SIGKILL), a
//! vote is cast in the gap, the standby takes over within `[ha] takeover`
//! (measured from the kill to its gateway IDENTIFY), recounts, runs the
//! reminder that fell due, and takes the next votes and steps. Ten times,
//! the killed one restarted as the next standby. At the end every vote
//! counted once, every message was created once, and no job ran twice.

mod common;
mod fake_discord;

use fake_discord::bot::*;
use fake_discord::fixtures::Person;
use fake_discord::flow::{ephemeral, last_text, run, text};
use fake_discord::{Fake, BOT_ID};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const TAKEOVER: Duration = Duration::from_secs(2);
/// What the takeover may take beyond `[ha] takeover`: after taking the lock
/// the new leader opens its gateway session (GET /gateway/bot, WebSocket,
/// HELLO, IDENTIFY) on a loaded two-core machine.
const MARGIN: Duration = Duration::from_secs(3);
const ROUNDS: usize = 10;
/// Steps of the one deployment: two per round.
const STEPS: usize = 2 * ROUNDS;

/// Three approvals decide; the reminder falls due two seconds after a
/// poll opens — in the gap, or just after it.
fn config() -> String {
    format!(
        r#"
[cab]
quorum = 3
quorum_high = 3
early_approval = 3
deadline = "1h"
remind_before = "59m58s"

[calendar]
announce_before = []

[[calendar.windows]]
name = "always"
cron = "0 0 0 * * *"
duration = "24h"
environments = ["staging", "prod"]

[ha]
takeover = "{}s"
"#,
        TAKEOVER.as_secs()
    )
}

struct Cast {
    rita: Person,
    rm: Person,
    bob: Person,
    carol: Person,
    dan: Person,
    cab: [Person; 3],
}

impl Cast {
    fn new(fake: &Fake) -> Cast {
        let cast = Cast {
            rita: Person::new(111, "rita", &[]),
            rm: Person::new(112, "rm", &[RELEASE_MANAGER]),
            bob: Person::new(113, "bob", &[BUILD_MANAGER]),
            carol: Person::new(114, "carol", &[CHANGE_MANAGER]),
            dan: Person::new(115, "dan", &[DEPLOYMENT_STAFF]),
            cab: [
                Person::new(121, "c1", &[CAB_MEMBER]),
                Person::new(122, "c2", &[CAB_MEMBER]),
                Person::new(123, "c3", &[CAB_MEMBER]),
            ],
        };
        for p in [&cast.rita, &cast.rm, &cast.bob, &cast.carol, &cast.dan]
            .into_iter()
            .chain(&cast.cab)
        {
            fake.member(p.id, &p.name, &p.roles);
        }
        cast
    }
}

/// Interaction ids, one each.
struct Ids(u64);

impl Ids {
    fn next(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
}

/// Runs a command that must succeed in public.
async fn public(fake: &Fake, ids: &mut Ids, who: &Person, cmd: &str, sub: &str, opts: &[(&str, Value)]) {
    let cb = run(fake, ids.next(), who, cmd, Some(sub), opts).await;
    assert!(!ephemeral(&cb), "/{cmd} {sub}: {}", text(&cb));
}

/// A deployment command (answered privately) whose answer contains `expect`.
async fn deploy(fake: &Fake, ids: &mut Ids, who: &Person, sub: &str, opts: &[(&str, Value)], expect: &str) {
    let cb = run(fake, ids.next(), who, "deploy", Some(sub), opts).await;
    assert!(text(&cb).contains(expect), "/deploy {sub}: {}", text(&cb));
}

/// RFC-n, REL-n, its plan, submitted: the CAB poll's message once the bot
/// posted it with its three reactions.
async fn submit(fake: &Fake, ids: &mut Ids, cast: &Cast, n: usize) -> u64 {
    let s = |v: String| json!(v);
    public(
        fake,
        ids,
        &cast.rita,
        "rfc",
        "new",
        &[
            ("title", s(format!("Change {n}"))),
            ("type", s("normal".into())),
            ("risk", s("medium".into())),
            ("impact", s("Some impact".into())),
        ],
    )
    .await;
    let rel = format!("REL-{n}");
    public(
        fake,
        ids,
        &cast.rm,
        "release",
        "new",
        &[
            ("name", s(format!("Release {n}"))),
            ("version", s(format!("{n}.0.0"))),
            ("rfcs", s(format!("RFC-{n}"))),
        ],
    )
    .await;
    public(
        fake,
        ids,
        &cast.rm,
        "release",
        "plan",
        &[
            ("id", s(rel.clone())),
            ("backout", s("redeploy".into())),
            ("acceptance", s("smoke tests".into())),
        ],
    )
    .await;
    public(
        fake,
        ids,
        &cast.rm,
        "release",
        "submit",
        &[("id", s(rel.clone()))],
    )
    .await;
    let head = format!("CAB vote — {rel} ");
    let find = |f: &Fake| {
        f.messages()
            .into_iter()
            .find(|(id, m)| m.channel == CAB && last_text(f, *id).starts_with(&head))
            .map(|(id, _)| id)
    };
    fake.wait(15, &format!("the poll of {rel} with its reactions"), |f| {
        find(f).is_some_and(|m| {
            ["✅", "❌", "🤷"]
                .iter()
                .all(|e| f.reactors(m, e).contains(&BOT_ID))
        })
    })
    .await;
    find(fake).unwrap()
}

/// Waits until the poll's message shows `approvals` ✅ (as recorded or recounted).
async fn approvals(fake: &Fake, poll: u64, approvals: usize) {
    let shown = format!("✅ {approvals} (");
    fake.wait(15, &format!("{shown} on the poll"), |f| {
        last_text(f, poll).contains(&shown)
    })
    .await;
}

/// The messages in `channel` whose text starts with `start`.
fn messages_starting(fake: &Fake, channel: u64, start: &str) -> usize {
    fake.messages()
        .into_iter()
        .filter(|(_, m)| {
            m.channel == channel && fake_discord::flow::embed_text(&m.body["embeds"][0]).starts_with(start)
        })
        .count()
}

/// The two instances: one leads, the other stands by.
struct Pair {
    url: String,
    bots: [Option<Bot>; 2],
    leader: usize,
}

impl Pair {
    fn start(&mut self, fake: &Fake, slot: usize) {
        self.bots[slot] = Some(Bot::start_on(fake, &config(), &self.url));
    }

    fn bot(&self, slot: usize) -> &Bot {
        self.bots[slot].as_ref().expect("a running instance")
    }

    /// Waits for `slot` to say it stands by: the positive sign that it
    /// asked for the lock and was refused.
    async fn standing_by(&self, slot: usize) {
        let bot = self.bot(slot);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !bot.log().contains("standby: another instance leads") {
            assert!(Instant::now() < deadline, "no standby line in:\n{}", bot.log());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn debug_sqlite() -> bool {
    std::env::var("FAILOVER_ON_SQLITE").is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the binary runs on PostgreSQL once pgcore's db layer (M2) is merged"]
async fn the_standby_takes_over_and_nothing_is_lost_or_doubled_ten_times() {
    let sqlite_dir = tempfile::tempdir().unwrap();
    let cluster = (!debug_sqlite()).then(common::pg::Cluster::start);
    let url = match &cluster {
        Some(c) => c.fresh_database(),
        None => format!("sqlite://{}", sqlite_dir.path().join("shared.sqlite").display()),
    };
    let fake = Fake::start().await;
    let cast = Cast::new(&fake);
    let mut ids = Ids(10_000);
    let mut pair = Pair {
        url,
        bots: [None, None],
        leader: 0,
    };
    pair.start(&fake, 0);
    fake.ready().await;
    if !debug_sqlite() {
        assert!(pair
            .bot(0)
            .log()
            .contains("leader: this instance holds the leader's lock"));
        pair.start(&fake, 1);
        pair.standing_by(1).await;
    }
    assert_eq!(fake.identifies().len(), 1, "only the leader connects");

    // REL-1 approved and authorized, its staging deployment started.
    let poll = submit(&fake, &mut ids, &cast, 1).await;
    for c in &cast.cab {
        fake.react(CAB, poll, c.id, "✅", true);
    }
    fake.wait(15, "REL-1 approved", |f| {
        last_text(f, poll).contains("CLOSED: approved")
    })
    .await;
    let s = |v: &str| json!(v);
    let rel1 = ("release", s("REL-1"));
    let env = ("env", s("staging"));
    public(
        &fake,
        &mut ids,
        &cast.rm,
        "release",
        "prepare",
        &[
            ("id", s("REL-1")),
            ("validation", s("report")),
            ("training", s("briefing")),
        ],
    )
    .await;
    let pkg = [rel1.clone(), ("item", s("api")), ("version", s("1.0.0"))];
    public(&fake, &mut ids, &cast.bob, "package", "add", &pkg).await;
    public(
        &fake,
        &mut ids,
        &cast.bob,
        "package",
        "baseline",
        std::slice::from_ref(&rel1),
    )
    .await;
    let build = [("id", s("REL-1")), ("notes", s("build 1"))];
    public(&fake, &mut ids, &cast.bob, "release", "build", &build).await;
    let tested = [("id", s("REL-1")), ("result", s("pass"))];
    public(&fake, &mut ids, &cast.bob, "release", "test", &tested).await;
    let authorize = [
        ("id", s("REL-1")),
        ("decision", s("approve")),
        ("reason", s("CAB approved")),
    ];
    public(&fake, &mut ids, &cast.carol, "release", "authorize", &authorize).await;
    let steps: Vec<String> = (1..=STEPS).map(|i| format!("step {i}")).collect();
    let plan = [rel1.clone(), env.clone(), ("steps", s(&steps.join(";")))];
    deploy(&fake, &mut ids, &cast.dan, "plan", &plan, "REL-1").await;
    let start = [rel1.clone(), env.clone()];
    deploy(
        &fake,
        &mut ids,
        &cast.dan,
        "start",
        &start,
        "deployment to staging started",
    )
    .await;

    let mut step = 0;
    let mut takeovers = Vec::new();
    for round in 0..ROUNDS {
        let n = round + 2;
        let rel = format!("REL-{n}");
        let poll = submit(&fake, &mut ids, &cast, n).await;
        step += 1;
        let done = [
            rel1.clone(),
            env.clone(),
            ("step", json!(step)),
            ("status", s("done")),
        ];
        deploy(
            &fake,
            &mut ids,
            &cast.dan,
            "step",
            &done,
            &format!("step {step} done"),
        )
        .await;
        fake.react(CAB, poll, cast.cab[0].id, "✅", true);
        approvals(&fake, poll, 1).await;

        // The leader dies; a vote comes while nobody is connected.
        let identified = fake.identifies().len();
        let dead = pair.leader;
        let killed_at = Instant::now();
        let dir = pair.bots[dead].take().unwrap().stop();
        drop(dir);
        fake.react(CAB, poll, cast.cab[1].id, "✅", true);
        if debug_sqlite() {
            pair.start(&fake, 1 - dead);
        }

        fake.wait(30, &format!("round {round}: the standby's IDENTIFY"), |f| {
            f.identifies().len() > identified
        })
        .await;
        let took = fake.identified_at()[identified] - killed_at;
        takeovers.push(took);
        pair.leader = 1 - dead;
        if !debug_sqlite() {
            assert!(
                pair.bot(pair.leader)
                    .log()
                    .contains("leader: this instance holds the leader's lock"),
                "{}",
                pair.bot(pair.leader).log()
            );
        }
        assert!(
            took <= TAKEOVER + MARGIN,
            "round {round}: took over {took:?} after the kill"
        );
        // The vote of the gap, recounted from Discord; the reminder that fell due, once.
        approvals(&fake, poll, 2).await;
        let reminder = format!("Reminder: the CAB vote on {rel} ");
        fake.wait(15, &format!("the reminder of {rel}"), |f| {
            messages_starting(f, CAB, &reminder) >= 1
        })
        .await;
        step += 1;
        let done = [
            rel1.clone(),
            env.clone(),
            ("step", json!(step)),
            ("status", s("done")),
        ];
        deploy(
            &fake,
            &mut ids,
            &cast.dan,
            "step",
            &done,
            &format!("step {step} done"),
        )
        .await;
        fake.react(CAB, poll, cast.cab[2].id, "✅", true);
        fake.wait(15, &format!("{rel} approved"), |f| {
            last_text(f, poll).contains("CLOSED: approved")
        })
        .await;
        assert!(
            last_text(&fake, poll).contains("✅ 3 ("),
            "{}",
            last_text(&fake, poll)
        );

        // The dead one comes back, as the next standby.
        if !debug_sqlite() {
            pair.start(&fake, dead);
            pair.standing_by(dead).await;
        }
    }
    let verify = [rel1.clone(), env.clone(), ("result", s("confirmed"))];
    deploy(
        &fake,
        &mut ids,
        &cast.dan,
        "verify",
        &verify,
        "deployment to staging verified",
    )
    .await;
    let progress = |f: &Fake| -> Vec<u64> {
        f.messages()
            .into_iter()
            .filter(|(_, m)| {
                m.channel == DEPLOY
                    && m.body["embeds"][0]["title"]
                        .as_str()
                        .is_some_and(|t| t.contains("REL-1") && t.contains("→ staging"))
            })
            .map(|(id, _)| id)
            .collect()
    };
    fake.wait(15, "the progress message edited to verified", |f| {
        progress(f)
            .first()
            .is_some_and(|m| last_text(f, *m).contains("verified"))
    })
    .await;
    for pending in pair.bots.iter().flatten() {
        pending_empty(&pair.url, pending).await;
    }

    // One progress message, edited in place; every step in it done.
    let progress = progress(&fake);
    assert_eq!(progress.len(), 1, "{progress:?}");
    let shown = last_text(&fake, progress[0]);
    for i in 1..=STEPS {
        assert!(shown.contains(&format!("step {i}")), "{shown}");
    }
    // Every vote counted once: each poll closed once, approved by exactly three.
    for n in 2..ROUNDS + 2 {
        let reminder = format!("Reminder: the CAB vote on REL-{n} ");
        assert_eq!(
            messages_starting(&fake, CAB, &reminder),
            1,
            "the reminder of REL-{n}"
        );
    }
    let closed = count(
        &pair.url,
        "SELECT COUNT(*) FROM audit WHERE action = 'poll.close'",
    )
    .await;
    assert_eq!(closed, (ROUNDS + 1) as i64, "each poll closed once");
    // Every message created once: every post carried its nonce, no nonce
    // made two, and no content came twice to one channel (a job run twice
    // queues a second entry, with a nonce of its own).
    assert!(
        doubled_nonces(&fake).is_empty(),
        "created twice: {:?}",
        doubled_nonces(&fake)
    );
    assert!(
        repeated_posts(&fake).is_empty(),
        "posted twice: {:#?}",
        repeated_posts(&fake)
    );
    let posts = fake
        .find("POST", "/channels/")
        .iter()
        .filter(|r| r.path.ends_with("/messages"))
        .count();
    eprintln!("{posts} create requests, {} messages", fake.messages().len());
    eprintln!("takeovers (kill → IDENTIFY): {takeovers:?}");
}

/// Waits until nothing is left in the shared outbox.
async fn pending_empty(url: &str, bot: &Bot) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = count(
            url,
            "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND superseded = 0",
        )
        .await;
        if left == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{left} undelivered:\n{}", bot.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn count(url: &str, sql: &str) -> i64 {
    use sqlx::Connection;
    if debug_sqlite() {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        return sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap();
    }
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
}

/// Nonces that more than one message was created with; a post without one
/// (the rule that makes a post after a crash safe) counts as doubled.
fn doubled_nonces(fake: &Fake) -> Vec<String> {
    let mut by_nonce: BTreeMap<String, usize> = BTreeMap::new();
    for m in fake.messages().values() {
        let nonce = match (m.body["nonce"].as_str(), &m.body["enforce_nonce"]) {
            (Some(n), Value::Bool(true)) => n.to_string(),
            _ => format!("(none) {}", m.body),
        };
        *by_nonce.entry(nonce).or_default() += 1;
    }
    by_nonce
        .into_iter()
        .filter(|(n, count)| *count > 1 || n.starts_with("(none)"))
        .map(|(n, _)| n)
        .collect()
}

/// Channel and content of every message created more than once there.
fn repeated_posts(fake: &Fake) -> Vec<(u64, String)> {
    let mut by_content: BTreeMap<(u64, String), usize> = BTreeMap::new();
    for m in fake.messages().values() {
        let mut body = m.body.clone();
        body.as_object_mut().map(|b| b.remove("nonce"));
        *by_content.entry((m.channel, body.to_string())).or_default() += 1;
    }
    by_content
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| k)
        .collect()
}

#[tokio::test]
async fn the_checks_find_a_second_post_and_a_post_without_a_nonce() {
    let fake = Fake::start().await;
    let post = |body: Value| {
        let url = format!("{}/api/v10/channels/{CAB}/messages", fake.base());
        async move {
            let r = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
            assert!(r.status().is_success());
        }
    };
    post(json!({"content": "a", "nonce": "rd1", "enforce_nonce": true})).await;
    // Discord's rule, as the fake keeps it: the same nonce again creates nothing.
    post(json!({"content": "a", "nonce": "rd1", "enforce_nonce": true})).await;
    assert_eq!(fake.messages().len(), 1);
    assert!(doubled_nonces(&fake).is_empty() && repeated_posts(&fake).is_empty());
    // A job run twice: the same content under a second entry's nonce.
    post(json!({"content": "a", "nonce": "rd2", "enforce_nonce": true})).await;
    assert_eq!(repeated_posts(&fake).len(), 1);
    post(json!({"content": "b"})).await;
    assert_eq!(doubled_nonces(&fake).len(), 1);
}
