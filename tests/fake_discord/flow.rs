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
    let e = &cb["data"]["embeds"][0];
    format!(
        "{}\n{}",
        e["title"].as_str().unwrap_or(""),
        e["description"].as_str().unwrap_or("")
    )
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
    let e = &body["embeds"][0];
    format!(
        "{}\n{}",
        e["title"].as_str().unwrap_or(""),
        e["description"].as_str().unwrap_or("")
    )
}
