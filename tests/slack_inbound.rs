//! The Slack adapter's inbound side, in process with the real slack-morphism
//! client and the real runner, against the fake Slack: slash commands over
//! Socket Mode (acked at once, answered on the response_url, once per
//! envelope), a refusal that changes nothing, a dropped socket, and signed
//! HTTP deliveries (a bad or stale signature refused).

mod common;
mod fake_slack;

use fake_slack::bot::{self, SECRET};
use fake_slack::{FakeSlack, TEAM};
use release_desk::chat::slack::signature::sign;
use release_desk::clock::{Clock, ManualClock};
use serde_json::{json, Value};
use std::time::Duration;

struct Bot {
    fake: FakeSlack,
    bot: bot::Bot,
    clock: ManualClock,
    _dir: tempfile::TempDir,
}

async fn start(listen: Option<std::net::SocketAddr>) -> Bot {
    let fake = FakeSlack::start().await;
    fake.group("S0REL", &["U0ANN"]);
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(chrono::Utc::now());
    let extra = "[roles]\nrelease_manager = [\"S0REL\"]\n";
    let bot = bot::start(&fake, dir.path(), &clock, extra, listen);
    Bot {
        fake,
        bot,
        clock,
        _dir: dir,
    }
}

fn command(bot: &Bot, trigger: &str, user: &str, text: &str) -> Value {
    json!({
        "token": "legacy", "team_id": TEAM, "team_domain": "desk", "channel_id": "C0GEN",
        "channel_name": "general", "user_id": user, "user_name": user, "command": "/rfc",
        "text": text, "api_app_id": "A0DESK", "is_enterprise_install": "false",
        "response_url": bot.fake.response_url(trigger), "trigger_id": trigger,
    })
}

/// The answers posted to the response_url of `trigger`.
fn answers(bot: &Bot, trigger: &str) -> Vec<Value> {
    bot.fake
        .calls(&format!("respond/{trigger}"))
        .into_iter()
        .map(|r| r.params)
        .collect()
}

async fn rfc_count(bot: &Bot) -> usize {
    count(bot, "/rfc list", "RFC-").await
}

/// How often `pattern` appears in the answer to `line` (records listed).
async fn count(bot: &Bot, line: &str, pattern: &str) -> usize {
    bot.bot.ask(line).await.matches(pattern).count()
}

