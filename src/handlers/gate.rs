//! Answers to outside pipelines (GitHub, GitLab), as persisted jobs: a
//! decision is recorded (audit, announcement, the answer to send) in one
//! transaction; the answer job sends it through [`Pipelines`], retried until
//! it goes; a wait for an opening is a job due at the opening that decides
//! again then. A restart catches up on both. The sending itself is the HTTP
//! adapter's: the scheduler is handed a [`Pipelines`] and names no adapter.

use crate::db::{self, Tx};
use crate::domain::audit::Fact;
use crate::domain::gate::{self, Decision};
use crate::domain::records::{Actor, Release};
use crate::handlers::{self, audit, Ctx};
use crate::render::gate as words;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The job that sends one answer.
pub const ANSWER_JOB: &str = "gate-answer";
/// The job that decides again when a window opens.
pub const OPENING_JOB: &str = "gate-opening";

/// Where an answer goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "lowercase")]
pub enum Target {
    /// A GitHub deployment protection rule.
    Github {
        /// The App installation whose token answers.
        installation: i64,
        /// `deployment_callback_url`.
        callback_url: String,
        /// The GitHub environment's name.
        environment: String,
    },
    /// A GitLab deployment waiting for approval.
    Gitlab {
        /// The project id.
        project: i64,
        /// The deployment id.
        deployment: i64,
    },
}

impl Target {
    /// The provider's name, as announced.
    pub fn provider(&self) -> &'static str {
        match self {
            Target::Github { .. } => "GitHub",
            Target::Gitlab { .. } => "GitLab",
        }
    }
}

/// An answer to send.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    /// Where.
    pub target: Target,
    /// `approved` or `rejected`; None: a status comment only.
    pub state: Option<String>,
    /// Why.
    pub comment: String,
}

/// A wait for an opening.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Waiting {
    /// Where the answer goes.
    pub target: Target,
    /// The release's number.
    pub release: i64,
    /// The desk's environment.
    pub env: String,
    /// The deployment's ref, as asked.
    pub git_ref: String,
    /// The delivery that asked (keys the jobs).
    pub source: String,
}

/// What a pipeline asked about.
pub struct Asked<'a> {
    /// Where the answer goes.
    pub target: Target,
    /// The environment, as the pipeline names it.
    pub env: &'a str,
    /// The deployment's ref.
    pub git_ref: &'a str,
    /// A unique key of the request (provider and delivery id).
    pub source: &'a str,
}

fn actor(t: &Target) -> Actor {
    let name = t.provider();
    Actor {
        id: name.to_lowercase(),
        name: name.to_string(),
        roles: Default::default(),
    }
}

/// Decides for the release the ref names (none: rejected) and records the
/// decision in `tx`: its audit entry, its announcement in the deployments
/// channel, the answer job and, when waiting, the job at the opening.
/// Returns the decision and the answer job's key.
pub async fn decide(tx: &mut Tx, ctx: Ctx<'_>, asked: &Asked<'_>) -> anyhow::Result<(Decision, String)> {
    let tz = ctx.config.timezone;
    let release = match gate::version_of(asked.git_ref, &ctx.config.github_release_ref) {
        Some(v) => db::releases::by_version(tx, ctx.guild, &v).await?,
        None => None,
    };
    let (decision, env, comment) = match &release {
        None => {
            let why = words::no_release_for(asked.git_ref, &ctx.config.github_release_ref);
            let env = asked.env.to_string();
            (
                Decision::Reject,
                env.clone(),
                words::comment(None, &env, &Decision::Reject, &[why], tz),
            )
        }
        Some(r) => {
            let env = handlers::readiness::env_name(r, asked.env);
            let explained = handlers::readiness::explain(tx, ctx, r, &env).await?;
            let decision = gate::decide(&explained.readiness);
            let comment = words::comment(Some(r), &env, &decision, &explained.failing(), tz);
            (decision, env, comment)
        }
    };
    let key = record(tx, ctx, asked, release.as_ref(), &env, &decision, &comment).await?;
    Ok((decision, key))
}

