//! The Slack adapter's Web API side (the real slack-morphism client) against
//! the fake Slack: the outbox's posts, 429s, escaping, roles from user
//! groups, direct messages and file uploads.

mod common;
mod fake_slack;

use fake_slack::{FakeSlack, BOT, TEAM};
use release_desk::app::App;
use release_desk::chat::slack::chat::{client, SlackChat};
use release_desk::chat::slack::roles::Roles;
use release_desk::chat::{Attachment, Chat, ChatError, Outgoing, Posted};
use release_desk::clock::ManualClock;
use release_desk::config::Config;
use release_desk::db::Db;
use std::sync::Arc;

struct Setup {
    fake: FakeSlack,
    app: App,
    clock: ManualClock,
    chat: SlackChat,
    roles: Arc<Roles>,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let fake = FakeSlack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[slack]\napi_base = \"{}\"\nteam_id = \"{TEAM}\"\n[roles]\ncab_member = [\"S0CAB\"]\nchange_manager = [\"U0BOSS\"]\n",
        fake.api_base()
    );
    let config = Config::from_layers(Some(&toml)).unwrap();
    let db = Db::open(&common::database_url(&dir.path().join("desk.sqlite")))
        .await
        .unwrap();
    let clock = ManualClock::new("2026-12-01T09:00:00Z".parse().unwrap());
    let roles = Arc::new(Roles::new(&config, Arc::new(clock.clone())));
    let chat = SlackChat::new(
        client(&config.slack.api_base).unwrap(),
        "xoxb-test-token",
        roles.clone(),
        BOT.into(),
    );
    let app = App {
        db,
        config: Arc::new(config),
        clock: Arc::new(clock.clone()),
        workspace: TEAM.into(),
        pipelines: None,
        telemetry: Default::default(),
        leader: Default::default(),
    };
    Setup {
        fake,
        app,
        clock,
        chat,
        roles,
        _dir: dir,
    }
}

/// Every text the bot sent in a request, where Slack would render mrkdwn.
fn texts(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| texts(x, out)),
        serde_json::Value::Object(o) => o
            .iter()
            .filter(|(k, _)| *k != "metadata")
            .for_each(|(_, x)| texts(x, out)),
        _ => {}
    }
}

/// Fails when a request carries `<` or `>` other than the bot's meant mentions.
fn assert_inert(fake: &FakeSlack, meant: &[&str]) {
    for r in fake.requests() {
        let mut all = vec![];
        texts(&r.params, &mut all);
        for t in all {
            let mut rest = t.clone();
            for m in meant {
                rest = rest.replace(&format!("<@{m}>"), "");
            }
            assert!(
                !rest.contains('<') && !rest.contains('>'),
                "{}: unescaped {t:?}",
                r.method
            );
        }
    }
}

