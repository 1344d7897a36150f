//! Backing a deployment out: by `/deploy backout`, a failed step or a
//! verification that found issues.

use super::*;
use crate::domain::audit::Fact;

/// Backs a deployment out: state, lock, the back-out plan posted, people told.
pub(super) async fn back_out(
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
    d.outcome = Some(DeployOutcome::BackedOut);
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
        Some(
            Fact::BackedOut {
                env: d.env.clone(),
                reason: reason.to_string(),
            }
            .into(),
        ),
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
    ctx.commit(
        tx,
        Reply::Private(render::state_changed(
            &release,
            &Happened::BackedOut { env, reason: None },
            &who.actor.name,
        )),
    )
    .await
}
