//! The application: one database, one configuration, one clock, and the
//! operations every chat adapter drives — commands, reactions, due jobs and
//! outbox delivery.

use crate::chat::Chat;
use crate::clock::Clock;
use crate::command::Command;
use crate::config::Config;
use crate::db::Db;
use crate::handlers::{self, reaction::ReactionEvent, AnswerTo, Ctx, Invoker, PostedByCommit, Reply};
use crate::scheduler::{self, delivery, Ports};
use crate::telemetry::Telemetry;
use chrono::Duration;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// Everything the bot runs on.
#[derive(Clone)]
pub struct App {
    /// The database.
    pub db: Db,
    /// The configuration.
    pub config: Arc<Config>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The workspace whose outbox and jobs this process works, chosen by
    /// the binary (the served Discord guild in the bot, the console's own in
    /// the console). Two processes on one database never take each other's.
    pub workspace: String,
    /// Where answers to gated pipelines go (GitHub, GitLab), set by the
    /// binary; None: those answers wait, retried, for a process that has it.
    pub pipelines: Option<Arc<dyn handlers::gate::Pipelines>>,
    /// The process's measures (`/metrics`) and the chat's connection.
    pub telemetry: Arc<Telemetry>,
    /// Whether this instance may deliver and run jobs: always on SQLite;
    /// on PostgreSQL while it holds the leader's lock, checked before each
    /// delivery and each job run.
    pub leader: crate::db::leadership::Leader,
}

impl App {
    /// A handler context for `guild`, at the clock's now.
    pub fn ctx<'a>(&'a self, guild: &'a str) -> Ctx<'a> {
        Ctx {
            db: &self.db,
            config: &self.config,
            now: self.clock.now(),
            guild,
            key: None,
            answer_to: None,
            post_in: None,
        }
    }

    /// Parses and runs one typed command line.
    pub async fn command_line(&self, guild: &str, who: &Invoker, line: &str) -> Reply {
        self.command_line_posting(guild, who, line, None).await
    }

    /// [`App::command_line`] on the console: a public answer may be posted
    /// in `post_in` by the command's commit.
    pub async fn command_line_posting(
        &self,
        guild: &str,
        who: &Invoker,
        line: &str,
        post_in: Option<&PostedByCommit>,
    ) -> Reply {
        match Command::parse(line, self.config.timezone) {
            Ok(cmd) => self.run_command(guild, who, cmd, post_in).await,
            Err(e) => Reply::Private(crate::chat::Outgoing::text(e.to_string())),
        }
    }

    /// Runs one typed command.
    pub async fn command(&self, guild: &str, who: &Invoker, cmd: Command) -> Reply {
        self.run_command(guild, who, cmd, None).await
    }

    async fn run_command(
        &self,
        guild: &str,
        who: &Invoker,
        cmd: Command,
        post_in: Option<&PostedByCommit>,
    ) -> Reply {
        let ctx = Ctx {
            post_in,
            ..self.ctx(guild)
        };
        let (started, path) = (std::time::Instant::now(), cmd.path());
        let (reply, outcome) = handlers::handle_counted(ctx, who, cmd).await;
        self.telemetry.command(path, outcome, started.elapsed());
        // Only a keyed command can be a duplicate.
        reply.unwrap_or_else(|| Reply::Private(crate::chat::Outgoing::text(crate::render::internal_error())))
    }

    /// Runs one typed command once per `key` (a Discord interaction id): None
    /// when a command with this key changed records before, in any process.
    /// With `answer_to`, a public answer is recorded with the command's
    /// changes, to be sent after a crash until [`crate::db::interactions::taken`].
    pub async fn command_once(
        &self,
        guild: &str,
        who: &Invoker,
        cmd: Command,
        key: &str,
        answer_to: Option<&AnswerTo>,
    ) -> Option<Reply> {
        let ctx = Ctx {
            key: Some(key),
            answer_to,
            ..self.ctx(guild)
        };
        let (started, path) = (std::time::Instant::now(), cmd.path());
        let (reply, outcome) = handlers::handle_counted(ctx, who, cmd).await;
        self.telemetry.command(path, outcome, started.elapsed());
        reply
    }

