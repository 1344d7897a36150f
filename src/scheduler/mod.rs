//! Persisted jobs and outbox delivery. Jobs run once, in due order, at or
//! after their time; after downtime everything that fell due runs on start.

pub mod delivery;

use crate::chat::{Chat, ChatError, Posted, Reactor};
use crate::db::{self, Db};
use crate::domain::tally::Vote;
use crate::handlers::{self, Ctx};
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;

/// Every kind of job, with a handler each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Decide a CAB poll (at its deadline, or early on a decisive vote).
    PollClose,
    /// Announce a release window (ahead, open, close) and record missed windows.
    Window,
    /// Remind that a release's early life support has ended.
    ElsEnd,
    /// Recount a satisfaction survey from the platform (after a reconnect).
    SurveyCount,
    /// Remind a poll's channel how many votes quorum still needs.
    PollRemind,
    /// Send an answer to a gated pipeline (GitHub, GitLab).
    GateAnswer,
    /// Decide a gated pipeline again when its window opens.
    GateOpening,
}

impl JobKind {
    /// Every kind; the registry test checks stored kinds against it.
    pub const ALL: &'static [JobKind] = &[
        JobKind::PollClose,
        JobKind::Window,
        JobKind::ElsEnd,
        JobKind::SurveyCount,
        JobKind::PollRemind,
        JobKind::GateAnswer,
        JobKind::GateOpening,
    ];

    /// The stored name.
    pub fn key(self) -> &'static str {
        match self {
            JobKind::PollClose => handlers::polls::CLOSE_JOB,
            JobKind::Window => handlers::calendar::WINDOW_JOB,
            JobKind::ElsEnd => handlers::deploy::ELS_JOB,
            JobKind::SurveyCount => handlers::survey::COUNT_JOB,
            JobKind::PollRemind => handlers::workflow::REMIND_JOB,
            JobKind::GateAnswer => handlers::gate::ANSWER_JOB,
            JobKind::GateOpening => handlers::gate::OPENING_JOB,
        }
    }

    /// The kind of a stored name.
    pub fn from_key(key: &str) -> Option<JobKind> {
        Self::ALL.iter().copied().find(|k| k.key() == key)
    }
}

/// What stopped a run of jobs early.
#[derive(Debug)]
pub enum Stop {
    /// The platform could not be read; try again later.
    Platform(crate::chat::ChatError),
}

/// A job that ran (or failed and waits for its retry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    /// Its stored kind.
    pub kind: String,
    /// When it was due.
    pub due_at: DateTime<Utc>,
    /// When it was taken.
    pub started_at: DateTime<Utc>,
    /// Whether it succeeded.
    pub ok: bool,
}

/// What a job may need beside the database: the chat platform, and where
/// answers to gated pipelines go (None: those jobs wait, retried).
#[derive(Clone, Copy)]
pub struct Ports<'a> {
    /// The chat platform.
    pub chat: &'a dyn Chat,
    /// The providers' APIs for gate answers.
    pub pipelines: Option<&'a dyn handlers::gate::Pipelines>,
}

