//! The bot's loop. The gateway client runs as runtime tasks; the
//! application (commands, reactions, outbox delivery, due jobs) runs in a
//! local task set on the calling task, fed by [`Work`] messages (the
//! binary's runtime has one thread, but the adapter does not rely on it). The
//! outbox and the scheduler tick every second and whenever a piece of work
//! committed something for them ([`crate::db::Db::take_queued`]); edits of
//! one message are spaced by [`EDIT_INTERVAL`].

use super::chat::{DiscordChat, Shared};
use super::handler::{Handler, Unknown};
use crate::app::App;
use crate::command::Command;
use crate::handlers::polls::ReactionEvent;
use crate::handlers::{Invoker, Reply};
use futures_util::FutureExt;
use serenity::all::{ClientBuilder, GatewayIntents};
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Notify};

/// The least time between two edits of one message.
pub const EDIT_INTERVAL: chrono::Duration = chrono::Duration::seconds(1);
/// How often the outbox and the scheduler look for work unprompted.
pub const TICK: Duration = Duration::from_secs(1);

/// What the gateway side asks of the application.
pub enum Work {
    /// Run a command once per interaction; the answer (None for a
    /// duplicate) goes back on `reply`.
    Command {
        /// The guild id.
        guild: String,
        /// The interaction id: the command's idempotency key.
        key: String,
        /// The interaction's token, recorded with the answer so a crash
        /// before Discord took it is made up for after the restart.
        token: String,
        /// Who ran it, where.
        who: Invoker,
        /// What.
        cmd: Command,
        /// Where the answer goes, with when the command was picked up and how long it ran.
        reply: oneshot::Sender<(Option<Reply>, std::time::Instant, Duration)>,
    },
    /// A reaction added or removed.
    Reaction {
        /// The guild id.
        guild: String,
        /// The reaction.
        ev: ReactionEvent,
    },
    /// (Re)connected: recount the open polls and surveys from the platform.
    Reconcile,
    /// Discord took the answer to interaction `key` (or the channel will).
    Answered {
        /// The interaction id.
        key: String,
    },
}

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
    app.workspace = app.config.home_guild();
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
    let db = app.db.clone();
    let local = tokio::task::LocalSet::new();
    let result = local
        .run_until(async move {
            let served = tokio::task::spawn_local(serve(app, chat, rx));
            tokio::select! {
                // Commands must not go on being answered by a bot whose
                // scheduler is dead: the process ends, a supervisor restarts it.
                // (A serve that ended because the gateway went leaves that to its branch.)
                Err(e) = async { served.await.map_err(anyhow::Error::from).and_then(|r| r) } => Err(e),
                r = gateway => match r {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(serenity::Error::Gateway(serenity::all::GatewayError::InvalidAuthentication))) => {
                        Err(TokenRefused("gateway close 4004".into()).into())
                    }
                    Ok(Err(e)) => Err(anyhow::anyhow!("Discord gateway: {e}")),
                    Err(e) => Err(anyhow::anyhow!("Discord gateway task: {e}")),
                },
                _ = shutdown_signal() => {
                    tracing::info!("shutting down");
                    shards.shutdown_all().await;
                    Ok(())
                }
            }
        })
        .await;
    // Leave an empty write-ahead log, so the next start need not read it.
    if let Err(e) = db.checkpoint_truncate().await {
        tracing::warn!(error = format!("{e:#}"), "final checkpoint failed");
    }
    result
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

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the application side: each piece of work as its own local task,
/// and the outbox/scheduler worker. Ends when the gateway side is gone, or
/// with an error at once when the worker stopped (a panic that escaped it).
pub async fn serve(
    app: App,
    chat: Arc<DiscordChat>,
    mut rx: mpsc::UnboundedReceiver<Work>,
) -> anyhow::Result<()> {
    let wake = Rc::new(Notify::new());
    let started = app.clock.now();
    let mut made_up = false;
    let mut worker = tokio::task::spawn_local(worker(app.clone(), chat.clone(), wake.clone()));
    loop {
        let w = tokio::select! {
            w = rx.recv() => w,
            r = &mut worker => return Err(match r {
                Ok(()) => anyhow::anyhow!("the outbox and scheduler worker stopped"),
                Err(e) => anyhow::anyhow!("the outbox and scheduler worker stopped: {e}"),
            }),
        };
        let Some(w) = w else { return Ok(()) };
        if matches!(w, Work::Reconcile) && !std::mem::replace(&mut made_up, true) {
            // Connected, so the application id follow-ups need is known.
            tokio::task::spawn_local(super::followup::make_up(app.clone(), chat.clone(), started));
        }
        let app = app.clone();
        let wake = wake.clone();
        tokio::task::spawn_local(async move {
            match w {
                Work::Command {
                    guild,
                    key,
                    token,
                    who,
                    cmd,
                    reply,
                } => {
                    let picked = std::time::Instant::now();
                    let channel = who.channel.clone();
                    let r = app.command_once(&guild, &who, cmd, &key).await;
                    if let Some(Reply::Public(m)) = &r {
                        super::followup::record(&app, key, token, guild, channel, m).await;
                    }
                    // The interaction may have gone; the record is saved either way.
                    let _ = reply.send((r, picked, picked.elapsed()));
                }
                Work::Answered { key } => {
                    if let Err(e) = crate::db::interactions::answered(&app.db, &key).await {
                        tracing::warn!(error = format!("{e:#}"), interaction = %key, "cannot note the answer as taken");
                    }
                }
                Work::Reaction { guild, ev } => {
                    if let Err(e) = app.reaction(&guild, &ev).await {
                        tracing::error!(error = format!("{e:#}"), "reaction not recorded");
                    }
                }
                Work::Reconcile => match app.recount_reactions().await {
                    Ok(n) => tracing::info!(messages = n, "open polls and surveys queued for a recount"),
                    Err(e) => tracing::error!(
                        error = format!("{e:#}"),
                        "cannot recount the open polls and surveys"
                    ),
                },
            }
            // Most commands queue nothing to deliver; the worker's pass (three
            // queries) would only compete with the answer being sent.
            if app.db.take_queued() {
                wake.notify_one();
            }
        });
    }
}

