//! Handlers: load records, apply a domain rule, save the result with its
//! audit entries and outgoing messages in one transaction, say what happened.
//! They never talk to a chat platform.

mod access;
mod answer;
pub mod autocomplete;
pub mod calendar;
pub mod deploy;
pub mod edit;
pub mod gate;
pub mod governance;
pub mod incident;
mod notice;
pub mod package;
pub mod polls;
pub mod reaction;
pub mod readiness;
pub mod release;
pub mod report;
pub mod rfc;
mod route;
pub mod subscribe;
pub mod survey;
pub mod workflow;

use crate::chat::Outgoing;
use crate::command::spec::Registry;
use crate::command::Command;
use crate::config::Config;
use crate::db::{self, Db, Tx};
use crate::domain::audit::AuditEntry;
use crate::domain::audit::AuditValue;
use crate::domain::happened::Happened;
use crate::domain::ids::RecordId;
use crate::domain::records::{Actor, Release};
use crate::domain::release::{transition, Event, Facts, Lifecycle};
use crate::render;
use crate::telemetry::Outcome;
pub use answer::{AnswerTo, PostedByCommit};
use chrono::{DateTime, Duration, Utc};
pub use notice::{notify, Audience};

/// A reaction added or removed on a bot message.
#[derive(Debug, Clone)]
pub struct ReactionEvent {
    /// The platform's id of the message.
    pub message: String,
    /// The message's channel (a message id alone may be unique only within it).
    pub channel: String,
    /// Who reacted.
    pub user: String,
    /// Their name.
    pub name: String,
    /// Their ITIL roles now.
    pub roles: crate::domain::roles::Roles,
    /// The emoji.
    pub emoji: String,
    /// Added (true) or removed.
    pub added: bool,
    /// The bot's own reaction.
    pub bot: bool,
}

impl ReactionEvent {
    /// Where the reacted-to message lives.
    pub fn at(&self) -> crate::chat::Posted {
        crate::chat::Posted {
            channel: self.channel.clone(),
            id: self.message.clone(),
        }
    }
}

/// What every handler works with.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The database.
    pub db: &'a Db,
    /// The configuration.
    pub config: &'a Config,
    /// Now, from the clock.
    pub now: DateTime<Utc>,
    /// The guild (workspace) the records belong to.
    pub guild: &'a str,
    /// The idempotency key of the command being run (a Discord interaction
    /// id), claimed in its write transaction so a duplicate changes nothing.
    pub key: Option<&'a str>,
    /// Where the keyed command's answer can still be sent after a crash;
    /// None where the platform cannot answer late (the console, the API).
    pub answer_to: Option<&'a AnswerTo>,
    /// Where a platform whose messages are rows of this database (the
    /// console) has a public answer posted by the command's commit.
    pub post_in: Option<&'a PostedByCommit>,
}

impl Ctx<'_> {
    /// Starts the write transaction of the command, claiming its key first:
    /// a key already claimed fails with [`db::interactions::Duplicate`].
    pub async fn begin(&self) -> anyhow::Result<Tx> {
        match self.key {
            Some(key) => db::interactions::begin_claiming(self.db, key, self.now).await,
            None => self.db.begin().await,
        }
    }

    /// Commits the command's transaction and answers with `reply`. A public
    /// answer (a record changed) to a keyed command is recorded by the same
    /// commit, so a crash before the platform took it is made up for after
    /// the restart, without a write of its own. Private answers are not:
    /// nothing changed that a lost one would hide. On the console a public
    /// answer is posted by the same commit ([`PostedByCommit`]).
    pub async fn commit(&self, mut tx: Tx, reply: Reply) -> Handled {
        if let (Reply::Public(m), Some(key), Some(to)) = (&reply, self.key, self.answer_to) {
            db::interactions::record(&mut tx, key, &to.token, self.guild, &to.channel, m);
        }
        // Not after queued messages or jobs: the answer comes after theirs.
        let post = match (&reply, self.post_in) {
            (Reply::Public(m), Some(at)) if !tx.has_queued() => (at.text)(m).map(|text| {
                db::console::post_by_commit(&mut tx, &at.channel, &text);
                at
            }),
            _ => None,
        };
        let id = tx.commit_posting().await?;
        if let Some(at) = post {
            at.posted(id);
        }
        Ok(reply)
    }
}

