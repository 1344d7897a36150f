//! End to end in Slack: the real adapter (slack-morphism, Socket Mode, the
//! service) against the fake Slack runs a release from `/rfc new` to
//! `/release close`. The CAB poll is voted by buttons (one with a reason
//! from the form), by a reaction (its envelope delivered twice) and by a
//! reaction made while the socket was down, found by the recount after the
//! reconnect; the poll's post meets a 429 and goes out once, after the
//! Retry-After; user text full of mentions never reaches Slack unescaped;
//! commands from a group DM and from another workspace change nothing.

mod common;
mod fake_slack;

use fake_slack::bot::{self, Bot};
use fake_slack::{FakeSlack, TEAM};
use release_desk::clock::ManualClock;
use serde_json::{json, Value};
use std::cell::Cell;
use std::time::{Duration, Instant};

const ROLES: &str =
    "[channels]\nannouncements = \"C0REL\"\ncab = \"C0CAB\"\necab = \"C0ECAB\"\ndeployments = \"C0DEP\"\n\
[roles]\nrelease_manager = [\"S0REL\"]\ncab_member = [\"S0CAB\"]\nbuild_manager = [\"S0BLD\"]\n\
change_manager = [\"S0CHG\"]\ndeployment_staff = [\"S0DEP\"]\n";

/// A short title with pings in it.
const PINGS: &str = "<!everyone> <@U0VICTIM> <!subteam^S0CAB>";
/// What people type, with every way to ping someone they might try.
const INJECTED: &str = "<!everyone> <!here> <!channel> <!subteam^S0CAB|cab> <@U0VICTIM> <#C0REL> <https://evil.example|x> &lt;!here&gt;";

struct Desk {
    fake: FakeSlack,
    bot: Bot,
    clock: ManualClock,
    n: Cell<u32>,
    _dir: tempfile::TempDir,
}

impl Desk {
    fn next(&self, prefix: &str) -> String {
        self.n.set(self.n.get() + 1);
        format!("{prefix}{}", self.n.get())
    }

    /// Runs a slash command over Socket Mode; returns its answer.
    async fn slash(&self, user: &str, line: &str, tweak: impl Fn(&mut Value)) -> Value {
        let (command, text) = line.split_once(' ').unwrap_or((line, ""));
        let trigger = self.next("tr");
        let mut p = json!({
            "token": "legacy", "team_id": TEAM, "team_domain": "desk", "channel_id": "C0GEN",
            "channel_name": "general", "user_id": user, "user_name": user, "command": command,
            "text": text, "api_app_id": "A0DESK", "is_enterprise_install": "false",
            "response_url": self.fake.response_url(&trigger), "trigger_id": trigger,
        });
        tweak(&mut p);
        self.fake.envelope(&self.next("env"), "slash_commands", p);
        self.fake.wait_calls(&format!("respond/{trigger}"), 1).await[0]
            .params
            .clone()
    }

    /// A command that changes a record: answered in the channel.
    async fn changes(&self, user: &str, line: &str) -> Value {
        let a = self.slash(user, line, |_| {}).await;
        assert_eq!(a["response_type"], "in_channel", "{line}: {a}");
        a
    }

    /// A deployment command that went through: answered privately (the
    /// progress message carries the news), with `expected` in its words.
    async fn changes_privately(&self, user: &str, line: &str, expected: &str) {
        let a = self.slash(user, line, |_| {}).await;
        assert_eq!(a["response_type"], "ephemeral", "{line}: {a}");
        assert!(a["text"].as_str().unwrap_or("").contains(expected), "{line}: {a}");
    }

    /// Presses a button of the message `ts`; returns the trigger id.
    fn press(&self, user: &str, ts: &str, action: &str, value: &str) -> String {
        let trigger = self.next("tb");
        let p = json!({
            "type": "block_actions", "team": {"id": TEAM, "domain": "desk"},
            "user": {"id": user, "team_id": TEAM}, "api_app_id": "A0DESK",
            "container": {"type": "message", "message_ts": ts, "channel_id": "C0CAB", "is_ephemeral": false},
            "trigger_id": trigger, "channel": {"id": "C0CAB", "name": "cab"},
            "response_url": self.fake.response_url(&trigger),
            "actions": [{"type": "button", "action_id": action, "block_id": "votes", "value": value,
                         "action_ts": "1800000000.000001"}],
        });
        self.fake.envelope(&self.next("env"), "interactive", p);
        trigger
    }

