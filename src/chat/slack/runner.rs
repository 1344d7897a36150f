//! The Slack side of the service: checks the bot token, learns the served
//! workspace, connects Socket Mode (or serves HTTP mode) and hands what
//! Slack delivers to [`crate::service`] through [`super::dispatch`]; the
//! service owns the application (commands, reactions, outbox delivery,
//! due jobs, recounts, checkpoints and shutdown).

use super::chat::{classify, SlackChat};
use super::config::{Inbound, Tokens};
use super::inbound::{Delivery, Inbox};
use super::roles::Roles;
use crate::app::App;
use slack_morphism::prelude::*;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Connects to Slack (Socket Mode or HTTP, per `[slack] listen`) and runs
/// until the inbound side stops or the process is told to (Ctrl-C, SIGTERM).
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
    // The served workspace's outbox and jobs, never the console's.
    app.workspace = team.clone();
    // Only the leader connects Socket Mode or serves Slack's events (PostgreSQL: a standby waits here).
    if !crate::service::leader::lead(&app.leader, &app.workspace, app.config.takeover).await? {
        return Ok(());
    }
    let roles = Arc::new(Roles::new(&app.config, app.clock.clone()));
    let chat = Arc::new(SlackChat::new(
        client.clone(),
        tokens.bot.expose(),
        roles.clone(),
        me.user_id.value().clone(),
    ));
    let (tx, deliveries) = mpsc::unbounded_channel();
    let inbox = Arc::new(Inbox::new(tx.clone()));
    let (work_tx, work) = mpsc::unbounded_channel();
    tracing::info!(team = %team, "Slack connected");
    let dispatch = super::dispatch::dispatch(app.clone(), chat.clone(), roles, deliveries, work_tx);
    let clock = app.clock.clone();
    let inbound = async move {
        match cfg.inbound {
            Inbound::Socket => {
                let app_token = tokens
                    .app
                    .as_ref()
                    .map(|t| t.expose().to_string())
                    .unwrap_or_default();
                // Kept: dropping the listener ends the connection. Each
                // `hello` (every (re)connection) asks for a recount.
                let _listener = super::socket::listen(client, &app_token, inbox).await?;
                std::future::pending::<anyhow::Result<()>>().await
            }
            Inbound::Http(addr) => {
                let endpoint = super::http::Endpoint {
                    secret: tokens.signing.clone().expect("checked above"),
                    clock,
                    inbox,
                };
                // Nothing reconnects in HTTP mode: one recount at the start.
                let _ = tx.send(Delivery::Connected);
                super::http::serve(addr, endpoint).await
            }
        }
    };
    let adapter = async move {
        tokio::select! {
            r = inbound => r,
            r = dispatch => r,
        }
    };
    crate::service::run(app, chat, work, adapter, async {}).await
}