/// Who typed a command, and where.
#[derive(Debug, Clone)]
pub struct Invoker {
    /// The person.
    pub actor: Actor,
    /// The channel it was typed in.
    pub channel: String,
}

/// The answer to a command.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Shown in the channel: a record changed.
    Public(Outgoing),
    /// Shown only to the person: refusals, errors, personal views.
    Private(Outgoing),
}

/// Why a command did not go through.
#[derive(Debug)]
pub enum Failure {
    /// Shown to the user as written; nothing changed.
    User(String),
    /// Logged; the user gets a generic answer; nothing changed.
    Internal(anyhow::Error),
    /// The command's key was claimed before: it was carried out already.
    Duplicate,
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        if e.is::<db::interactions::Duplicate>() {
            Failure::Duplicate
        } else {
            Failure::Internal(e)
        }
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::Internal(e.into())
    }
}

/// A handler's result.
pub type Handled = Result<Reply, Failure>;

/// A user error.
pub fn refuse<T>(msg: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::User(msg.into()))
}

/// Runs one command for one person: permission first (default deny), then
/// its handler. None when the context's key was claimed before (a duplicate).
pub async fn handle(ctx: Ctx<'_>, who: &Invoker, cmd: Command) -> Option<Reply> {
    handle_counted(ctx, who, cmd).await.0
}

/// [`handle`], with how it ended (for the process's measures).
pub async fn handle_counted(ctx: Ctx<'_>, who: &Invoker, cmd: Command) -> (Option<Reply>, Outcome) {
    use tracing::Instrument;
    let span = tracing::info_span!("command", command = cmd.path(), actor = %who.actor.id, guild = ctx.guild);
    checked(ctx, who, cmd).instrument(span).await
}

async fn checked(ctx: Ctx<'_>, who: &Invoker, cmd: Command) -> (Option<Reply>, Outcome) {
    let path = cmd.path();
    let access = Registry::get()
        .leaves()
        .into_iter()
        .find(|l| l.path() == path)
        .and_then(|l| l.access());
    if let Some(refusal) = access::refusal(path, access.as_ref(), &who.actor.roles) {
        return (Some(Reply::Private(Outgoing::text(refusal))), Outcome::Denied);
    }
    let result = route::route(ctx, who, cmd).await;
    let (reply, outcome) = match result {
        Ok(reply @ Reply::Public(_)) => (reply, Outcome::Changed),
        Ok(reply) => (reply, Outcome::Answered),
        Err(Failure::User(msg)) => (Reply::Private(Outgoing::text(msg)), Outcome::Refused),
        Err(Failure::Internal(e)) => {
            tracing::error!(error = format!("{e:#}"), "command failed");
            let words = Outgoing::text(render::internal_error());
            (Reply::Private(words), Outcome::Failed)
        }
        Err(Failure::Duplicate) => {
            tracing::info!(key = ctx.key, "duplicate command ignored");
            return (None, Outcome::Duplicate);
        }
    };
    (Some(reply), outcome)
}

/// Loads a release or says there is none.
pub async fn load_release(tx: &mut Tx, ctx: Ctx<'_>, id: RecordId) -> Result<Release, Failure> {
    match db::releases::get(tx, ctx.guild, id.n).await? {
        Some(r) => Ok(r),
        None => refuse(render::not_found(id)),
    }
}

/// Writes one audit entry for `who` in the transaction (with its commit).
pub fn audit(
    tx: &mut Tx,
    ctx: Ctx<'_>,
    actor: &Actor,
    record: impl ToString,
    action: &str,
    before: Option<AuditValue>,
    after: Option<AuditValue>,
) {
    let e = AuditEntry {
        at: ctx.now,
        actor: actor.id.clone(),
        actor_name: actor.name.clone(),
        record: record.to_string(),
        action: action.to_string(),
        before,
        after,
    };
    db::audit::append(tx, ctx.guild, e);
}

/// The actor for things the bot does by itself (poll deadlines, windows).
pub fn system_actor() -> Actor {
    Actor {
        id: "release-desk".into(),
        name: "release-desk".into(),
        roles: Default::default(),
    }
}