    /// The ephemeral answer to a button press.
    async fn answer(&self, trigger: &str) -> String {
        let a = self.fake.wait_calls(&format!("respond/{trigger}"), 1).await[0]
            .params
            .clone();
        assert_eq!(a["response_type"], "ephemeral", "{a}");
        assert_eq!(a["replace_original"], false, "{a}");
        a["text"].as_str().unwrap().to_string()
    }

    fn reaction_event(&self, event_id: &str, user: &str, ts: &str, name: &str) -> Value {
        self.reaction_in("C0CAB", event_id, user, ts, name)
    }

    fn reaction_in(&self, channel: &str, event_id: &str, user: &str, ts: &str, name: &str) -> Value {
        json!({
            "token": "legacy", "team_id": TEAM, "api_app_id": "A0DESK", "type": "event_callback",
            "event_id": event_id, "event_time": 1800000000,
            "event": {"type": "reaction_added", "user": user, "reaction": name, "item_user": fake_slack::BOT,
                      "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": "1800000000.000200"},
        })
    }

    async fn votes(&self, user: &str) -> Vec<(String, String)> {
        let db = release_desk::db::Db::open(&self.bot.url).await.unwrap();
        release_desk::db::query_as("SELECT vote, action FROM votes WHERE \"user\" = $1 ORDER BY id")
            .bind(user)
            .fetch_all(&db.pool)
            .await
            .unwrap()
    }

    /// Waits (10 s at most) for `f` to find something.
    async fn until<T>(&self, what: &str, f: impl Fn(&FakeSlack) -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(x) = f(&self.fake) {
                return x;
            }
            assert!(Instant::now() < deadline, "never seen: {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The poll's message text as Slack holds it now.
    fn shown(&self, ts: &str) -> String {
        let mut out = Vec::new();
        texts(&self.fake.messages()[ts].1["blocks"], &mut out);
        out.join("\n")
    }
}

fn texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| texts(x, out)),
        Value::Object(o) => o.values().for_each(|x| texts(x, out)),
        _ => {}
    }
}

/// Fails when a text has a `<!…>` or a `<@…>` other than the people the bot
/// means (those who took part), or any other `<…>` link or channel.
fn assert_inert(texts: &[String], meant: &[&str]) {
    for t in texts {
        let mut rest = t.clone();
        for m in meant {
            rest = rest.replace(&format!("<@{m}>"), "");
        }
        assert!(!rest.contains('<') && !rest.contains('>'), "unescaped in {t:?}");
    }
}