#[tokio::test]
async fn the_injection_checker_can_fail() {
    let s = setup().await;
    s.chat.post("C0CAB", &Outgoing::text("raw"), "n").await.unwrap();
    // A body written around the adapter, as a bug would.
    let raw = reqwest::Client::new()
        .post(format!("{}chat.postMessage", s.fake.api_base()))
        .header("content-type", "application/json")
        .body(r#"{"channel":"C0CAB","text":"<!everyone>"}"#)
        .send()
        .await
        .unwrap();
    assert!(raw.status().is_success());
    let caught = std::panic::AssertUnwindSafe(async { assert_inert(&s.fake, &[]) });
    assert!(futures_util::FutureExt::catch_unwind(caught).await.is_err());
}

#[tokio::test]
async fn a_mention_injection_corpus_never_reaches_slack_unescaped() {
    let s = setup().await;
    let corpus = [
        "<!everyone>",
        "<!here>",
        "<!channel>",
        "<!subteam^S0CAB|cab>",
        "<@U0VICTIM>",
        "<@U0VICTIM|boss>",
        "<#C0CAB>",
        "<https://evil.example|login>",
        "&lt;!here&gt;",
        "<<!channel>>",
        "\u{ff1c}!here\u{ff1e} <\u{200b}!here>",
    ];
    for (i, text) in corpus.iter().enumerate() {
        let m = Outgoing {
            mentions: vec!["U0MEANT".into(), text.to_string(), "S0CAB".into()],
            ..Outgoing::text(format!("RFC-{i} {text}\nrationale: {text}"))
                .facts([(*text, *text)])
                .about([*text])
        };
        let at = s.chat.post("C0CAB", &m, &format!("n{i}")).await.unwrap();
        s.chat.edit(&at, &m).await.unwrap();
        s.chat.direct("U0MEANT", &m, &format!("d{i}")).await.unwrap();
    }
    assert_eq!(s.fake.calls("chat.postMessage").len(), corpus.len() * 2);
    assert_eq!(s.fake.calls("chat.update").len(), corpus.len());
    let first = &s.fake.calls("chat.postMessage")[0].params;
    // The header, then the one mention the bot means.
    assert_eq!(first["blocks"][1]["text"]["text"], "<@U0MEANT>");
    assert_inert(&s.fake, &["U0MEANT"]);
    assert!(s.fake.unknown().is_empty(), "{:?}", s.fake.unknown());
}

#[tokio::test]
async fn a_429_on_a_post_is_honoured_posted_once_not_before_retry_after() {
    let s = setup().await;
    s.fake.rate_limit("chat.postMessage", 1, 30);
    s.app
        .post(TEAM, "C0CAB", &Outgoing::text("window opens"))
        .await
        .unwrap();
    let edit = chrono::Duration::seconds(1);
    s.app.deliver(&s.chat, edit).await.unwrap();
    let calls = s.fake.calls("chat.postMessage");
    assert_eq!(calls.iter().map(|r| r.status).collect::<Vec<_>>(), [429]);
    s.clock.advance(chrono::Duration::seconds(29));
    s.app.deliver(&s.chat, edit).await.unwrap();
    assert_eq!(
        s.fake.calls("chat.postMessage").len(),
        1,
        "retried before Retry-After"
    );
    let mut waited = 29;
    while s.fake.messages().is_empty() && waited < 300 {
        s.clock.advance(chrono::Duration::seconds(1));
        waited += 1;
        s.app.deliver(&s.chat, edit).await.unwrap();
    }
    assert!(waited >= 30, "posted after {waited}s");
    for _ in 0..3 {
        s.clock.advance(chrono::Duration::seconds(60));
        s.app.deliver(&s.chat, edit).await.unwrap();
    }
    let statuses: Vec<u16> = s
        .fake
        .calls("chat.postMessage")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 200]);
    assert_eq!(s.fake.messages().len(), 1);
    let (channel, body) = s.fake.messages().into_values().next().unwrap();
    assert_eq!(channel, "C0CAB");
    assert_eq!(body["metadata"]["event_type"], "release_desk_outbox");
}

#[tokio::test]
async fn a_429_says_how_long_to_wait_and_a_refusal_is_permanent() {
    let s = setup().await;
    s.fake.rate_limit("chat.update", 1, 7);
    let at = s.chat.post("C0CAB", &Outgoing::text("a"), "n").await.unwrap();
    match s.chat.edit(&at, &Outgoing::text("b")).await {
        Err(ChatError::Retry { after, .. }) => assert_eq!(after, Some(std::time::Duration::from_secs(7))),
        other => panic!("{other:?}"),
    }
    let gone = Posted {
        channel: "C0CAB".into(),
        id: "1.000001".into(),
    };
    assert_eq!(
        s.chat.edit(&gone, &Outgoing::text("b")).await,
        Err(ChatError::Permanent("message_not_found".into()))
    );
    for r in s.fake.requests() {
        assert_eq!(r.token.as_deref(), Some("xoxb-test-token"), "{}", r.method);
    }
}

