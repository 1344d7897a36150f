//! `/deploy`: plan, start, step, back out, verify; and `/audit record`.
//! Early life support lives in `els`, backing out in `backout`, the
//! configuration audit in `audit_record`.

mod audit_record;
mod backout;
mod els;

use crate::domain::audit::Fact;
pub use audit_record::audit_record;
use backout::back_out;
pub use backout::backout;
pub use els::{els_end, verify, ElsJob, ELS_JOB};

use super::{
    apply, audit, check, load_release, notify, refuse, Audience, Ctx, Failure, Handled, Invoker, Reply, Tell,
};
use crate::db::{self, Tx};
use crate::domain::calendar::Gate;
use crate::domain::deployment::{self, Bypass, DeployOutcome, Step, StepOutcome};
use crate::domain::happened::Happened;
use crate::domain::ids::RecordId;
use crate::domain::package::{self, Discrepancy};
use crate::domain::readiness::StateBlock;
use crate::domain::records::{Actor, Deployment, Release};
use crate::domain::release::{Event, Refusal, ReleaseState};
use crate::render::{self, deploy as words};

fn env_of<'r>(release: &'r Release, env: &str) -> Result<&'r String, Failure> {
    release
        .environments
        .iter()
        .find(|e| e.eq_ignore_ascii_case(env))
        .ok_or_else(|| Failure::User(render::refusal::not_a_target(release, env)))
}

/// `/deploy plan`: steps (default from config) and risks for the environment the release is at.
pub async fn plan(
    ctx: Ctx<'_>,
    who: &Invoker,
    id: RecordId,
    env: String,
    risks: Option<String>,
    steps: Option<Vec<String>>,
) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    let env = env_of(&release, &env)?.clone();
    let previous = db::deployments::latest(&mut tx, ctx.guild, release.row, &env).await?;
    let replan = matches!(release.lifecycle.state, ReleaseState::BackedOut { .. });
    let titles = steps.unwrap_or_else(|| ctx.config.deployment_steps.clone());
    let mut d = Deployment {
        row: 0,
        release_row: release.row,
        env: env.clone(),
        attempt: 1,
        risks,
        steps: titles.into_iter().map(Step::pending).collect(),
        planned_by: who.actor.id.clone(),
        planned_at: ctx.now,
        started_by: None,
        started_at: None,
        finished_at: None,
        outcome: None,
        notes: None,
        bypass: None,
        message_id: None,
    };
    match previous {
        // A plan not started yet is replaced in place; a finished attempt gets a successor.
        Some(p) if p.started_at.is_none() => {
            check(ctx, &release, &Event::PlanDeployment { env: env.clone() })?;
            d.row = p.row;
            d.attempt = p.attempt;
            db::deployments::save(&mut tx, ctx.guild, &d).await?;
        }
        previous => {
            d.attempt = previous.map_or(1, |p| p.attempt + 1);
            if replan {
                apply(
                    &mut tx,
                    ctx,
                    &who.actor,
                    &mut release,
                    Event::PlanDeployment { env: env.clone() },
                    Tell::Subscribers {
                        what: &Happened::Replanned,
                        said_in: Some(&who.channel),
                    },
                )
                .await?;
            } else {
                check(ctx, &release, &Event::PlanDeployment { env: env.clone() })?;
            }
            d.row = db::deployments::insert(&mut tx, ctx.guild, &d).await?;
        }
    }
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "deployment.plan",
        None,
        Some(
            Fact::DeployPlanned {
                env: env.to_string(),
                attempt: d.attempt,
                steps: d.steps.len(),
            }
            .into(),
        ),
    );
    ctx.commit(tx, Reply::Public(words::planned(&release, &d))).await
}

