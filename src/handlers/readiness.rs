//! Readiness: what `/deploy start` and the readiness API both ask before a
//! deployment starts, loaded once and decided by [`crate::domain::readiness`].

use super::{facts, Ctx};
use crate::db;
use crate::db::Conn;
use crate::domain::calendar::Gate;
use crate::domain::readiness::{self, Readiness, Situation};
use crate::domain::records::{Deployment, Release};
use crate::render;

/// A release's readiness for an environment, with the plan waiting to start.
pub struct Assessed {
    /// The checks.
    pub readiness: Readiness,
    /// The planned, not yet started deployment to the environment.
    pub planned: Option<Deployment>,
}

/// Loads the plan, the calendar and the lock of `env`, and evaluates.
pub async fn assess(conn: &mut Conn, ctx: Ctx<'_>, release: &Release, env: &str) -> anyhow::Result<Assessed> {
    let planned = db::deployments::latest(conn, ctx.guild, release.row, env)
        .await?
        .filter(|d| d.started_at.is_none());
    let calendar = super::calendar::load(conn, ctx.config, ctx.guild, ctx.now).await?;
    let mine = planned.as_ref().map(|d| d.row);
    let lock_holder = db::deployments::lock_holder(conn, ctx.guild, env)
        .await?
        .filter(|h| Some(*h) != mine);
    let f = facts(ctx, release, planned.is_some());
    let readiness = readiness::evaluate(&Situation {
        release,
        env,
        facts: &f,
        calendar: &calendar,
        lock_holder,
        now: ctx.now,
    });
    Ok(Assessed { readiness, planned })
}

/// A readiness with each check's detail in words, in the order of the checks.
pub struct Explained {
    /// The checks.
    pub readiness: Readiness,
    /// One detail per check.
    pub details: Vec<String>,
}

impl Explained {
    /// `check: detail` of each failing check.
    pub fn failing(&self) -> Vec<String> {
        self.readiness
            .checks
            .iter()
            .zip(&self.details)
            .filter(|(c, _)| !c.ok)
            .map(|(c, d)| format!("{}: {d}", c.kind.key()))
            .collect()
    }
}

/// [`assess`], with the words of every check: the gate's and the lock's
/// refusals exactly as `/deploy start` gives them.
pub async fn explain(
    conn: &mut Conn,
    ctx: Ctx<'_>,
    release: &Release,
    env: &str,
) -> anyhow::Result<Explained> {
    let readiness = assess(conn, ctx, release, env).await?.readiness;
    let calendar = match &readiness.gate {
        Gate::Closed { reason } => Some(reason.clone()),
        _ => None,
    };
    let lock = match readiness.lock_holder {
        Some(h) => Some(locked(conn, ctx, env, h).await?),
        None => None,
    };
    let details = readiness
        .checks
        .iter()
        .map(|c| {
            render::readiness::detail(
                c.kind,
                &readiness,
                release,
                env,
                calendar.as_ref(),
                lock.as_deref(),
                ctx.config.timezone,
            )
        })
        .collect();
    Ok(Explained { readiness, details })
}

/// The release's own spelling of `env` when it targets it, else `env` as asked.
pub fn env_name(release: &Release, env: &str) -> String {
    release
        .environments
        .iter()
        .find(|e| e.eq_ignore_ascii_case(env))
        .cloned()
        .unwrap_or_else(|| env.trim().to_string())
}

/// What the refusal says about the deployment holding `env`.
pub async fn locked(
    tx: &mut crate::db::Conn,
    ctx: Ctx<'_>,
    env: &str,
    holder: i64,
) -> anyhow::Result<String> {
    let other = db::deployments::by_row(tx, ctx.guild, holder).await?;
    let other_release = db::releases::by_row(tx, ctx.guild, other.release_row).await?;
    Ok(render::refusal::env_locked(
        env,
        &other_release,
        &other,
        ctx.config.timezone,
    ))
}