async fn record(
    tx: &mut Tx,
    ctx: Ctx<'_>,
    asked: &Asked<'_>,
    release: Option<&Release>,
    env: &str,
    decision: &Decision,
    comment: &str,
) -> anyhow::Result<String> {
    let who = actor(&asked.target);
    let record = release
        .map(|r| r.rid().to_string())
        .unwrap_or_else(|| format!("ref:{}", asked.git_ref));
    audit(
        tx,
        ctx,
        &who,
        &record,
        &format!("gate.{}", words::decision_key(decision)),
        None,
        Some(
            Fact::GateAnswer {
                by: who.name.clone(),
                env: env.to_string(),
                git_ref: asked.git_ref.to_string(),
                comment: comment.to_string(),
            }
            .into(),
        ),
    );
    let note = words::announced(
        asked.target.provider(),
        release,
        env,
        asked.git_ref,
        decision,
        comment,
    );
    db::outbox::post(
        tx,
        ctx.guild,
        &ctx.config.channels.deployments,
        "notice",
        &note,
        ctx.now,
    )
    .await?;
    let answer = Answer {
        target: asked.target.clone(),
        state: match decision {
            Decision::Approve => Some("approved".into()),
            Decision::Reject => Some("rejected".into()),
            Decision::Wait(_) => None,
        },
        comment: comment.to_string(),
    };
    let key = format!("{ANSWER_JOB}:{}:{}", asked.source, ctx.now.timestamp());
    db::jobs::schedule(
        tx,
        ctx.guild,
        ANSWER_JOB,
        &key,
        ctx.now,
        &serde_json::to_string(&answer)?,
    )
    .await?;
    if let (Decision::Wait(opening), Some(r)) = (decision, release) {
        let waiting = Waiting {
            target: asked.target.clone(),
            release: r.number,
            env: env.to_string(),
            git_ref: asked.git_ref.to_string(),
            source: asked.source.to_string(),
        };
        db::jobs::schedule(
            tx,
            ctx.guild,
            OPENING_JOB,
            &format!("{OPENING_JOB}:{}:{}", asked.source, opening.start.timestamp()),
            opening.start,
            &serde_json::to_string(&waiting)?,
        )
        .await?;
    }
    Ok(key)
}

/// Where answers to pipelines go: the providers' APIs (the HTTP adapter's
/// client in the bot; a fake in tests).
#[async_trait]
pub trait Pipelines: Send + Sync {
    /// Sends `answer` to its provider; an error is retried later.
    async fn send(&self, ctx: Ctx<'_>, answer: &Answer) -> anyhow::Result<()>;
}

/// The job at a window's opening: decides again, from the ref as it was
/// asked (the same release), and queues the answer, due at once.
pub async fn opening(ctx: Ctx<'_>, job: &db::jobs::Job) -> anyhow::Result<()> {
    let w: Waiting = serde_json::from_str(&job.payload)?;
    let mut tx = ctx.db.begin().await?;
    if !db::jobs::finish(&mut tx, job.id, ctx.now).await? {
        return Ok(());
    }
    let asked = Asked {
        target: w.target.clone(),
        env: &w.env,
        git_ref: &w.git_ref,
        source: &w.source,
    };
    decide(&mut tx, ctx, &asked).await?;
    tx.commit().await
}

/// The answer job: the answer is taken before it is sent, so two runners
/// never send it twice; one that fails to go is given back, to be retried.
/// Without `pipelines` (a process that cannot reach the providers) it
/// waits, retried, for one that can.
pub async fn answer(
    ctx: Ctx<'_>,
    job: &db::jobs::Job,
    pipelines: Option<&dyn Pipelines>,
) -> anyhow::Result<()> {
    let Some(pipelines) = pipelines else {
        anyhow::bail!("this process sends no answers to pipelines (no client for GitHub or GitLab)");
    };
    let answer: Answer = serde_json::from_str(&job.payload)?;
    if !claim(ctx, job.id).await? {
        return Ok(());
    }
    if let Err(e) = pipelines.send(ctx, &answer).await {
        give_back(ctx, job.id).await?;
        return Err(e);
    }
    Ok(())
}

async fn claim(ctx: Ctx<'_>, id: i64) -> anyhow::Result<bool> {
    let mut tx = ctx.db.begin().await?;
    let taken = db::jobs::finish(&mut tx, id, ctx.now).await?;
    tx.commit().await?;
    Ok(taken)
}

async fn give_back(ctx: Ctx<'_>, id: i64) -> anyhow::Result<()> {
    let mut tx = ctx.db.begin().await?;
    db::gate::reopen(&mut tx, ctx.guild, id).await?;
    tx.commit().await
}

/// Sends the answer job `key` at once rather than at the scheduler's next
/// run; a failure is left to the scheduler's retries.
pub async fn answer_now(ctx: Ctx<'_>, key: &str, pipelines: &dyn Pipelines) {
    let mut conn = match ctx.db.pool.acquire().await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "gate answer deferred to the scheduler");
            return;
        }
    };
    let found = db::gate::open_job(&mut conn, ctx.guild, key).await;
    drop(conn);
    let job = match found {
        Ok(Some(j)) => j,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "gate answer not found");
            return;
        }
    };
    if let Err(e) = answer(ctx, &job, Some(pipelines)).await {
        let retry: DateTime<Utc> = ctx.now + chrono::Duration::seconds(30);
        tracing::warn!(
            key,
            error = format!("{e:#}"),
            "gate answer not sent; it will be retried"
        );
        if let Ok(mut conn) = ctx.db.pool.acquire().await {
            let _ = db::jobs::failed(&mut conn, job.id, &format!("{e:#}"), retry).await;
        }
    }
}
