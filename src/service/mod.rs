//! The service: the long-running loop every chat platform shares. An
//! adapter brings (a) a [`Chat`] implementation, (b) an inbound event source
//! that sends [`Work`] — commands, reactions, (re)connections — and (c) its
//! own config section; the service runs handlers, delivers the outbox
//! through the adapter's `Chat`, runs due jobs, recounts open polls and
//! surveys when the adapter (re)connected, checkpoints the database and
//! shuts down cleanly on a signal.
//!
//! The application runs in a local task set on the calling task: each
//! piece of work as its own local task, plus one outbox/scheduler worker
//! ([`worker`]) that ticks every [`TICK`] and whenever a piece of work
//! committed something for it ([`crate::db::Db::take_queued`]).

pub mod leader;
mod worker;

use crate::app::App;
use crate::chat::Chat;
use crate::command::Command;
use crate::handlers::reaction::ReactionEvent;
use crate::handlers::{AnswerTo, Invoker, Reply};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Notify};

pub use worker::shutdown_signal;

/// The least time between two edits of one message.
pub const EDIT_INTERVAL: chrono::Duration = chrono::Duration::seconds(1);
/// How often the outbox and the scheduler look for work unprompted.
pub const TICK: Duration = Duration::from_secs(1);

/// What an adapter's event source asks of the service.
pub enum Work {
    /// Run a command once per `key`; the answer (None for a duplicate)
    /// goes back on `reply`.
    Command {
        /// The workspace (guild) id.
        guild: String,
        /// The platform's event id: the command's idempotency key.
        key: String,
        /// The platform's handle for answering later (Discord's interaction
        /// token): a public answer is recorded with it, so a crash before
        /// the platform took the answer is made up for after the restart.
        /// None: the platform cannot answer late, nothing is recorded.
        token: Option<String>,
        /// Who ran it, where.
        who: Invoker,
        /// What.
        cmd: Command,
        /// Where the answer goes, with when the command was picked up and how long it ran.
        reply: oneshot::Sender<(Option<Reply>, std::time::Instant, Duration)>,
    },
    /// A reaction added or removed.
    Reaction {
        /// The workspace (guild) id.
        guild: String,
        /// The reaction.
        ev: ReactionEvent,
    },
    /// (Re)connected: recount the open polls and surveys from the platform.
    Reconcile,
    /// The platform took the answer to command `key` (or the channel will).
    Answered {
        /// The command's idempotency key.
        key: String,
    },
}

/// A chat platform as the service drives it: its [`Chat`], and what it
/// does once it first connected.
#[async_trait]
pub trait Platform: Chat {
    /// Called once, at the first [`Work::Reconcile`] (connected, so the
    /// platform knows what it needs), with this process's start: sends the
    /// answers recorded before it that the platform was not seen to take.
    async fn make_up(&self, _app: &App, _started: DateTime<Utc>) {}
}

/// The answers a stopped process recorded but did not see the platform take,
/// from the last `life` before `started` (less a minute: an answer about to
/// run out may not last the request); none, logged, when they cannot be read.
pub async fn owed(
    app: &App,
    started: DateTime<Utc>,
    life: chrono::Duration,
) -> Vec<crate::db::interactions::Unanswered> {
    let since = started - life + chrono::Duration::minutes(1);
    match crate::db::interactions::unanswered(&app.db, &app.workspace, since, started).await {
        Ok(owed) => {
            tracing::info!(owed = owed.len(), "answers owed from before the restart");
            owed
        }
        Err(e) => {
            tracing::error!(
                error = format!("{e:#}"),
                "cannot read the answers owed from before the restart"
            );
            Vec::new()
        }
    }
}

