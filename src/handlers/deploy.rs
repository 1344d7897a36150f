//! `/deploy`: plan, start, step, back out, verify; and `/audit record`.

use super::{
    apply, audit, check, load_release, notify, refuse, Audience, Ctx, Failure, Handled, Invoker, Reply, Tell,
};
use crate::db::{self, Tx};
use crate::domain::calendar::Gate;
use crate::domain::deployment::{self, Step, StepOutcome};
use crate::domain::ids::RecordId;
use crate::domain::package::{self, Discrepancy};
use crate::domain::readiness::StateBlock;
use crate::domain::records::{Actor, Deployment, Release};
use crate::domain::release::{Event, Refusal, ReleaseState};
use crate::render::{self, deploy as words};
use serde::{Deserialize, Serialize};

/// The job kind that ends early life support.
pub const ELS_JOB: &str = "els-end";

/// The payload of an ELS-end job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ElsJob {
    /// The release's row id.
    pub release: i64,
}

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
                        what: "re-planned after the back-out",
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
        Some(format!("{env} attempt {}: {} steps", d.attempt, d.steps.len())),
    );
    tx.commit().await?;
    Ok(Reply::Public(words::planned(&release, &d)))
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
        Err(StateBlock::Refused(refusal)) => return refuse(render::refusal(id, refusal)),
        Err(StateBlock::NotATarget) => return refuse(render::refusal::not_a_target(&release, &env)),
    }
    let Some(mut d) = assessed.planned else {
        return refuse(render::refusal(id, &Refusal::DeploymentNotPlanned { env }));
    };
    match r.gate {
        Gate::Open { .. } => {}
        Gate::Emergency {
            outside_window,
            freeze,
        } => {
            let mut what = Vec::new();
            if outside_window {
                what.push("outside any release window".to_string());
            }
            if let Some(f) = freeze {
                what.push(format!("inside the freeze {f}"));
            }
            d.bypass = Some(format!("started {}", what.join(" and ")));
        }
        Gate::Closed { reason } => {
            let e = super::readiness::gate_error(reason, &env, ctx.now);
            return refuse(render::refusal::gate_closed(
                id,
                &env,
                &render::calendar::error(&e, tz),
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
            what: &format!("deployment to {env} started"),
            said_in: Some(&who.channel),
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
        let note = words::emergency(&release, &env, b);
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
        Some(format!(
            "{env} attempt {}{}",
            d.attempt,
            d.bypass.as_ref().map(|b| format!(" — {b}")).unwrap_or_default()
        )),
    );
    tx.commit().await?;
    Ok(Reply::Public(render::state_changed(
        &release,
        &format!(
            "deployment to {env} started (progress in #{})",
            ctx.config.channels.deployments
        ),
        &who.actor.name,
    )))
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

/// `/deploy step`: the progress message is edited in place; a failure backs out.
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
        Some(format!(
            "{env} step {n} {}{}",
            if failed { "failed" } else { "done" },
            note.as_ref().map(|x| format!(": {x}")).unwrap_or_default()
        )),
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
                    what: &format!("all deployment steps done in {env}"),
                    said_in: Some(&who.channel),
                },
            )
            .await?;
        }
        StepOutcome::Failed => {
            let reason = format!(
                "step {n} ({}) failed{}",
                d.steps[n as usize - 1].title,
                note.map(|x| format!(": {x}")).unwrap_or_default()
            );
            back_out(&mut tx, ctx, &who.actor, &mut release, &mut d, &reason).await?;
        }
    }
    db::deployments::save(&mut tx, ctx.guild, &d).await?;
    show_progress(&mut tx, ctx, &release, &d).await?;
    tx.commit().await?;
    Ok(Reply::Public(match outcome {
        StepOutcome::Failed => render::state_changed(
            &release,
            &format!("step {n} failed: backed out of {env}"),
            &who.actor.name,
        ),
        _ => words::step_recorded(&release, &d, n),
    }))
}

