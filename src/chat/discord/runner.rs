//! The Discord side of the service: connects the gateway client and hands
//! its events to [`crate::service`], which owns the application (commands,
//! reactions, outbox delivery, due jobs, checkpoints and shutdown).

use super::chat::{DiscordChat, Shared};
use super::handler::{Handler, Unknown};
use crate::app::App;
use serenity::all::{ClientBuilder, GatewayIntents};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Discord refused the bot's token: no retry can help, so the bot stops
/// (the binary exits with status 2, as for a configuration error).
#[derive(Debug, thiserror::Error)]
#[error("Discord refused the bot's token ({0}): check DISCORD_TOKEN (see README, \"Connecting to Discord\")")]
pub struct TokenRefused(pub String);

/// The gateway intents: guilds and their message reactions; none privileged.
pub fn intents() -> GatewayIntents {
    GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGE_REACTIONS
}

/// Connects to Discord with `token` and runs until the gateway client
/// stops or the process is told to (Ctrl-C, SIGTERM).
pub async fn run(app: App, token: String) -> anyhow::Result<()> {
    let (http, rest) = super::http::build(&token, app.config.discord.api_base.as_deref());
    drop(token);
    // Serenity would take a refused token for a gateway it cannot reach and
    // retry discord.com's every few seconds, forever.
    check_token(&http).await?;
    let mut app = if app.config.discord.guild_id == 0 {
        with_home_guild(app, &http).await?
    } else {
        app
    };
    // The served server's outbox and jobs, never the console's.
    if let Some(guild) = app.config.discord_guild() {
        app.workspace = guild;
    }
    // Only the leader opens a gateway session (PostgreSQL: a standby waits here).
    if !crate::service::leader::lead(&app.leader, &app.workspace, app.config.takeover).await? {
        return Ok(());
    }
    let shared = Arc::new(Shared::new(app.config.discord.guild_id));
    let (tx, rx) = mpsc::unbounded_channel();
    let handler = Handler {
        app: app.clone(),
        shared: shared.clone(),
        work: tx,
        registered: AtomicBool::new(false),
        seen: Default::default(),
        served: super::served::Served::new(&app.config),
    };
    let mut client = ClientBuilder::new_with_http(http, intents())
        .event_handler(handler)
        .raw_event_handler(Unknown)
        .await?;
    let chat = Arc::new(DiscordChat::new(client.http.clone(), rest, shared));
    let shards = client.shard_manager.clone();
    let gateway = tokio::spawn(async move { client.start().await });
    let gateway = async move {
        match gateway.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(serenity::Error::Gateway(serenity::all::GatewayError::InvalidAuthentication))) => {
                Err(TokenRefused("gateway close 4004".into()).into())
            }
            Ok(Err(e)) => Err(anyhow::anyhow!("Discord gateway: {e}")),
            Err(e) => Err(anyhow::anyhow!("Discord gateway task: {e}")),
        }
    };
    crate::service::run(app, chat, rx, gateway, async move { shards.shutdown_all().await }).await
}

/// Refuses to go on with a token Discord answers 401 to; any other failure
/// is left to the gateway client's own retries.
async fn check_token(http: &serenity::all::Http) -> anyhow::Result<()> {
    match http.get_current_user().await {
        Ok(me) => {
            tracing::info!(user = %me.id, "token accepted");
            Ok(())
        }
        Err(serenity::Error::Http(serenity::all::HttpError::UnsuccessfulRequest(r)))
            if r.status_code.as_u16() == 401 =>
        {
            Err(TokenRefused(format!("HTTP 401 {}", r.error.message)).into())
        }
        Err(e) => {
            tracing::warn!(error = %super::chat::classify(e), "cannot check the token now; connecting anyway");
            Ok(())
        }
    }
}

/// Without `discord.guild_id` (commands registered globally), the server
/// is the one the announcements channel is in: the bot's own records
/// (window announcements and what they look up) belong to it.
async fn with_home_guild(mut app: App, http: &serenity::all::Http) -> anyhow::Result<App> {
    use anyhow::Context;
    let channel = super::chat::snowflake("channels.announcements", &app.config.channels.announcements)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut wait = Duration::from_secs(1);
    let found = loop {
        match http.get_channel(serenity::all::ChannelId::new(channel)).await {
            Ok(c) => break c,
            Err(e) if wait <= Duration::from_secs(4) => {
                tracing::warn!(error = %super::chat::classify(e), "cannot read the announcements channel yet; retrying");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(e) => {
                return Err(anyhow::anyhow!("{}", super::chat::classify(e))).context(format!(
                    "reading channels.announcements ({channel}) to learn the server"
                ))
            }
        }
    };
    let guild = found
        .guild()
        .map(|g| g.guild_id.get())
        .with_context(|| format!("channels.announcements ({channel}) is not a server channel"))?;
    let mut config = (*app.config).clone();
    config.discord.home = Some(guild);
    app.config = std::sync::Arc::new(config);
    tracing::info!(
        guild,
        "commands global; the bot's own records go to the announcements channel's server"
    );
    Ok(app)
}
