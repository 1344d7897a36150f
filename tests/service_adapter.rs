//! A platform as a Slack adapter will be one: an in-memory `Chat` and an
//! event source of `service::Work`, nothing else. A release runs from
//! `/rfc new` to `/release close`, with a window announcement and a CAB
//! poll decided by reactions, all through the service.

mod common;

use async_trait::async_trait;
use release_desk::app::App;
use release_desk::chat::{Chat, ChatError, Outgoing, Posted, Reactor};
use release_desk::clock::ManualClock;
use release_desk::command::Command;
use release_desk::domain::records::Actor;
use release_desk::handlers::reaction::ReactionEvent;
use release_desk::handlers::{Invoker, Reply};
use release_desk::service::{self, Platform, Work};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

const WS: &str = "T1";
/// The announcements' channel sorts before the CAB's, so a lookup that
/// ignored the channel would find the announcement with the poll's id first;
/// the calendar is empty when the worker first runs, so empty windows are
/// announced.
const CONFIG: &str = "[channels]\nannouncements = \"a-releases\"\n[calendar]\nannounce_empty = true\n";

/// The platform: posted messages (channel, id, text) and reactions on them.
#[derive(Default)]
struct Memory {
    posts: Mutex<Vec<(String, String, String)>>,
    reactions: Mutex<Vec<(Posted, String, Reactor)>>,
}

impl Memory {
    fn posted(&self, channel: &str, has: &str) -> Option<Posted> {
        let posts = self.posts.lock().unwrap();
        posts
            .iter()
            .rev()
            .find(|(c, _, t)| c == channel && t.contains(has))
            .map(|(c, id, _)| Posted {
                channel: c.clone(),
                id: id.clone(),
            })
    }
}

#[async_trait]
impl Chat for Memory {
    async fn post(&self, channel: &str, m: &Outgoing, _nonce: &str) -> Result<Posted, ChatError> {
        let mut posts = self.posts.lock().unwrap();
        // Ids repeat across channels, as Slack's ts may.
        let id = format!("{}", posts.iter().filter(|p| p.0 == channel).count() + 1);
        posts.push((channel.into(), id.clone(), m.plain()));
        Ok(Posted {
            channel: channel.into(),
            id,
        })
    }
    async fn edit(&self, at: &Posted, m: &Outgoing) -> Result<(), ChatError> {
        let mut posts = self.posts.lock().unwrap();
        let p = posts
            .iter_mut()
            .find(|(c, id, _)| *c == at.channel && *id == at.id);
        p.map(|p| p.2 = m.plain())
            .ok_or(ChatError::Permanent("no such message".into()))
    }
    async fn react(&self, _at: &Posted, _emoji: &str) -> Result<(), ChatError> {
        Ok(())
    }
    async fn reactions(&self, at: &Posted, emoji: &str) -> Result<Vec<Reactor>, ChatError> {
        let all = self.reactions.lock().unwrap();
        Ok(all
            .iter()
            .filter(|(p, e, _)| p == at && e == emoji)
            .map(|(_, _, r)| r.clone())
            .collect())
    }
    async fn direct(&self, user: &str, m: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        self.post(&format!("dm:{user}"), m, nonce).await
    }
}

impl Platform for Memory {}

/// The event source's side of the adapter.
struct Adapter {
    chat: Arc<Memory>,
    work: mpsc::UnboundedSender<Work>,
    app: App,
    keys: std::cell::Cell<u32>,
}

impl Adapter {
    async fn command(&self, user: &str, role: &str, line: &str) -> Reply {
        let who = Invoker {
            actor: Actor {
                id: user.into(),
                name: user.into(),
                roles: self.app.config.itil_roles([role]),
            },
            channel: "general".into(),
        };
        let cmd = Command::parse(line, self.app.config.timezone).unwrap();
        self.keys.set(self.keys.get() + 1);
        let (reply, answer) = oneshot::channel();
        let key = format!("k{}", self.keys.get());
        let work = Work::Command {
            guild: WS.into(),
            key,
            token: None,
            who,
            cmd,
            reply,
        };
        self.work.send(work).unwrap_or_else(|_| panic!("service gone"));
        answer.await.unwrap().0.expect("not a duplicate")
    }