/// Backs a deployment out: state, lock, the back-out plan posted, people told.
async fn back_out(
    tx: &mut Tx,
    ctx: Ctx<'_>,
    actor: &Actor,
    release: &mut Release,
    d: &mut Deployment,
    reason: &str,
) -> Result<(), Failure> {
    apply(
        tx,
        ctx,
        actor,
        release,
        Event::BackOut { env: d.env.clone() },
        Tell::Nobody,
    )
    .await?;
    d.outcome = Some("backed-out".into());
    d.finished_at = Some(ctx.now);
    d.notes = Some(reason.to_string());
    db::deployments::unlock(tx, ctx.guild, d.row).await?;
    let notice = words::backed_out(release, &d.env, reason, &actor.name);
    db::outbox::post(
        tx,
        ctx.guild,
        &ctx.config.channels.deployments,
        "notice",
        &notice,
        ctx.now,
    )
    .await?;
    let audience =
        Audience::by(actor, Some(&ctx.config.channels.deployments)).also(&release.manager, &notice);
    notify(tx, ctx, release, &notice, audience).await?;
    audit(
        tx,
        ctx,
        actor,
        release.rid(),
        "deployment.backout",
        None,
        Some(format!("{}: {reason}", d.env)),
    );
    Ok(())
}

/// `/deploy backout`.
pub async fn backout(ctx: Ctx<'_>, who: &Invoker, id: RecordId, env: String, reason: String) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    let env = env_of(&release, &env)?.clone();
    check(ctx, &release, &Event::BackOut { env: env.clone() })?;
    let mut d = if matches!(release.lifecycle.state, ReleaseState::EarlyLifeSupport { .. }) {
        // Production verified, then failed in early life: its verified deployment is what is backed out.
        match db::deployments::latest(&mut tx, ctx.guild, release.row, &env).await? {
            Some(d) if d.started_at.is_some() => d,
            _ => return refuse(render::refusal::nothing_running(&release, &env)),
        }
    } else {
        running(&mut tx, ctx.guild, &release, &env).await?
    };
    back_out(&mut tx, ctx, &who.actor, &mut release, &mut d, &reason).await?;
    db::deployments::save(&mut tx, ctx.guild, &d).await?;
    show_progress(&mut tx, ctx, &release, &d).await?;
    tx.commit().await?;
    Ok(Reply::Public(render::state_changed(
        &release,
        &format!("backed out of {env}"),
        &who.actor.name,
    )))
}

