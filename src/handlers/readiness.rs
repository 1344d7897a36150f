//! Readiness: what `/deploy start` and the readiness API both ask before a
//! deployment starts, loaded once and decided by [`crate::domain::readiness`].

use super::{facts, Ctx};
use crate::db;
use crate::domain::readiness::{self, Readiness, Situation};
use crate::domain::records::{Deployment, Release};
use sqlx::SqliteConnection;

/// A release's readiness for an environment, with the plan waiting to start.
pub struct Assessed {
    /// The checks.
    pub readiness: Readiness,
    /// The planned, not yet started deployment to the environment.
    pub planned: Option<Deployment>,
}

/// Loads the plan, the calendar and the lock of `env`, and evaluates.
pub async fn assess(
    conn: &mut SqliteConnection,
    ctx: Ctx<'_>,
    release: &Release,
    env: &str,
) -> anyhow::Result<Assessed> {
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