    /// A command that changed a record (a refusal fails the test with its words).
    async fn changes(&self, user: &str, role: &str, line: &str) {
        match self.command(user, role, line).await {
            Reply::Public(_) => {}
            Reply::Private(m) => panic!("{line}: refused: {}", m.plain()),
        }
    }

    /// A deployment command that went through: answered privately (the
    /// progress message carries the news) with `expected` in its words.
    async fn changes_privately(&self, user: &str, role: &str, line: &str, expected: &str) {
        match self.command(user, role, line).await {
            Reply::Private(m) => assert!(m.plain().contains(expected), "{line}: {}", m.plain()),
            Reply::Public(m) => panic!("{line}: answered in the channel: {}", m.plain()),
        }
    }

    fn react(&self, at: &Posted, user: &str, role: &str, emoji: &str) {
        let r = Reactor {
            user: user.into(),
            name: user.into(),
            chat_roles: vec![role.into()],
            bot: false,
        };
        self.chat
            .reactions
            .lock()
            .unwrap()
            .push((at.clone(), emoji.into(), r));
        let ev = ReactionEvent {
            message: at.id.clone(),
            channel: at.channel.clone(),
            user: user.into(),
            name: user.into(),
            roles: self.app.config.itil_roles([role]),
            emoji: emoji.into(),
            added: true,
            bot: false,
        };
        self.work
            .send(Work::Reaction { guild: WS.into(), ev })
            .unwrap_or_else(|_| panic!("service gone"));
    }
}