/// `/deploy verify`: confirmed moves on (next environment, or early life
/// support with a survey); issues found back the deployment out, with the
/// back-out plan shown and stakeholders told, as `/deploy backout` does.
pub async fn verify(
    ctx: Ctx<'_>,
    who: &Invoker,
    id: RecordId,
    env: String,
    confirmed: bool,
    notes: Option<String>,
) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    let env = env_of(&release, &env)?.clone();
    check(
        ctx,
        &release,
        &Event::Verify {
            env: env.clone(),
            confirmed,
        },
    )?;
    let mut d = running(&mut tx, ctx.guild, &release, &env).await?;
    if !confirmed {
        let issues = words::issues_found(notes.as_deref());
        audit(
            &mut tx,
            ctx,
            &who.actor,
            id,
            "deployment.verify",
            None,
            Some(format!("{env}: issues — {issues}")),
        );
        let reason = words::backed_out_by_verification(issues);
        back_out(&mut tx, ctx, &who.actor, &mut release, &mut d, &reason).await?;
        db::deployments::save(&mut tx, ctx.guild, &d).await?;
        show_progress(&mut tx, ctx, &release, &d).await?;
        tx.commit().await?;
        return Ok(Reply::Public(render::state_changed(
            &release,
            &format!("backed out of {env}: {reason}"),
            &who.actor.name,
        )));
    }
    d.outcome = Some("verified".into());
    d.finished_at = Some(ctx.now);
    d.notes = notes.clone().or(d.notes);
    db::deployments::unlock(&mut tx, ctx.guild, d.row).await?;
    db::deployments::save(&mut tx, ctx.guild, &d).await?;
    apply(
        &mut tx,
        ctx,
        &who.actor,
        &mut release,
        Event::Verify {
            env: env.clone(),
            confirmed: true,
        },
        Tell::Subscribers {
            what: &format!("deployment to {env} verified"),
            said_in: Some(&who.channel),
        },
    )
    .await?;
    show_progress(&mut tx, ctx, &release, &d).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "deployment.verify",
        None,
        Some(format!(
            "{env}: confirmed{}",
            notes.map(|n| format!(" — {n}")).unwrap_or_default()
        )),
    );
    if let ReleaseState::EarlyLifeSupport { until } = release.lifecycle.state {
        let survey = db::outbox::post(
            &mut tx,
            ctx.guild,
            &ctx.config.channels.announcements,
            &crate::domain::survey::Purpose::Survey(release.row).key(),
            &words::survey(&release),
            ctx.now,
        )
        .await?;
        for e in crate::domain::survey::EMOJI {
            db::outbox::react(&mut tx, ctx.guild, survey, e, ctx.now).await?;
        }
        let payload = serde_json::json!({ "release": release.row }).to_string();
        db::jobs::schedule(
            &mut tx,
            ctx.guild,
            ELS_JOB,
            // Keyed by its end too: after a back-out in early life support a
            // new deployment starts a new early life support, with its own end.
            &format!("{ELS_JOB}:{}:{}", release.row, db::ts(until)),
            until,
            &payload,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Reply::Public(render::state_changed(
        &release,
        &format!("deployment to {env} verified"),
        &who.actor.name,
    )))
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

/// The ELS-end job: the reminder with the incident summary.
pub async fn els_end(ctx: Ctx<'_>, job_id: i64, job: &ElsJob) -> anyhow::Result<()> {
    let mut tx = ctx.begin().await?;
    if !db::jobs::finish(&mut tx, job_id, ctx.now).await? {
        return Ok(());
    }
    let release = db::releases::by_row(&mut tx, ctx.guild, job.release).await?;
    // The end of an earlier early life support (backed out since) is not this one's.
    if matches!(release.lifecycle.state, ReleaseState::EarlyLifeSupport { until } if until <= ctx.now) {
        let incidents = db::incidents::list(&mut tx, ctx.guild, Some(release.row)).await?;
        let known = db::incidents::known_errors(&mut tx, ctx.guild, release.row).await?;
        let note = words::els_ended(&release, &incidents, &known);
        db::outbox::post(
            &mut tx,
            ctx.guild,
            &ctx.config.channels.announcements,
            "notice",
            &note,
            ctx.now,
        )
        .await?;
        let audience =
            Audience::system(Some(&ctx.config.channels.announcements)).also(&release.manager, &note);
        notify(&mut tx, ctx, &release, &note, audience).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `/audit record`: what is deployed against the baseline; each difference is a defect.
pub async fn audit_record(
    ctx: Ctx<'_>,
    who: &Invoker,
    id: RecordId,
    env: String,
    found: Vec<(String, semver::Version)>,
) -> Handled {
    let mut tx = ctx.begin().await?;
    let release = load_release(&mut tx, ctx, id).await?;
    let env = env_of(&release, &env)?.clone();
    if release.baseline_hash.is_none() {
        return refuse(render::refusal::no_baseline_to_audit(id));
    }
    let deployments = db::deployments::for_release(&mut tx, ctx.guild, release.row).await?;
    if !crate::domain::governance::deployed_to(&deployments, &env) {
        return refuse(render::governance::not_deployed(id, &env));
    }
    let items = db::packages::items(&mut tx, ctx.guild, release.row).await?;
    let discrepancies = package::audit(&items, &found);
    let defects: Vec<db::incidents::ConfigDefect> = discrepancies
        .iter()
        .map(|d| match d {
            Discrepancy::Missing { item, expected } => db::incidents::ConfigDefect {
                item: item.clone(),
                kind: "missing",
                expected: Some(expected.to_string()),
                found: None,
            },
            Discrepancy::Extra { item, found } => db::incidents::ConfigDefect {
                item: item.clone(),
                kind: "extra",
                expected: None,
                found: Some(found.to_string()),
            },
            Discrepancy::OtherVersion {
                item,
                expected,
                found,
            } => db::incidents::ConfigDefect {
                item: item.clone(),
                kind: "other-version",
                expected: Some(expected.to_string()),
                found: Some(found.to_string()),
            },
        })
        .collect();
    db::incidents::add_config_defects(
        &mut tx,
        ctx.guild,
        release.row,
        &env,
        &defects,
        &who.actor.id,
        ctx.now,
    )
    .await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "audit.record",
        None,
        Some(format!("{env}: {} defect(s)", defects.len())),
    );
    tx.commit().await?;
    Ok(Reply::Public(words::audit_result(&release, &env, &discrepancies)))
}