    /// Takes a reaction added to or removed from a bot message.
    pub async fn reaction(&self, guild: &str, ev: &ReactionEvent) -> anyhow::Result<()> {
        handlers::reaction::reaction(self.ctx(guild), ev).await
    }

    /// Queues `message` for `channel` through the outbox (delivered and
    /// retried like every other post).
    pub async fn post(
        &self,
        guild: &str,
        channel: &str,
        message: &crate::chat::Outgoing,
    ) -> anyhow::Result<()> {
        let mut tx = self.db.begin().await?;
        crate::db::outbox::post(&mut tx, guild, channel, "notice", message, self.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Runs every job of this workspace due now, in due order; returns how many ran.
    pub async fn run_due(&self, chat: &dyn Chat) -> anyhow::Result<usize> {
        // A deposed leader schedules and runs nothing more (here and after
        // each job): the new leader does, once.
        self.leader.check().await?;
        // Window jobs that cannot be made now must not keep the others from running.
        let made = handlers::calendar::materialise(&self.db, &self.config, &self.workspace, self.clock.now());
        match AssertUnwindSafe(made).catch_unwind().await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(
                error = format!("{e:#}"),
                "window announcements not scheduled; retried on the next pass"
            ),
            Err(panic) => tracing::error!(
                error = scheduler::panic_message(&*panic),
                "scheduling window announcements panicked; retried on the next pass"
            ),
        }
        let ports = Ports {
            chat,
            pipelines: self.pipelines.as_deref(),
        };
        let mut n = 0;
        while let Some(ran) =
            scheduler::run_one(&self.db, &self.config, &self.workspace, ports, &*self.clock).await?
        {
            self.telemetry.job(&ran.kind, ran.due_at, ran.started_at);
            n += 1;
            self.leader.check().await?;
        }
        Ok(n)
    }

    /// Delivers this workspace's outbox once.
    pub async fn deliver(
        &self,
        chat: &dyn Chat,
        edit_interval: Duration,
    ) -> anyhow::Result<delivery::Report> {
        let to = delivery::To {
            workspace: &self.workspace,
            chat,
            leader: &self.leader,
        };
        let report = delivery::deliver(&self.db, to, self.clock.now(), edit_interval).await?;
        self.telemetry.delivery_failures(report.failed);
        Ok(report)
    }

    /// Recounts every open poll and every survey of this workspace of a release in early life
    /// support from the platform's reactions (after a reconnect, what people
    /// did while the bot was away counts): each gets an immediate count,
    /// which decides a poll only if it is decisive. Returns how many.
    pub async fn recount_reactions(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        Ok(handlers::polls::reconcile(&self.db, &self.workspace, now).await?
            + handlers::survey::reconcile(&self.db, &self.workspace, now).await?)
    }

    /// [`App::settle`], but only when a write queued a message or a job
    /// since the last look ([`crate::db::Db::take_queued`]). For a caller
    /// whose clock stands still between its own calls (the console between
    /// `:advance` lines), where nothing else can fall due: most commands
    /// queue nothing, and the pass would be three queries for nothing.
    pub async fn settle_queued(&self, chat: &dyn Chat, edit_interval: Duration) -> anyhow::Result<()> {
        if !self.db.take_queued() {
            return Ok(());
        }
        self.settle(chat, edit_interval).await?;
        // What the pass itself queued, it also delivered or ran.
        self.db.take_queued();
        Ok(())
    }

    /// Delivers and runs jobs until nothing more is due now (jobs can queue
    /// messages, and messages are what jobs read back).
    pub async fn settle(&self, chat: &dyn Chat, edit_interval: Duration) -> anyhow::Result<()> {
        loop {
            self.deliver(chat, edit_interval).await?;
            // Only jobs make new work (messages, more jobs); deliveries do not.
            if self.run_due(chat).await? == 0 {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chat adapters run these on multi-threaded runtimes: they must be `Send`.
    #[allow(dead_code)]
    fn futures_are_send(app: &App, chat: &dyn Chat, who: &Invoker, ev: &ReactionEvent) {
        fn send<T: Send>(_: T) {}
        send(app.command_line("g", who, "/rfc list"));
        send(app.reaction("g", ev));
        send(app.settle(chat, Duration::zero()));
        send(app.recount_reactions());
    }
}