/// Waits (10 s at most) until `f` finds something on the platform.
async fn eventually<T>(chat: &Memory, what: &str, f: impl Fn() -> Option<T>) -> T {
    for _ in 0..500 {
        if let Some(x) = f() {
            return x;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never seen: {what}; posted: {:#?}", chat.posts.lock().unwrap());
}

#[tokio::test]
async fn a_release_runs_through_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let db = release_desk::db::Db::open(&common::database_url(&dir.path().join("svc.sqlite")))
        .await
        .unwrap();
    let clock = ManualClock::new("2026-12-01T09:00:00Z".parse().unwrap());
    let config = release_desk::config::Config::from_layers(Some(CONFIG)).unwrap();
    let app = App {
        db,
        config: Arc::new(config),
        clock: Arc::new(clock.clone()),
        workspace: WS.into(),
        pipelines: None,
        telemetry: Default::default(),
        leader: Default::default(),
    };
    let chat = Arc::new(Memory::default());
    let (tx, rx) = mpsc::unbounded_channel();
    let a = Adapter {
        chat: chat.clone(),
        work: tx,
        app: app.clone(),
        keys: Default::default(),
    };
    let local = tokio::task::LocalSet::new();
    local.spawn_local(service::serve(app.clone(), chat.clone(), rx));
    local
        .run_until(async move {
            a.work
                .send(Work::Reconcile)
                .unwrap_or_else(|_| panic!("service gone"));
            // The service's worker schedules and posts the window announcement by itself.
            eventually(&chat, "the window announcement", || {
                chat.posted("a-releases", "Release window daily-staging opens")
            })
            .await;

            a.changes(
                "rita",
                "requester",
                r#"/rfc new title:"Gateway" type:normal risk:medium impact:"5 minutes""#,
            )
            .await;
            a.changes(
                "rm",
                "release_manager",
                r#"/release new name:"Payments" version:2.3.0 rfcs:RFC-1"#,
            )
            .await;
            a.changes(
                "rm",
                "release_manager",
                r#"/release plan id:REL-1 scope:"SDK" backout:"redeploy" acceptance:"smoke""#,
            )
            .await;
            a.changes(
                "rm",
                "release_manager",
                "/release schedule id:REL-1 window:weekly-prod",
            )
            .await;
            a.changes("rm", "release_manager", "/release submit id:REL-1")
                .await;
            let poll = eventually(&chat, "the CAB poll", || chat.posted("cab", "REL-1")).await;
            a.react(&poll, "c1", "cab_member", "✅");
            a.react(&poll, "c2", "cab_member", "✅");
            a.react(&poll, "c3", "cab_member", "🤷");
            // The same id in another channel is another message: it counts nothing.
            let elsewhere = Posted {
                channel: "a-releases".into(),
                id: poll.id.clone(),
            };
            assert!(chat
                .posts
                .lock()
                .unwrap()
                .iter()
                .any(|(c, id, _)| *c == elsewhere.channel && *id == elsewhere.id));
            a.react(&elsewhere, "c4", "cab_member", "❌");
            // Edits of one message are spaced by the service's clock: it moves once all three are in.
            for _ in 0..500 {
                let n: i64 = release_desk::db::query_scalar("SELECT COUNT(*) FROM votes")
                    .fetch_one(&a.app.db.pool)
                    .await
                    .unwrap();
                if n >= 3 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            clock.advance(chrono::Duration::seconds(2));
            eventually(&chat, "the live tally", || {
                chat.posted("cab", "🤷 1 (c3)").filter(|p| *p == poll)
            })
            .await;
            clock.advance(chrono::Duration::days(2));
            let tally = eventually(&chat, "the CAB's decision", || {
                let posts = chat.posts.lock().unwrap();
                posts
                    .iter()
                    .find(|(c, id, t)| *c == "cab" && *id == poll.id && t.contains("CLOSED: approved"))
                    .map(|p| p.2.clone())
            })
            .await;
            assert!(tally.contains("✅ 2 (c1, c2)  ❌ 0  🤷 1 (c3)"), "{tally}");

            a.changes(
                "rm",
                "release_manager",
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
                a.changes("bob", "build_manager", line).await;
            }
            a.changes(
                "carol",
                "change_manager",
                r#"/release authorize id:REL-1 decision:approve reason:"ok""#,
            )
            .await;
            clock.advance(chrono::Duration::hours(1));
            for env in ["staging", "prod"] {
                if env == "prod" {
                    clock.advance(chrono::Duration::hours(12));
                }
                a.changes(
                    "dan",
                    "deployment_staff",
                    &format!(r#"/deploy plan release:REL-1 env:{env} steps:"Deploy api""#),
                )
                .await;
                a.changes_privately(
                    "dan",
                    "deployment_staff",
                    &format!("/deploy start release:REL-1 env:{env}"),
                    &format!("deployment to {env} started"),
                )
                .await;
                a.changes_privately(
                    "dan",
                    "deployment_staff",
                    &format!("/deploy step release:REL-1 env:{env} step:1 status:done"),
                    "step 1 done",
                )
                .await;
                a.changes_privately(
                    "dan",
                    "deployment_staff",
                    &format!("/deploy verify release:REL-1 env:{env} result:confirmed"),
                    &format!("deployment to {env} verified"),
                )
                .await;
            }
            a.changes(
                "dan",
                "deployment_staff",
                r#"/audit record release:REL-1 env:prod found:"api=2.3.0,db-schema=4.3""#,
            )
            .await;
            clock.advance(chrono::Duration::days(14));
            match a
                .command(
                    "rm",
                    "release_manager",
                    r#"/release close id:REL-1 handover:"Runbook""#,
                )
                .await
            {
                Reply::Public(m) => assert!(
                    m.plain().contains("REL-1 Payments — closed as successful"),
                    "{}",
                    m.plain()
                ),
                Reply::Private(m) => panic!("close refused: {}", m.plain()),
            }
        })
        .await;
}