/// The facts a lifecycle transition of `release` depends on, now.
/// `planned`: whether the deployment the event is about has a plan to start.
pub fn facts<'r>(ctx: Ctx<'_>, release: &'r Release, planned: bool) -> Facts<'r> {
    Facts {
        environments: &release.environments,
        missing_plan: release.plan.missing(),
        baselined: release.baseline_hash.is_some(),
        deployment_planned: planned,
        now: ctx.now,
        els: Duration::days(ctx.config.els_days),
        emergency: release.emergency,
        reviewed: false,
        blocking_incidents: vec![],
    }
}

/// Checks a lifecycle event without applying it.
pub fn check(ctx: Ctx<'_>, release: &Release, event: &Event) -> Result<Lifecycle, Failure> {
    transition(&release.lifecycle, event, &facts(ctx, release, true))
        .map_err(|r| Failure::User(render::refusal(release.rid(), &r, ctx.config.timezone)))
}

/// Who hears of a state change besides the audit trail.
pub enum Tell<'a> {
    /// Subscribers, with what happened, except in the channel where it is already said.
    Subscribers {
        /// What happened (render words it: "build 2 recorded").
        what: &'a Happened,
        /// The channel already told.
        said_in: Option<&'a str>,
    },
    /// Nobody: the caller announces it in its own words.
    Nobody,
}

/// Applies a lifecycle event: refuses with the reason, or saves the new
/// state with its audit entry (and tells subscribers when asked to).
pub async fn apply(
    tx: &mut Tx,
    ctx: Ctx<'_>,
    actor: &Actor,
    release: &mut Release,
    event: Event,
    tell: Tell<'_>,
) -> Result<(), Failure> {
    let f = facts(ctx, release, true);
    let next = transition(&release.lifecycle, &event, &f)
        .map_err(|r| Failure::User(render::refusal(release.rid(), &r, ctx.config.timezone)))?;
    save_transition(tx, ctx, actor, release, next, &event, tell).await
}

/// As [`apply`], with facts the caller gathered (a close needs the incidents and reviews).
pub async fn apply_with(
    tx: &mut Tx,
    ctx: Ctx<'_>,
    actor: &Actor,
    release: &mut Release,
    event: Event,
    tell: Tell<'_>,
    f: &Facts<'_>,
) -> Result<(), Failure> {
    let next = transition(&release.lifecycle, &event, f)
        .map_err(|r| Failure::User(render::refusal(release.rid(), &r, ctx.config.timezone)))?;
    save_transition(tx, ctx, actor, release, next, &event, tell).await
}

async fn save_transition(
    tx: &mut Tx,
    ctx: Ctx<'_>,
    actor: &Actor,
    release: &mut Release,
    next: Lifecycle,
    event: &Event,
    tell: Tell<'_>,
) -> Result<(), Failure> {
    let before = release.lifecycle.state.to_string();
    release.lifecycle = next;
    release.updated_at = ctx.now;
    db::releases::save(tx, ctx.guild, release).await?;
    let after = release.lifecycle.state.to_string();
    let action = format!("release.{}", action_name(event));
    audit(
        tx,
        ctx,
        actor,
        release.rid(),
        &action,
        Some(before.clone().into()),
        Some(after.clone().into()),
    );
    if let Tell::Subscribers { what, said_in } = tell {
        if before != after {
            let message = render::state_changed(release, what, &actor.name);
            notify(tx, ctx, release, &message, Audience::by(actor, said_in)).await?;
        }
    }
    Ok(())
}

fn action_name(e: &Event) -> &'static str {
    match e {
        Event::UpdatePlan => "plan",
        Event::Submit => "submit",
        Event::CabApproved => "cab-approved",
        Event::CabRejected => "cab-rejected",
        Event::CabExpired => "cab-expired",
        Event::Edit => "edit",
        Event::Recall => "recall",
        Event::Decide { .. } => "decide",
        Event::Prepare => "prepare",
        Event::Build => "build",
        Event::Test { .. } => "test",
        Event::Authorize { .. } => "authorize",
        Event::Cancel => "cancel",
        Event::PlanDeployment { .. } => "deploy-plan",
        Event::StartDeployment { .. } => "deploy-start",
        Event::StepsDone { .. } => "deploy-steps-done",
        Event::BackOut { .. } => "deploy-backout",
        Event::Verify { .. } => "deploy-verify",
        Event::Close { .. } => "close",
        Event::PreApprove => "pre-approved",
        Event::Review => "review",
    }
}