/// Runs the service until `adapter` (the platform's own client) ends, the
/// service's worker stops, this instance loses the leader's lock (an error:
/// see [`leader`]), or the process is told to stop (Ctrl-C, SIGTERM) — then
/// `on_signal` runs (closing the platform's connection).
/// The write-ahead log is checkpointed on the way out either way.
pub async fn run<P>(
    app: App,
    chat: Arc<P>,
    rx: mpsc::UnboundedReceiver<Work>,
    adapter: impl Future<Output = anyhow::Result<()>>,
    on_signal: impl Future<Output = ()>,
) -> anyhow::Result<()>
where
    P: Platform + 'static,
{
    let db = app.db.clone();
    let leadership = app.leader.clone();
    let local = tokio::task::LocalSet::new();
    let result = local
        .run_until(async move {
            let (leader, workspace, takeover) =
                (app.leader.clone(), app.workspace.clone(), app.config.takeover);
            let served = tokio::task::spawn_local(serve(app, chat, rx));
            tokio::select! {
                // Nothing more is sent (each delivery and job checked first);
                // the process ends, and its supervisor brings it back as a standby.
                lost = leader::watch(&leader, &workspace, takeover) => Err(lost.into()),
                // Commands must not go on being answered by a bot whose
                // scheduler is dead: the process ends, a supervisor restarts it.
                // (A serve that ended because the adapter went leaves that to its branch.)
                Err(e) = async { served.await.map_err(anyhow::Error::from).and_then(|r| r) } => Err(e),
                r = adapter => r,
                _ = shutdown_signal() => {
                    tracing::info!("shutting down");
                    on_signal.await;
                    Ok(())
                }
            }
        })
        .await;
    // A standby need not wait for the server to notice the session gone.
    leadership.release().await;
    // Leave an empty write-ahead log, so the next start need not read it.
    if let Err(e) = db.checkpoint_truncate().await {
        tracing::warn!(error = format!("{e:#}"), "final checkpoint failed");
    }
    result
}

/// Runs the application side: each piece of work as its own local task,
/// and the outbox/scheduler worker. Ends when the event source is gone, or
/// with an error at once when the worker stopped (a panic that escaped it).
/// Must run inside a [`tokio::task::LocalSet`].
pub async fn serve<P>(app: App, chat: Arc<P>, mut rx: mpsc::UnboundedReceiver<Work>) -> anyhow::Result<()>
where
    P: Platform + 'static,
{
    let wake = Rc::new(Notify::new());
    let started = app.clock.now();
    let mut made_up = false;
    let mut worker = tokio::task::spawn_local(worker::worker(app.clone(), chat.clone(), wake.clone()));
    loop {
        let w = tokio::select! {
            w = rx.recv() => w,
            r = &mut worker => return Err(match r {
                Ok(()) => anyhow::anyhow!("the outbox and scheduler worker stopped"),
                Err(e) => anyhow::anyhow!("the outbox and scheduler worker stopped: {e}"),
            }),
        };
        let Some(w) = w else { return Ok(()) };
        if let Work::Answered { key } = w {
            note_answered(&app, key);
            continue;
        }
        if matches!(w, Work::Reconcile) && !std::mem::replace(&mut made_up, true) {
            let (app, chat) = (app.clone(), chat.clone());
            tokio::task::spawn_local(async move { chat.make_up(&app, started).await });
        }
        let app = app.clone();
        let wake = wake.clone();
        tokio::task::spawn_local(async move {
            work(&app, w).await;
            // Most commands queue nothing to deliver; the worker's pass (three
            // queries) would only compete with the answer being sent.
            if app.db.take_queued() {
                wake.notify_one();
            }
        });
    }
}

/// Does one piece of work.
async fn work(app: &App, w: Work) {
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
            let answer_to = token.map(|token| AnswerTo {
                token,
                channel: who.channel.clone(),
            });
            let r = app
                .command_once(&guild, &who, cmd, &key, answer_to.as_ref())
                .await;
            // The event may have gone; the record is saved either way.
            let _ = reply.send((r, picked, picked.elapsed()));
        }
        Work::Answered { key } => note_answered(app, key),
        Work::Reaction { guild, ev } => {
            if let Err(e) = app.reaction(&guild, &ev).await {
                tracing::error!(error = format!("{e:#}"), "reaction not recorded");
            }
        }
        Work::Reconcile => {
            // (Re)connected, whatever the platform: /readyz says so.
            app.telemetry.set_connected(true);
            match app.recount_reactions().await {
                Ok(n) => tracing::info!(messages = n, "open polls and surveys queued for a recount"),
                Err(e) => tracing::error!(
                    error = format!("{e:#}"),
                    "cannot recount the open polls and surveys"
                ),
            }
        }
    }
}

/// Notes that the platform took the answer to `key`: the next commits
/// forget it, a few each, so that under load no write of its own is needed.
/// The first noted while none are waiting starts [`forget_taken`], which
/// forgets them if no commit came before its own turn to write.
///
/// [`forget_taken`]: crate::db::interactions::forget_taken
fn note_answered(app: &App, key: String) {
    if crate::db::interactions::taken(&app.db, key) {
        let app = app.clone();
        tokio::task::spawn_local(async move {
            if let Err(e) = crate::db::interactions::forget_taken(&app.db).await {
                tracing::warn!(error = format!("{e:#}"), "cannot note the answers as taken");
            }
        });
    }
}
