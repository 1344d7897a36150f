//! The Slack bot's loop until the platform-neutral service (issue 19)
//! replaces it, driving the application the way the Discord runner does:
//! a slash command runs once per trigger id (`App::command_once`), its
//! answer goes to the `response_url`; reactions go to `App::reaction`;
//! the outbox and due jobs are settled every [`TICK`] and when work
//! queued something.

use super::chat::{classify, SlackChat};
use super::config::{Inbound, Tokens};
use super::inbound::{self, Delivery, Inbox};
use super::roles::Roles;
use crate::app::App;
use crate::command::Command;
use crate::handlers::polls::ReactionEvent;
use crate::handlers::{Invoker, Reply};
use slack_morphism::prelude::*;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Notify};

/// The least time between two edits of one message (`chat.update` is tier 3).
pub const EDIT_INTERVAL: chrono::Duration = chrono::Duration::seconds(1);
/// How often the outbox and the scheduler look for work unprompted.
pub const TICK: Duration = Duration::from_secs(1);

/// Connects to Slack (Socket Mode or HTTP, per `[slack] listen`) and runs until the inbound side stops.
pub async fn run(mut app: App, tokens: Tokens) -> anyhow::Result<()> {
    let cfg = app.config.slack.clone();
    tokens.check(&cfg.inbound).map_err(anyhow::Error::msg)?;
    let client = super::chat::client(&cfg.api_base)?;
    let token = SlackApiToken::new(tokens.bot.expose().to_string().into());
    let me = client
        .open_session(&token)
        .auth_test()
        .await
        .map_err(|e| anyhow::anyhow!("Slack auth.test: {} — check SLACK_BOT_TOKEN", classify(e)))?;
    let team = if cfg.team_id.is_empty() {
        me.team_id.value().clone()
    } else {
        cfg.team_id.clone()
    };
    app.workspace = team.clone();
    let roles = Arc::new(Roles::new(&app.config, app.clock.clone()));
    let chat = Arc::new(SlackChat::new(
        client.clone(),
        tokens.bot.expose(),
        roles.clone(),
        me.user_id.value().clone(),
    ));
    let (tx, rx) = mpsc::unbounded_channel();
    let inbox = Arc::new(Inbox::new(tx));
    tracing::info!(team = %team, "Slack connected");
    match cfg.inbound {
        Inbound::Socket => {
            let app_token = tokens
                .app
                .as_ref()
                .map(|t| t.expose().to_string())
                .unwrap_or_default();
            // Kept: dropping the listener would end the connection.
            let _listener = super::socket::listen(client, &app_token, inbox).await?;
            serve(app, chat, roles, rx).await
        }
        Inbound::Http(addr) => {
            let endpoint = super::http::Endpoint {
                secret: tokens.signing.clone().expect("checked above"),
                clock: app.clock.clone(),
                inbox,
            };
            tokio::select! {
                r = super::http::serve(addr, endpoint) => r,
                r = serve(app, chat, roles, rx) => r,
            }
        }
    }
}

/// Runs each delivery as its own task, and the outbox/scheduler worker.
pub async fn serve(
    app: App,
    chat: Arc<SlackChat>,
    roles: Arc<Roles>,
    mut rx: mpsc::UnboundedReceiver<Delivery>,
) -> anyhow::Result<()> {
    let wake = Arc::new(Notify::new());
    let mut worker = tokio::spawn(worker(app.clone(), chat.clone(), wake.clone()));
    let http = reqwest::Client::new();
    loop {
        let d = tokio::select! {
            d = rx.recv() => d,
            r = &mut worker => return Err(anyhow::anyhow!("the outbox and scheduler worker stopped: {r:?}")),
        };
        let Some(d) = d else { return Ok(()) };
        let (app, chat, roles, wake, http) = (
            app.clone(),
            chat.clone(),
            roles.clone(),
            wake.clone(),
            http.clone(),
        );
        tokio::spawn(async move {
            if let Err(e) = handle(&app, &chat, &roles, &http, d).await {
                tracing::error!(error = format!("{e:#}"), "Slack delivery not handled");
            }
            if app.db.take_queued() {
                wake.notify_one();
            }
        });
    }
}

async fn handle(
    app: &App,
    chat: &SlackChat,
    roles: &Roles,
    http: &reqwest::Client,
    d: Delivery,
) -> anyhow::Result<()> {
    match d {
        Delivery::Command {
            key,
            team,
            channel,
            user,
            line,
            response_url,
        } => {
            let reply = if !inbound::served(&app.workspace, &team) {
                Some(Reply::Private(crate::chat::Outgoing::text(
                    crate::render::not_served(),
                )))
            } else {
                let chat_roles = roles
                    .of(&chat.session(), &user)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let who = Invoker {
                    actor: crate::domain::records::Actor {
                        id: user.clone(),
                        name: user.clone(),
                        roles: app.config.itil_roles(chat_roles.iter().map(String::as_str)),
                    },
                    channel,
                };
                match Command::parse(&line, app.config.timezone) {
                    Ok(cmd) => app.command_once(&team, &who, cmd, &key).await,
                    Err(e) => Some(Reply::Private(crate::chat::Outgoing::text(e.to_string()))),
                }
            };
            // None: a command with this trigger id ran before; it was answered then.
            if let Some(reply) = reply {
                let body = serde_json::to_vec(&inbound::response(&reply))?;
                let r = http
                    .post(&response_url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| anyhow::anyhow!("response_url: {}", e.without_url()))?;
                anyhow::ensure!(
                    r.status().is_success(),
                    "response_url: HTTP {}",
                    r.status().as_u16()
                );
            }
            Ok(())
        }
        Delivery::Reaction {
            team,
            user,
            channel: _,
            ts,
            emoji,
            added,
        } => {
            if !inbound::served(&app.workspace, &team) {
                return Ok(());
            }
            let bot = user == chat.bot();
            let chat_roles = if bot {
                vec![]
            } else {
                roles
                    .of(&chat.session(), &user)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?
            };
            let ev = ReactionEvent {
                message: ts,
                name: user.clone(),
                user,
                roles: app.config.itil_roles(chat_roles.iter().map(String::as_str)),
                emoji,
                added,
                bot,
            };
            app.reaction(&team, &ev).await
        }
        Delivery::GroupsChanged => {
            roles.changed().await;
            Ok(())
        }
    }
}

async fn worker(app: App, chat: Arc<SlackChat>, wake: Arc<Notify>) {
    loop {
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(TICK) => {}
        }
        if let Err(e) = app.settle(&*chat, EDIT_INTERVAL).await {
            tracing::warn!(
                error = format!("{e:#}"),
                "outbox or scheduler pass failed; retried on the next tick"
            );
        }
    }
}