#[tokio::test]
async fn reactors_get_roles_from_user_groups_cached_until_changed() {
    let s = setup().await;
    s.fake.group("S0CAB", &["U0ANN", "U0BOB"]);
    let at = s.chat.post("C0CAB", &Outgoing::text("poll"), "n").await.unwrap();
    s.chat.react(&at, "✅").await.unwrap();
    s.chat.react(&at, "✅").await.unwrap();
    s.fake.react(&at.channel, &at.id, "white_check_mark", "U0ANN");
    s.fake
        .react(&at.channel, &at.id, "white_check_mark::skin-tone-2", "U0BOSS");
    s.fake.react(&at.channel, &at.id, "x", "U0BOB");
    let yes = s.chat.reactions(&at, "✅").await.unwrap();
    let summary: Vec<(String, Vec<String>, bool)> = yes
        .iter()
        .map(|r| (r.user.clone(), r.chat_roles.clone(), r.bot))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "U0ANN".to_string(),
                vec!["U0ANN".to_string(), "S0CAB".to_string()],
                false
            ),
            ("U0BOSS".to_string(), vec!["U0BOSS".to_string()], false),
            (BOT.to_string(), vec![], true),
        ]
    );
    let roles = s
        .app
        .config
        .itil_roles(yes[0].chat_roles.iter().map(String::as_str));
    assert!(roles.contains(&release_desk::domain::roles::Role::CabMember));
    let no = s.chat.reactions(&at, "❌").await.unwrap();
    assert_eq!(no.len(), 1);
    assert_eq!(
        s.fake.calls("usergroups.users.list").len(),
        1,
        "members are cached"
    );
    s.clock.advance(chrono::Duration::minutes(6));
    s.chat.reactions(&at, "❌").await.unwrap();
    assert_eq!(
        s.fake.calls("usergroups.users.list").len(),
        2,
        "refreshed after a few minutes"
    );
    s.roles.changed().await;
    s.chat.reactions(&at, "❌").await.unwrap();
    assert_eq!(
        s.fake.calls("usergroups.users.list").len(),
        3,
        "refreshed on subteam_members_changed"
    );
    assert_eq!(s.fake.calls("reactions.add").len(), 2);
    assert!(s.fake.unknown().is_empty());
}

#[tokio::test]
async fn a_file_goes_up_by_the_external_upload_never_files_upload() {
    let s = setup().await;
    let m = Outgoing {
        title: "Calendar".into(),
        attachment: Some(Attachment {
            name: "windows.ics".into(),
            content: b"BEGIN:VCALENDAR".to_vec(),
        }),
        ..Default::default()
    };
    s.chat.post("C0CAB", &m, "n").await.unwrap();
    let methods: Vec<String> = s.fake.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(
        methods,
        [
            "conversations.history",
            "chat.postMessage",
            "files.getUploadURLExternal",
            "upload/F2",
            "files.completeUploadExternal"
        ]
    );
    let up = s.fake.calls("upload/F2");
    assert_eq!(up[0].raw, b"BEGIN:VCALENDAR");
    let get = &s.fake.calls("files.getUploadURLExternal")[0].params;
    assert_eq!(get["filename"], "windows.ics");
    assert_eq!(get["length"], "15");
    let done = &s.fake.calls("files.completeUploadExternal")[0].params;
    assert_eq!(done["channel_id"], "C0CAB");
    assert!(s.fake.unknown().is_empty());
}

#[tokio::test]
async fn a_post_a_crash_left_unrecorded_is_found_by_its_marker_not_posted_again() {
    let s = setup().await;
    let m = Outgoing::text("REL-1 window opens");
    let first = s.chat.post("C0CAB", &m, "outbox-7").await.unwrap();
    // A new process (a new client) is asked for the same outbox entry.
    let again = SlackChat::new(
        client(&s.app.config.slack.api_base).unwrap(),
        "xoxb-test-token",
        s.roles.clone(),
        BOT.into(),
    );
    let found = again.post("C0CAB", &m, "outbox-7").await.unwrap();
    assert_eq!(found, first);
    assert_eq!(s.fake.calls("chat.postMessage").len(), 1, "posted twice");
    // Another entry is posted, and the channel's history is not read again.
    let other = again.post("C0CAB", &m, "outbox-8").await.unwrap();
    assert_ne!(other, first);
    assert_eq!(s.fake.calls("chat.postMessage").len(), 2);
    let history = s.fake.calls("conversations.history");
    assert_eq!(history.len(), 2, "once per client and channel");
    assert_eq!(history[1].params["include_all_metadata"], "true");
}

#[tokio::test]
async fn a_user_group_slack_does_not_know_grants_nothing_and_stops_nobody() {
    let s = setup().await;
    // [roles] names S0CAB; the workspace has no such group.
    let at = s.chat.post("C0CAB", &Outgoing::text("poll"), "n").await.unwrap();
    s.fake.react(&at.channel, &at.id, "white_check_mark", "U0ANN");
    let yes = s.chat.reactions(&at, "✅").await.unwrap();
    assert_eq!(yes.len(), 1);
    assert_eq!(yes[0].chat_roles, ["U0ANN"]);
    assert_eq!(
        s.fake.calls("usergroups.users.list")[0].params["usergroup"],
        "S0CAB"
    );
    // A temporary failure is no answer: it is not taken for an empty group.
    s.fake.rate_limit("usergroups.users.list", 1, 1);
    s.roles.changed().await;
    assert!(matches!(
        s.chat.reactions(&at, "✅").await,
        Err(ChatError::Retry { .. })
    ));
}