#[test]
fn the_injection_check_can_fail() {
    let caught = std::panic::catch_unwind(|| assert_inert(&["a <@U0VICTIM> b".into()], &["U0ANN"]));
    assert!(caught.is_err());
    assert_inert(&["ok <@U0ANN> &lt;!here&gt;".into()], &["U0ANN"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_runs_in_slack_from_rfc_to_close() {
    let fake = FakeSlack::start().await;
    for (group, users) in [
        ("S0REL", &["U0ANN"][..]),
        ("S0CAB", &["U0CAB1", "U0CAB2", "U0CAB3", "U0CAB4"]),
        ("S0BLD", &["U0BOB"]),
        ("S0CHG", &["U0CAROL"]),
        ("S0DEP", &["U0DAN"]),
    ] {
        fake.group(group, users);
    }
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new("2026-12-01T09:00:00Z".parse().unwrap());
    let bot = bot::start(&fake, dir.path(), &clock, ROLES, None);
    let d = Desk {
        fake,
        bot,
        clock,
        n: Cell::new(0),
        _dir: dir,
    };
    d.fake.connected(1).await;

    d.changes(
        "U0RITA",
        &format!(r#"/rfc new title:"Gateway {PINGS}" type:normal risk:medium impact:"5 minutes""#),
    )
    .await;
    // A group DM and another workspace are refused and change nothing.
    let mpdm = d
        .slash(
            "U0ANN",
            r#"/release new name:"Payments" version:2.3.0 rfcs:RFC-1"#,
            |p| {
                p["channel_name"] = json!("mpdm-ann--rita-1");
            },
        )
        .await;
    let other = d
        .slash(
            "U0ANN",
            r#"/release new name:"Payments" version:2.3.0 rfcs:RFC-1"#,
            |p| {
                p["team_id"] = json!("T0OTHER");
            },
        )
        .await;
    for refused in [&mpdm, &other] {
        assert_eq!(refused["response_type"], "ephemeral", "{refused}");
    }
    let listed = d.bot.ask("/release list").await;
    assert!(!listed.contains("REL-1"), "{listed}");
    d.changes(
        "U0ANN",
        r#"/release new name:"Payments" version:2.3.0 rfcs:RFC-1"#,
    )
    .await;
    d.changes(
        "U0ANN",
        &format!(r#"/release plan id:REL-1 scope:"SDK {INJECTED}" backout:"redeploy" acceptance:"smoke""#),
    )
    .await;
    d.changes("U0ANN", "/release schedule id:REL-1 window:weekly-prod")
        .await;

    // The next post meets a 429 asking for 30 s.
    d.fake.rate_limit("chat.postMessage", 1, 30);
    d.changes("U0ANN", "/release submit id:REL-1").await;
    let limited = d
        .until("the 429", |f| {
            f.calls("chat.postMessage").into_iter().find(|r| r.status == 429)
        })
        .await;
    let nonce = limited.params["metadata"]["event_payload"]["nonce"].clone();
    let db = release_desk::db::Db::open(&d.bot.url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let waits: Option<String> = release_desk::db::query_scalar(
            "SELECT not_before FROM outbox WHERE attempts = 1 AND last_error LIKE '%rate%'",
        )
        .fetch_optional(&db.pool)
        .await
        .unwrap();
        if let Some(at) = waits {
            assert!(at.starts_with("2026-12-01T09:00:30"), "waits until {at}");
            break;
        }
        assert!(Instant::now() < deadline, "the 429 was never recorded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let advanced = Instant::now();
    d.clock.advance(chrono::Duration::seconds(31));
    let poll = d
        .until("the CAB poll with its buttons", |f| {
            f.messages().into_iter().find_map(|(ts, (c, m))| {
                let buttons = m["blocks"].as_array()?.iter().any(|b| b["type"] == "actions");
                (c == "C0CAB" && buttons).then_some(ts)
            })
        })
        .await;
    let same: Vec<_> = d
        .fake
        .calls("chat.postMessage")
        .into_iter()
        .filter(|r| r.params["metadata"]["event_payload"]["nonce"] == nonce)
        .collect();
    assert_eq!(same.iter().filter(|r| r.status == 200).count(), 1, "posted once");
    assert!(
        same.iter().filter(|r| r.status == 200).all(|r| r.at > advanced),
        "posted again before the Retry-After"
    );

    // Votes: a button, a refused button, a reaction delivered twice, the
    // reason form, a button that replaces a vote.
    let t = d.press("U0CAB1", &poll, "vote_approve", "REL-1 approve");
    let said = d.answer(&t).await;
    assert!(
        said.contains("Your vote on REL-1: ✅ approve — it counts"),
        "{said}"
    );
    let t = d.press("U0STRANGER", &poll, "vote_approve", "REL-1 approve");
    let said = d.answer(&t).await;
    assert!(!said.contains("it counts"), "{said}");
    assert!(d.votes("U0STRANGER").await.is_empty());

    d.fake.react("C0CAB", &poll, "white_check_mark", "U0CAB2");
    let ev = d.reaction_event("EvR1", "U0CAB2", &poll, "white_check_mark");
    d.fake.envelope("envR1", "events_api", ev.clone());
    d.fake.envelope("envR1b", "events_api", ev);
    // Someone outside the CAB whose display name tries a ping reacts too.
    d.fake.react("C0CAB", &poll, "white_check_mark", "U0MALLORY");
    let ev = d.reaction_event("EvR2", "U0MALLORY", &poll, "white_check_mark");
    d.fake.envelope("envR2", "events_api", ev);

    let t = d.press("U0CAB3", &poll, "vote_reason", "REL-1");
    let open = d.fake.wait_calls("views.open", 1).await;
    assert_eq!(open[0].params["trigger_id"], t.as_str());
    assert_eq!(open[0].params["view"]["private_metadata"], "REL-1 C0CAB");
    let submit = json!({
        "type": "view_submission", "team": {"id": TEAM, "domain": "desk"},
        "user": {"id": "U0CAB3", "team_id": TEAM}, "api_app_id": "A0DESK", "trigger_id": "tv1",
        "view": {"id": "V0FORM", "team_id": TEAM, "type": "modal", "hash": "h1",
                 "callback_id": "reject_reason", "private_metadata": "REL-1 C0CAB",
                 "title": {"type": "plain_text", "text": "Reject REL-1"}, "blocks": [],
                 "state": {"values": {"reason": {"reason": {"type": "plain_text_input",
                           "value": format!("no rollback drill {INJECTED}")}}}}},
    });
    d.fake.envelope("envV1", "interactive", submit);
    let eph = d.fake.wait_calls("chat.postEphemeral", 1).await;
    assert_eq!(eph[0].params["user"], "U0CAB3");
    assert!(
        eph[0].params["text"].as_str().unwrap().contains("❌ reject"),
        "{}",
        eph[0].params
    );
    // The reason stands on the poll until the voter changes the vote.
    d.clock.advance(chrono::Duration::seconds(2));
    d.until("the reason on the poll", |_| {
        d.shown(&poll).contains("no rollback drill").then_some(())
    })
    .await;
    let t = d.press("U0CAB3", &poll, "vote_abstain", "REL-1 abstain");
    assert!(d.answer(&t).await.contains("🤷 abstain"));
    assert_eq!(
        d.votes("U0CAB2").await,
        [("approve".to_string(), "add".to_string())],
        "the redelivered event counted once"
    );

    // The socket drops; a reaction made meanwhile is found by the recount.
    let read_before = d.fake.calls("reactions.get").len();
    d.fake.drop_socket();
    d.fake.react("C0CAB", &poll, "white_check_mark", "U0CAB4");
    d.fake.connected(2).await;
    d.until("the recount after the reconnect", |f| {
        (f.calls("reactions.get").len() > read_before).then_some(())
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while d.votes("U0CAB4").await.is_empty() {
        assert!(Instant::now() < deadline, "the recount missed U0CAB4");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    d.clock.advance(chrono::Duration::seconds(2));
    d.until("the live tally with the recounted vote", |_| {
        let s = d.shown(&poll);
        (s.contains("✅ 3") && s.contains("🤷 1")).then_some(())
    })
    .await;
    // People by their display names, the ping in one of them inert.
    let shown = d.shown(&poll);
    assert!(shown.contains("(cab1, cab2, cab4)"), "{shown}");
    assert!(
        shown.contains("&lt;!channel&gt; mallory (not a CAB member)"),
        "{shown}"
    );

    d.clock.advance(chrono::Duration::days(2));
    d.until("the CAB's decision", |_| {
        d.shown(&poll).contains("CLOSED: approved").then_some(())
    })
    .await;
    assert!(
        !d.shown(&poll).contains("Reject with reason"),
        "a decided poll offers no buttons"
    );

    d.changes(
        "U0ANN",
        r#"/release prepare id:REL-1 validation:"report" training:"briefing""#,
    )
    .await;
    for line in [
        r#"/package add release:REL-1 item:api version:2.3.0 requires:"db-schema>=4.2,<5""#,
        "/package add release:REL-1 item:db-schema version:4.3 kind:software change:changed",
        "/package baseline release:REL-1",
        r#"/release build id:REL-1 notes:"build 1""#,
        "/release test id:REL-1 result:pass",
    ] {
        d.changes("U0BOB", line).await;
    }
    d.changes(
        "U0CAROL",
        r#"/release authorize id:REL-1 decision:approve reason:"ok""#,
    )
    .await;
    d.clock.advance(chrono::Duration::hours(1));
    for env in ["staging", "prod"] {
        if env == "prod" {
            d.clock.advance(chrono::Duration::hours(12));
        }
        d.changes(
            "U0DAN",
            &format!(r#"/deploy plan release:REL-1 env:{env} steps:"Deploy api""#),
        )
        .await;
        for (line, expected) in [
            (
                format!("/deploy start release:REL-1 env:{env}"),
                format!("deployment to {env} started"),
            ),
            (
                format!("/deploy step release:REL-1 env:{env} step:1 status:done"),
                "step 1 done".to_string(),
            ),
            (
                format!("/deploy verify release:REL-1 env:{env} result:confirmed"),
                format!("deployment to {env} verified"),
            ),
        ] {
            d.changes_privately("U0DAN", &line, &expected).await;
        }
    }
    // The satisfaction survey is answered with a number emoji.
    let survey = d
        .until("the survey", |f| {
            f.messages().into_iter().find_map(|(ts, (c, m))| {
                (c == "C0REL" && m["text"].as_str()?.contains("How satisfied")).then_some(ts)
            })
        })
        .await;
    // Slack shows the message before the bot has stored its ts from the
    // reply; a person cannot react in that gap, the test can, so it waits
    // for the bot to know its message first.
    let db = release_desk::db::Db::open(&d.bot.url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let known: Option<i64> =
            release_desk::db::query_scalar("SELECT id FROM bot_messages WHERE platform_id = $1")
                .bind(survey.clone())
                .fetch_optional(&db.pool)
                .await
                .unwrap();
        if known.is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the survey's ts was never stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    d.fake.react("C0REL", &survey, "four", "U0RITA");
    let ev = d.reaction_in("C0REL", "EvS1", "U0RITA", &survey, "four");
    d.fake.envelope("envS1", "events_api", ev);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let score: Option<i64> =
            release_desk::db::query_scalar("SELECT score FROM survey_answers WHERE \"user\" = 'U0RITA'")
                .fetch_optional(&db.pool)
                .await
                .unwrap();
        if let Some(score) = score {
            assert_eq!(score, 4);
            break;
        }
        assert!(Instant::now() < deadline, "the survey answer was never recorded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    d.changes(
        "U0DAN",
        r#"/audit record release:REL-1 env:prod found:"api=2.3.0,db-schema=4.3""#,
    )
    .await;
    d.clock.advance(chrono::Duration::days(14));
    let closed = d
        .changes("U0ANN", r#"/release close id:REL-1 handover:"Runbook""#)
        .await;
    assert!(closed.to_string().contains("closed as successful"), "{closed}");

    // Nothing anyone typed reached Slack as a mention.
    let mut all = Vec::new();
    for r in d.fake.requests() {
        texts(&r.params, &mut all);
    }
    assert!(all.iter().any(|t| t.contains("Gateway")), "the titles were sent");
    let meant = [
        "U0RITA", "U0ANN", "U0CAB1", "U0CAB2", "U0CAB3", "U0CAB4", "U0BOB", "U0CAROL", "U0DAN",
    ];
    assert_inert(&all, &meant);
    assert!(d.fake.unknown().is_empty(), "{:?}", d.fake.unknown());
    // Every Web API method the bot token called is one the manifest asks a scope for.
    let scoped = release_desk::chat::slack::manifest::METHOD_SCOPES;
    let checked = d
        .fake
        .requests()
        .iter()
        .filter(|r| r.token.as_deref() == Some("xoxb-bot"))
        .count();
    assert!(checked > 50, "only {checked} requests with the bot token");
    for r in d.fake.requests() {
        let ours = r.token.as_deref() == Some("xoxb-bot");
        if ours && !r.method.starts_with("respond/") && !r.method.starts_with("upload/") {
            assert!(
                scoped.iter().any(|(m, _)| *m == r.method),
                "{} has no scope in the manifest",
                r.method
            );
        }
    }
}