/// Runs one due job of `workspace`, if any is due now. Returns None when none was.
pub async fn run_one(
    db: &Db,
    config: &crate::config::Config,
    workspace: &str,
    ports: Ports<'_>,
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<Option<Ran>> {
    let now = clock.now();
    let mut conn = db.pool.acquire().await?;
    let Some(job) = db::jobs::next_due(&mut conn, workspace, now).await? else {
        return Ok(None);
    };
    let mut ran = Ran {
        kind: job.kind.clone(),
        due_at: job.due_at,
        started_at: now,
        ok: true,
    };
    drop(conn);
    let ctx = Ctx {
        db,
        config,
        now,
        guild: &job.guild,
        key: None,
        answer_to: None,
        post_in: None,
    };
    use tracing::Instrument;
    let span = tracing::info_span!("job", kind = %job.kind, key = %job.key);
    // A job that panics is a failed job like any other: the scheduler goes on.
    let result = AssertUnwindSafe(run_job(ctx, ports, &job).instrument(span))
        .catch_unwind()
        .await;
    let error = match result {
        Ok(Ok(())) => return Ok(Some(ran)),
        Ok(Err(e)) => format!("{e:#}"),
        Err(panic) => {
            let error = format!("panicked: {}", panic_message(&*panic));
            tracing::error!(kind = %job.kind, key = %job.key, %error, "job panicked; it will be retried");
            error
        }
    };
    // Its effects rolled back with its transaction; it waits and the jobs
    // due after it run meanwhile. Counted from the failure: a slow one must
    // not be due again at once.
    let retry_at = clock.now() + delivery::backoff(job.attempts, None);
    tracing::warn!(kind = %job.kind, key = %job.key, attempts = job.attempts + 1, %retry_at, %error, "job failed; it will be retried");
    let mut conn = db.pool.acquire().await?;
    db::jobs::failed(&mut conn, job.id, &error, retry_at).await?;
    ran.ok = false;
    Ok(Some(ran))
}

/// The message a panic carried (`panic!` gives a `&str` or a `String`).
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

async fn run_job(ctx: Ctx<'_>, ports: Ports<'_>, job: &db::jobs::Job) -> anyhow::Result<()> {
    let (db, config, now) = (ctx.db, ctx.config, ctx.now);
    let Ports { chat, pipelines } = ports;
    match JobKind::from_key(&job.kind) {
        Some(JobKind::PollClose) => {
            let payload: serde_json::Value = serde_json::from_str(&job.payload)?;
            let poll_id = payload["poll"]
                .as_i64()
                .ok_or_else(|| anyhow::anyhow!("job {} without a poll", job.key))?;
            let mut conn = db.pool.acquire().await?;
            let poll = db::polls::get(&mut conn, ctx.guild, poll_id).await?;
            let at = match &poll {
                Some(p) => db::outbox::location(&mut conn, p.message_id).await?,
                None => None,
            };
            drop(conn);
            let emojis = Vote::ALL.map(|v| v.emoji());
            let read = match &at {
                Some(at) => read_reactions(chat, at, &emojis).await?,
                None => Some(vec![]),
            };
            let count = match read {
                Some(read) => {
                    let reactions: Vec<_> = Vote::ALL.into_iter().zip(read).collect();
                    let roles_of =
                        |chat_roles: &[String]| config.itil_roles(chat_roles.iter().map(String::as_str));
                    handlers::polls::count_from_reactions(&reactions, &roles_of)
                }
                // Waiting would not help: the votes recorded as they were cast decide.
                None => {
                    let mut conn = db.pool.acquire().await?;
                    handlers::polls::count_from_ledger(&mut conn, ctx.guild, poll_id).await?
                }
            };
            handlers::polls::close(ctx, job.id, poll_id, &count).await?;
        }
        Some(JobKind::Window) => {
            let payload: handlers::calendar::WindowJob = serde_json::from_str(&job.payload)?;
            handlers::calendar::announce(ctx, job.id, &payload).await?;
        }
        Some(JobKind::ElsEnd) => {
            let payload: handlers::deploy::ElsJob = serde_json::from_str(&job.payload)?;
            handlers::deploy::els_end(ctx, job.id, &payload).await?;
        }
        Some(JobKind::SurveyCount) => {
            let payload: handlers::survey::CountJob = serde_json::from_str(&job.payload)?;
            let mut conn = db.pool.acquire().await?;
            let at = db::outbox::location(&mut conn, payload.message).await?;
            drop(conn);
            // Unreadable, the answers stay as recorded.
            let reacted = match &at {
                Some(at) => read_reactions(chat, at, &crate::domain::survey::EMOJI)
                    .await?
                    .map(|read| handlers::survey::reacted(&read)),
                None => None,
            };
            handlers::survey::recount(ctx, job.id, &payload, reacted.as_ref()).await?;
        }
        Some(JobKind::PollRemind) => {
            let payload: serde_json::Value = serde_json::from_str(&job.payload)?;
            let poll_id = payload["poll"]
                .as_i64()
                .ok_or_else(|| anyhow::anyhow!("job {} without a poll", job.key))?;
            handlers::workflow::remind(ctx, job.id, poll_id).await?;
        }
        Some(JobKind::GateAnswer) => handlers::gate::answer(ctx, job, pipelines).await?,
        Some(JobKind::GateOpening) => handlers::gate::opening(ctx, job).await?,
        None => {
            tracing::error!(kind = %job.kind, "no handler for this job kind; marking it done so it cannot block the queue");
            let mut conn = db.pool.acquire().await?;
            db::jobs::finish(&mut conn, job.id, now).await?;
        }
    }
    Ok(())
}

/// Who reacted with each of `emojis` on the message at `at`, in order; None
/// when it can no longer be read (deleted, no access), where waiting would
/// not help. A failure that may pass is an error: the job is retried.
async fn read_reactions(
    chat: &dyn Chat,
    at: &Posted,
    emojis: &[&str],
) -> anyhow::Result<Option<Vec<Vec<Reactor>>>> {
    let mut read = Vec::with_capacity(emojis.len());
    for emoji in emojis {
        match chat.reactions(at, emoji).await {
            Ok(who) => read.push(who),
            Err(ChatError::Permanent(why)) => {
                tracing::warn!(error = %why, "cannot read the message's reactions; those recorded as they came stand");
                return Ok(None);
            }
            Err(e) => anyhow::bail!("reading reactions: {e}"),
        }
    }
    Ok(Some(read))
}

/// When the next job of `workspace` falls due.
pub async fn next_due(db: &Db, workspace: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
    let mut conn = db.pool.acquire().await?;
    db::jobs::next_time(&mut conn, workspace).await
}