/// Delivers the outbox and runs due jobs, every [`TICK`] and when woken
/// (a command, reaction or recount queued a message or a job);
/// checkpoints the write-ahead log every [`TICK`].
async fn worker(app: App, chat: Arc<DiscordChat>, wake: Rc<Notify>) {
    let mut checkpointer = match crate::db::checkpoint::Checkpointer::open(&app.db).await {
        Ok(c) => Some(c),
        Err(e) => {
            // The log then grows until the final checkpoint at shutdown.
            tracing::error!(error = format!("{e:#}"), "cannot open the checkpoint connection");
            None
        }
    };
    let mut checkpointed = std::time::Instant::now();
    loop {
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(TICK) => {}
        }
        if let Some(c) = checkpointer.as_mut().filter(|_| checkpointed.elapsed() >= TICK) {
            checkpointed = std::time::Instant::now();
            if let Err(e) = c.tick(&app.db).await {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "checkpoint failed; retried on the next tick"
                );
            }
        }
        // Jobs and deliveries catch their own panics; one elsewhere in the
        // pass is retried on the next tick like an error.
        match AssertUnwindSafe(app.settle(&*chat, EDIT_INTERVAL))
            .catch_unwind()
            .await
        {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(
                error = format!("{e:#}"),
                "outbox or scheduler pass failed; retried on the next tick"
            ),
            Err(panic) => tracing::error!(
                error = crate::scheduler::panic_message(&*panic),
                "outbox or scheduler pass panicked; retried on the next tick"
            ),
        }
    }
}