#[tokio::test]
async fn a_slash_command_is_acked_at_once_and_answered_in_channel() {
    let bot = start(None).await;
    bot.fake.connected(1).await;
    let text = r#"new title:"Bump <!everyone> TLS" type:normal risk:low impact:"None""#;
    bot.fake
        .envelope("e1", "slash_commands", command(&bot, "t1", "U0ANN", text));
    let acks = bot.fake.wait_acks(1).await;
    assert_eq!(acks[0].0, "e1");
    assert!(acks[0].1 < Duration::from_secs(3), "acked after {:?}", acks[0].1);
    bot.fake.wait_calls("respond/t1", 1).await;
    let a = answers(&bot, "t1");
    assert_eq!(a[0]["response_type"], "in_channel", "{a:?}");
    let shown = a[0]["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(shown.contains("RFC-1"), "{shown}");
    assert!(!a[0].to_string().contains("<!everyone>"), "{a:?}");
    assert_eq!(rfc_count(&bot).await, 1);
    assert!(bot.fake.unknown().is_empty(), "{:?}", bot.fake.unknown());
}

#[tokio::test]
async fn a_duplicated_envelope_is_acked_twice_and_handled_once() {
    let bot = start(None).await;
    bot.fake.connected(1).await;
    let c = command(
        &bot,
        "t2",
        "U0ANN",
        r#"new title:"Once" type:normal risk:low impact:"None""#,
    );
    bot.fake.envelope("e2", "slash_commands", c.clone());
    bot.fake.envelope("e2", "slash_commands", c);
    bot.fake.wait_acks(2).await;
    bot.fake.wait_calls("respond/t2", 1).await;
    // A later command's answer shows the duplicate's work would have come before it.
    let later = command(&bot, "t3", "U0ANN", "list");
    bot.fake.envelope("e3", "slash_commands", later);
    bot.fake.wait_calls("respond/t3", 1).await;
    assert_eq!(answers(&bot, "t2").len(), 1);
    assert_eq!(rfc_count(&bot).await, 1);
}

#[tokio::test]
async fn a_refused_command_is_answered_ephemerally_and_changes_nothing() {
    let bot = start(None).await;
    bot.fake.connected(1).await;
    let c = command(
        &bot,
        "t4",
        "U0NOBODY",
        r#"new title:"X" type:normal risk:low impact:"None""#,
    );
    let c = {
        let mut c = c;
        c["command"] = json!("/release");
        c["text"] = json!("new name:Web version:1.0.0 rfcs:RFC-1");
        c
    };
    bot.fake.envelope("e4", "slash_commands", c);
    bot.fake.wait_calls("respond/t4", 1).await;
    let a = answers(&bot, "t4");
    assert_eq!(a[0]["response_type"], "ephemeral", "{a:?}");
    let from_other = {
        let mut c = command(
            &bot,
            "t5",
            "U0ANN",
            r#"new title:"Y" type:normal risk:low impact:"None""#,
        );
        c["team_id"] = json!("T0OTHER");
        c
    };
    bot.fake.envelope("e5", "slash_commands", from_other);
    bot.fake.wait_calls("respond/t5", 1).await;
    assert_eq!(answers(&bot, "t5")[0]["response_type"], "ephemeral");
    assert_eq!(rfc_count(&bot).await, 0);
    assert_eq!(count(&bot, "/release list", "REL-").await, 0);
    // The same user in the served workspace does change records: the refusal was the team's.
    let served = command(
        &bot,
        "t7",
        "U0ANN",
        r#"new title:"Y" type:normal risk:low impact:"None""#,
    );
    bot.fake.envelope("e7", "slash_commands", served);
    bot.fake.wait_calls("respond/t7", 1).await;
    assert_eq!(rfc_count(&bot).await, 1);
}

#[tokio::test]
async fn after_a_dropped_socket_the_bot_reconnects_and_is_served() {
    let bot = start(None).await;
    bot.fake.connected(1).await;
    bot.fake.drop_socket();
    bot.fake.connected(2).await;
    bot.fake.refresh();
    bot.fake.connected(3).await;
    bot.fake
        .envelope("e6", "slash_commands", command(&bot, "t6", "U0ANN", "list"));
    bot.fake.wait_calls("respond/t6", 1).await;
    assert!(bot.fake.calls("apps.connections.open").len() >= 3);
}

fn free_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

async fn post(addr: std::net::SocketAddr, ts: i64, sig: Option<String>, body: &str) -> u16 {
    let mut r = reqwest::Client::new()
        .post(format!("http://{addr}/slack/events"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", ts.to_string())
        .body(body.to_string());
    if let Some(s) = sig {
        r = r.header("x-slack-signature", s);
    }
    r.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_signed_http_command_is_accepted_and_a_bad_or_stale_one_refused() {
    let addr = free_addr();
    let bot = start(Some(addr)).await;
    let form = |trigger: &str| {
        let v = command(
            &bot,
            trigger,
            "U0ANN",
            r#"new title:"Signed" type:normal risk:low impact:"None""#,
        );
        serde_urlencoded::to_string(
            v.as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect::<Vec<_>>(),
        )
        .unwrap()
    };
    // Wait for the listener.
    let now = bot.clock.now().timestamp();
    let mut up = false;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(up, "HTTP mode never listened");
    let bad = form("h1");
    assert_eq!(
        post(
            addr,
            now,
            Some(sign("wrong-secret", &now.to_string(), bad.as_bytes())),
            &bad
        )
        .await,
        401
    );
    assert_eq!(post(addr, now, None, &bad).await, 401);
    let stale_ts = now - 301;
    let stale = form("h2");
    assert_eq!(
        post(
            addr,
            stale_ts,
            Some(sign(SECRET, &stale_ts.to_string(), stale.as_bytes())),
            &stale
        )
        .await,
        401
    );
    let good = form("h3");
    assert_eq!(
        post(
            addr,
            now,
            Some(sign(SECRET, &now.to_string(), good.as_bytes())),
            &good
        )
        .await,
        200
    );
    bot.fake.wait_calls("respond/h3", 1).await;
    assert_eq!(answers(&bot, "h3")[0]["response_type"], "in_channel");
    // Slack's retry of the same delivery is acknowledged, not redone.
    let retry = reqwest::Client::new()
        .post(format!("http://{addr}/slack/events"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", now.to_string())
        .header("x-slack-retry-num", "1")
        .header(
            "x-slack-signature",
            sign(SECRET, &now.to_string(), good.as_bytes()),
        )
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status().as_u16(), 200);
    let later = form("h4").replace("Signed", "Later");
    assert_eq!(
        post(
            addr,
            now,
            Some(sign(SECRET, &now.to_string(), later.as_bytes())),
            &later
        )
        .await,
        200
    );
    bot.fake.wait_calls("respond/h4", 1).await;
    assert!(answers(&bot, "h1").is_empty() && answers(&bot, "h2").is_empty());
    assert_eq!(answers(&bot, "h3").len(), 1);
    assert_eq!(rfc_count(&bot).await, 2);

    // A signed interaction (a button of a message no poll has) is read and
    // answered; the same press badly signed is refused and answers nothing.
    let press = |trigger: &str| {
        let payload = json!({
            "type": "block_actions", "team": {"id": TEAM, "domain": "desk"},
            "user": {"id": "U0ANN", "team_id": TEAM}, "api_app_id": "A0DESK",
            "container": {"type": "message", "message_ts": "1.000001", "channel_id": "C0CAB", "is_ephemeral": false},
            "trigger_id": trigger, "channel": {"id": "C0CAB", "name": "cab"},
            "response_url": bot.fake.response_url(trigger),
            "actions": [{"type": "button", "action_id": "vote_approve", "block_id": "votes", "value": "REL-9 maybe"}],
        });
        serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap()
    };
    let forged = press("i1");
    let sig = sign("wrong-secret", &now.to_string(), forged.as_bytes());
    assert_eq!(post(addr, now, Some(sig), &forged).await, 401);
    let signed = press("i2");
    let sig = sign(SECRET, &now.to_string(), signed.as_bytes());
    assert_eq!(post(addr, now, Some(sig), &signed).await, 200);
    bot.fake.wait_calls("respond/i2", 1).await;
    let said = &answers(&bot, "i2")[0];
    assert_eq!(said["response_type"], "ephemeral");
    assert!(
        said["text"].as_str().unwrap().contains("nothing was recorded"),
        "{said}"
    );
    assert!(answers(&bot, "i1").is_empty());

    // A signed Events API delivery is acted on (the user groups are read
    // again at the next command); the same event stale is refused.
    let read = bot.fake.calls("usergroups.users.list").len();
    let event = json!({
        "token": "legacy", "team_id": TEAM, "api_app_id": "A0DESK", "type": "event_callback",
        "event_id": "EvH1", "event_time": 1800000000,
        "event": {"type": "subteam_members_changed", "subteam_id": "S0REL", "team_id": TEAM,
                  "added_users": ["U0BOB"], "removed_users": [], "event_ts": "1800000000.000100"},
    })
    .to_string();
    let send_json = |ts: i64, secret: &str| {
        reqwest::Client::new()
            .post(format!("http://{addr}/slack/events"))
            .header("content-type", "application/json")
            .header("x-slack-request-timestamp", ts.to_string())
            .header(
                "x-slack-signature",
                sign(secret, &ts.to_string(), event.as_bytes()),
            )
            .body(event.clone())
            .send()
    };
    assert_eq!(send_json(now - 400, SECRET).await.unwrap().status().as_u16(), 401);
    assert_eq!(send_json(now, SECRET).await.unwrap().status().as_u16(), 200);
    let after = command(&bot, "h6", "U0ANN", "list");
    let after = serde_urlencoded::to_string(
        after
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let sig = sign(SECRET, &now.to_string(), after.as_bytes());
    assert_eq!(post(addr, now, Some(sig), &after).await, 200);
    bot.fake.wait_calls("respond/h6", 1).await;
    assert!(
        bot.fake.calls("usergroups.users.list").len() > read,
        "the signed event was not acted on"
    );
}

#[tokio::test]
async fn a_user_group_change_event_refreshes_the_roles_once_per_event_id() {
    let bot = start(None).await;
    bot.fake.connected(1).await;
    bot.fake
        .envelope("e8", "slash_commands", command(&bot, "t8", "U0ANN", "list"));
    bot.fake.wait_calls("respond/t8", 1).await;
    bot.fake
        .envelope("e9", "slash_commands", command(&bot, "t9", "U0ANN", "list"));
    bot.fake.wait_calls("respond/t9", 1).await;
    assert_eq!(
        bot.fake.calls("usergroups.users.list").len(),
        1,
        "members are cached"
    );
    let event = json!({
        "token": "legacy", "team_id": TEAM, "api_app_id": "A0DESK", "type": "event_callback",
        "event_id": "Ev1", "event_time": 1800000000,
        "event": {"type": "subteam_members_changed", "subteam_id": "S0REL", "team_id": TEAM,
                  "added_users": ["U0BOB"], "removed_users": [], "event_ts": "1800000000.000100"},
    });
    bot.fake.envelope("e10", "events_api", event.clone());
    bot.fake.wait_acks(3).await;
    bot.fake
        .envelope("e11", "slash_commands", command(&bot, "t11", "U0ANN", "list"));
    bot.fake.wait_calls("respond/t11", 1).await;
    assert_eq!(
        bot.fake.calls("usergroups.users.list").len(),
        2,
        "read again after the event"
    );
    // Slack redelivers the same event (same event_id, new envelope): acked, not acted on.
    bot.fake.envelope("e10b", "events_api", event);
    bot.fake.wait_acks(5).await;
    bot.fake
        .envelope("e12", "slash_commands", command(&bot, "t12", "U0ANN", "list"));
    bot.fake.wait_calls("respond/t12", 1).await;
    assert_eq!(
        bot.fake.calls("usergroups.users.list").len(),
        2,
        "the redelivered event changed nothing more"
    );
}

#[tokio::test]
async fn an_answer_slack_did_not_take_before_a_crash_is_sent_after_the_restart() {
    let fake = FakeSlack::start().await;
    fake.group("S0REL", &["U0ANN"]);
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(chrono::Utc::now());
    let extra = "[roles]\nrelease_manager = [\"S0REL\"]\n";
    let mut first = bot::start(&fake, dir.path(), &clock, extra, None);
    fake.connected(1).await;
    fake.rate_limit("respond/m1", 1, 1);
    let c = json!({
        "token": "legacy", "team_id": TEAM, "team_domain": "desk", "channel_id": "C0GEN",
        "channel_name": "general", "user_id": "U0ANN", "user_name": "ann", "command": "/rfc",
        "text": r#"new title:"Owed" type:normal risk:low impact:"None""#, "api_app_id": "A0DESK",
        "is_enterprise_install": "false", "response_url": fake.response_url("m1"), "trigger_id": "m1",
    });
    fake.envelope("em1", "slash_commands", c);
    let refused = fake.wait_calls("respond/m1", 1).await;
    assert_eq!(refused[0].status, 429);
    first.crash().unwrap();
    clock.advance(chrono::Duration::seconds(5));
    let again = bot::start(&fake, dir.path(), &clock, extra, None);
    fake.connected(2).await;
    let sent = fake.wait_calls("respond/m1", 2).await;
    assert_eq!(sent[1].status, 200);
    assert_eq!(sent[1].params["response_type"], "in_channel");
    assert!(sent[1].params.to_string().contains("RFC-1"), "{}", sent[1].params);
    assert_eq!(
        again.ask("/rfc list").await.matches("RFC-").count(),
        1,
        "run once"
    );
    // Taken now: a third start owes nothing.
    let mut again = again;
    again.crash().unwrap();
    let third = bot::start(&fake, dir.path(), &clock, extra, None);
    fake.connected(3).await;
    fake.envelope(
        "em2",
        "slash_commands",
        json!({
            "token": "legacy", "team_id": TEAM, "team_domain": "desk", "channel_id": "C0GEN",
            "channel_name": "general", "user_id": "U0ANN", "user_name": "ann", "command": "/rfc",
            "text": "list", "api_app_id": "A0DESK", "is_enterprise_install": "false",
            "response_url": fake.response_url("m2"), "trigger_id": "m2",
        }),
    );
    fake.wait_calls("respond/m2", 1).await;
    assert_eq!(fake.calls("respond/m1").len(), 2, "sent again after being taken");
    drop(third);
}
