//! Early life support: `/deploy verify` starting it, and the job that ends it.

use super::*;
use crate::domain::audit::Fact;
use serde::{Deserialize, Serialize};

/// The job kind that ends early life support.
pub const ELS_JOB: &str = "els-end";

/// The payload of an ELS-end job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ElsJob {
    /// The release's row id.
    pub release: i64,
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
            Some(
                Fact::Issues {
                    env: env.to_string(),
                    issues: issues.to_string(),
                }
                .into(),
            ),
        );
        let reason = words::backed_out_by_verification(issues);
        back_out(&mut tx, ctx, &who.actor, &mut release, &mut d, &reason).await?;
        db::deployments::save(&mut tx, ctx.guild, &d).await?;
        show_progress(&mut tx, ctx, &release, &d).await?;
        let reply = Reply::Private(render::state_changed(
            &release,
            &Happened::BackedOut {
                env,
                reason: Some(reason),
            },
            &who.actor.name,
        ));
        return ctx.commit(tx, reply).await;
    }
    d.outcome = Some(DeployOutcome::Verified);
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
            what: &Happened::Verified { env: env.clone() },
            said_in: Some(&ctx.config.channels.deployments),
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
        Some(
            Fact::Confirmed {
                env: env.to_string(),
                notes,
            }
            .into(),
        ),
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
    ctx.commit(
        tx,
        Reply::Private(render::state_changed(
            &release,
            &Happened::Verified { env },
            &who.actor.name,
        )),
    )
    .await
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
