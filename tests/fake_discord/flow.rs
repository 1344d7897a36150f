//! Helpers for driving the bot through the fake: run a command, read answers and messages.

use super::bot::CAB;
use super::bot::GENERAL;
use super::fixtures::{slash, Person};
use super::Fake;
use serde_json::{json, Value};

pub fn callback(fake: &Fake, interaction: u64) -> Option<Value> {
    fake.find("POST", &format!("/interactions/{interaction}/"))
        .last()
        .map(|r| r.body.clone())
}

pub const SAFE: fn() -> Value = || json!({"parse": [], "users": [], "roles": [], "replied_user": false});

/// The test config's CAB: two approvals decide early.
pub const EARLY_CAB: &str = "[cab]\nquorum = 2\nquorum_high = 2\nearly_approval = 2\n";

/// Runs a command and waits for its answer.
pub async fn run(
    fake: &Fake,
    id: u64,
    who: &Person,
    command: &str,
    sub: Option<&str>,
    options: &[(&str, Value)],
) -> Value {
    fake.interaction(slash(id, GENERAL, who, command, sub, options));
    let what = format!("the answer to /{command} {}", sub.unwrap_or(""));
    fake.wait(10, &what, |f| callback(f, id).is_some()).await;
    callback(fake, id).unwrap()
}

pub fn text(cb: &Value) -> String {
    embed_text(&cb["data"]["embeds"][0])
}

/// An embed as people read it: title, description, then the fields as `name: value` lines.
pub fn embed_text(e: &Value) -> String {
    let mut t = format!(
        "{}\n{}",
        e["title"].as_str().unwrap_or(""),
        e["description"].as_str().unwrap_or("")
    );
    for f in e["fields"].as_array().into_iter().flatten() {
        t.push_str(&format!(
            "\n{}: {}",
            f["name"].as_str().unwrap_or(""),
            f["value"].as_str().unwrap_or("")
        ));
    }
    t
}

pub fn ephemeral(cb: &Value) -> bool {
    cb["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0
}

/// Asserts a visible answer containing `needle`.
pub fn visible(cb: &Value, needle: &str) {
    assert!(!ephemeral(cb), "expected a visible answer: {cb:#}");
    assert!(text(cb).contains(needle), "expected {needle:?} in {}", text(cb));
    assert_eq!(cb["data"]["allowed_mentions"], SAFE());
}

/// The CAB poll message posted by the bot.
pub fn poll_message(fake: &Fake) -> Option<u64> {
    fake.messages()
        .iter()
        .find(|(_, m)| m.channel == CAB)
        .map(|(id, _)| *id)
}

pub fn last_text(fake: &Fake, message: u64) -> String {
    let m = &fake.messages()[&message];
    let body = m.edits.last().unwrap_or(&m.body);
    embed_text(&body["embeds"][0])
}

/// People of the usual test: a requester, a release manager, two CAB members.
pub struct Cast {
    pub rita: Person,
    pub rm: Person,
    pub c1: Person,
    pub c2: Person,
}

impl Cast {
    /// The cast, known to the fake as guild members. The CAB members get
    /// high ids so that, behind 100 other reactors, they are on a second page.
    pub fn new(fake: &Fake) -> Cast {
        use super::bot::{CAB_MEMBER, RELEASE_MANAGER};
        let cast = Cast {
            rita: Person::new(111, "rita", &[]),
            rm: Person::new(112, "rm", &[RELEASE_MANAGER]),
            c1: Person::new(9_001, "c1", &[CAB_MEMBER]),
            c2: Person::new(9_002, "c2", &[CAB_MEMBER]),
        };
        for p in [&cast.rita, &cast.rm, &cast.c1, &cast.c2] {
            fake.member(p.id, &p.name, &p.roles);
        }
        cast
    }
}

/// RFC, release, plan and submit (interaction ids from `base`); returns the CAB poll message id.
pub async fn submit_release(fake: &Fake, cast: &Cast, base: u64, title: &str, name: &str) -> u64 {
    let s = |v: &str| json!(v);
    let cb = run(
        fake,
        base,
        &cast.rita,
        "rfc",
        Some("new"),
        &[
            ("title", s(title)),
            ("type", s("normal")),
            ("risk", s("medium")),
            ("impact", s("Some impact")),
        ],
    )
    .await;
    assert!(!ephemeral(&cb), "{}", text(&cb));
    let cb = run(
        fake,
        base + 1,
        &cast.rm,
        "release",
        Some("new"),
        &[("name", s(name)), ("version", s("2.3.0")), ("rfcs", s("RFC-1"))],
    )
    .await;
    assert!(!ephemeral(&cb), "{}", text(&cb));
    let cb = run(
        fake,
        base + 2,
        &cast.rm,
        "release",
        Some("plan"),
        &[
            ("id", s("REL-1")),
            ("scope", s("scope")),
            ("backout", s("redeploy")),
            ("acceptance", s("smoke tests")),
        ],
    )
    .await;
    assert!(!ephemeral(&cb), "{}", text(&cb));
    let cb = run(
        fake,
        base + 3,
        &cast.rm,
        "release",
        Some("submit"),
        &[("id", s("REL-1"))],
    )
    .await;
    assert!(!ephemeral(&cb), "{}", text(&cb));
    fake.wait(10, "the CAB poll with its reactions", |f| {
        poll_message(f).is_some_and(|m| {
            ["✅", "❌", "🤷"]
                .iter()
                .all(|e| f.reactors(m, e).contains(&super::BOT_ID))
        })
    })
    .await;
    poll_message(fake).unwrap()
}