/// `/deploy start`: the calendar gate, the environment lock, the progress message.
pub async fn start(ctx: Ctx<'_>, who: &Invoker, id: RecordId, env: String) -> Handled {
    let tz = ctx.config.timezone;
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    let env = env_of(&release, &env)?.clone();
    // The same readiness the API reports; refusals keep the order they always had.
    let assessed = super::readiness::assess(&mut tx, ctx, &release, &env).await?;
    let r = assessed.readiness;
    match &r.state {
        Ok(()) => {}
        Err(StateBlock::Refused(refusal)) => {
            return refuse(render::refusal(id, refusal, ctx.config.timezone))
        }
        Err(StateBlock::NotATarget) => return refuse(render::refusal::not_a_target(&release, &env)),
    }
    let Some(mut d) = assessed.planned else {
        return refuse(render::refusal(
            id,
            &Refusal::DeploymentNotPlanned { env },
            ctx.config.timezone,
        ));
    };
    match r.gate {
        Gate::Open { .. } => {}
        Gate::Emergency {
            outside_window,
            freeze,
        } => {
            d.bypass = Some(Bypass::Rules {
                outside_window,
                freeze,
            });
        }
        Gate::Closed { reason } => {
            return refuse(render::refusal::gate_closed(
                id,
                &env,
                &render::calendar::error(&reason, tz),
            ));
        }
    }
    if let Some(holder) = r.lock_holder {
        return refuse(super::readiness::locked(&mut tx, ctx, &env, holder).await?);
    }
    // Taken in this transaction; a holder here means one started since the check.
    if let Some(holder) = db::deployments::lock(&mut tx, ctx.guild, &env, d.row, ctx.now).await? {
        return refuse(super::readiness::locked(&mut tx, ctx, &env, holder).await?);
    }
    d.started_by = Some(who.actor.name.clone());
    d.started_at = Some(ctx.now);
    apply(
        &mut tx,
        ctx,
        &who.actor,
        &mut release,
        Event::StartDeployment { env: env.clone() },
        Tell::Subscribers {
            what: &Happened::DeploymentStarted {
                env: env.clone(),
                progress_in: None,
            },
            said_in: Some(&ctx.config.channels.deployments),
        },
    )
    .await?;
    let message = words::progress(&release, &d, ctx.now, tz);
    d.message_id = Some(
        db::outbox::post(
            &mut tx,
            ctx.guild,
            &ctx.config.channels.deployments,
            "deployment",
            &message,
            ctx.now,
        )
        .await?,
    );
    db::deployments::save(&mut tx, ctx.guild, &d).await?;
    if let Some(b) = &d.bypass {
        let note = words::emergency(&release, &env, &words::bypass(b));
        db::outbox::post(
            &mut tx,
            ctx.guild,
            &ctx.config.channels.announcements,
            "notice",
            &note,
            ctx.now,
        )
        .await?;
    }
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "deployment.start",
        None,
        Some(
            Fact::DeployStarted {
                env: env.to_string(),
                attempt: d.attempt,
                bypass: d.bypass.clone(),
            }
            .into(),
        ),
    );
    // The progress message says it in #deployments; the actor gets a private answer.
    let reply = Reply::Private(render::state_changed(
        &release,
        &Happened::DeploymentStarted {
            env,
            progress_in: Some(ctx.config.channels.deployments.clone()),
        },
        &who.actor.name,
    ));
    ctx.commit(tx, reply).await
}

async fn running(tx: &mut Tx, guild: &str, release: &Release, env: &str) -> Result<Deployment, Failure> {
    match db::deployments::latest(tx, guild, release.row, env).await? {
        Some(d) if d.started_at.is_some() && d.outcome.is_none() => Ok(d),
        _ => refuse(render::refusal::nothing_running(release, env)),
    }
}

async fn show_progress(tx: &mut Tx, ctx: Ctx<'_>, release: &Release, d: &Deployment) -> anyhow::Result<()> {
    if let Some(m) = d.message_id {
        db::outbox::edit(
            tx,
            ctx.guild,
            m,
            &words::progress(release, d, ctx.now, ctx.config.timezone),
            ctx.now,
        )
        .await?;
    }
    Ok(())
}

/// `/deploy step`: the progress message is edited in place and the actor answered privately; a failure backs out.
pub async fn step(
    ctx: Ctx<'_>,
    who: &Invoker,
    id: RecordId,
    env: String,
    n: u32,
    failed: bool,
    note: Option<String>,
) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    let env = env_of(&release, &env)?.clone();
    if release.lifecycle.state != (ReleaseState::Deploying { env: env.clone() }) {
        check(ctx, &release, &Event::StepsDone { env: env.clone() })?;
    }
    let mut d = running(&mut tx, ctx.guild, &release, &env).await?;
    let outcome = deployment::record(&mut d.steps, n, failed, &who.actor.name, ctx.now, note.clone())
        .map_err(|e| Failure::User(words::step_error(&e)))?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "deployment.step",
        None,
        Some(
            Fact::DeployStep {
                env: env.to_string(),
                step: n,
                failed,
                note: note.clone(),
            }
            .into(),
        ),
    );
    match outcome {
        StepOutcome::Progress => {}
        StepOutcome::AllDone => {
            apply(
                &mut tx,
                ctx,
                &who.actor,
                &mut release,
                Event::StepsDone { env: env.clone() },
                Tell::Subscribers {
                    what: &Happened::StepsDone { env: env.clone() },
                    said_in: Some(&ctx.config.channels.deployments),
                },
            )
            .await?;
        }
        StepOutcome::Failed => {
            let reason = words::step_failed(n, &d.steps[n as usize - 1].title, note.as_deref());
            back_out(&mut tx, ctx, &who.actor, &mut release, &mut d, &reason).await?;
        }
    }
    db::deployments::save(&mut tx, ctx.guild, &d).await?;
    show_progress(&mut tx, ctx, &release, &d).await?;
    ctx.commit(
        tx,
        Reply::Private(match outcome {
            StepOutcome::Failed => {
                render::state_changed(&release, &Happened::StepFailed { step: n, env }, &who.actor.name)
            }
            _ => words::step_recorded(&release, &d, n),
        }),
    )
    .await
}

/// `/deploy status`.
pub async fn status(ctx: Ctx<'_>, id: RecordId, env: Option<String>) -> Handled {
    let mut conn = ctx.db.pool.acquire().await?;
    let Some(release) = db::releases::get(&mut conn, ctx.guild, id.n).await? else {
        return refuse(render::not_found(id));
    };
    let deployments = db::deployments::for_release(&mut conn, ctx.guild, release.row).await?;
    Ok(Reply::Private(words::status(
        &release,
        &deployments,
        env.as_deref(),
        ctx.config.timezone,
    )))
}
