//! `/release prepare`, `build`, `test` and `authorize`: the stages between approval and deployment.

use super::*;
use crate::domain::audit::Fact;

/// `/release prepare`: validation report and training needs (activity 3).
pub async fn prepare(
    ctx: Ctx<'_>,
    who: &Invoker,
    id: RecordId,
    validation: String,
    training: Option<String>,
) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    check(ctx, &release, &Event::Prepare)?;
    release.validation = Some(validation.clone());
    release.training = training.clone();
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "release.preparation",
        None,
        Some(
            Fact::Preparation {
                validation: validation.to_string(),
                training,
            }
            .into(),
        ),
    );
    apply(
        &mut tx,
        ctx,
        &who.actor,
        &mut release,
        Event::Prepare,
        Tell::Subscribers {
            what: &Happened::PreparationRecorded,
            said_in: Some(&who.channel),
        },
    )
    .await?;
    ctx.commit(
        tx,
        Reply::Public(render::state_changed(
            &release,
            &Happened::PreparationRecorded,
            &who.actor.name,
        )),
    )
    .await
}

/// `/release build`: a build of the baselined package (activity 4).
pub async fn build(ctx: Ctx<'_>, who: &Invoker, id: RecordId, notes: Option<String>) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    check(ctx, &release, &Event::Build)?;
    release.builds += 1;
    let what = Happened::BuildRecorded {
        number: release.builds,
    };
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "release.build-recorded",
        None,
        Some(
            Fact::Build {
                number: release.builds,
                notes,
            }
            .into(),
        ),
    );
    apply(
        &mut tx,
        ctx,
        &who.actor,
        &mut release,
        Event::Build,
        Tell::Subscribers {
            what: &what,
            said_in: Some(&who.channel),
        },
    )
    .await?;
    ctx.commit(
        tx,
        Reply::Public(render::state_changed(&release, &what, &who.actor.name)),
    )
    .await
}

/// `/release test`: every run counts; a failure goes back to Building.
pub async fn test(ctx: Ctx<'_>, who: &Invoker, id: RecordId, passed: bool, notes: Option<String>) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    let what = Happened::TestRun {
        run: release.lifecycle.test_runs + 1,
        passed,
        notes,
    };
    apply(
        &mut tx,
        ctx,
        &who.actor,
        &mut release,
        Event::Test { passed },
        Tell::Subscribers {
            what: &what,
            said_in: Some(&who.channel),
        },
    )
    .await?;
    ctx.commit(
        tx,
        Reply::Public(render::state_changed(&release, &what, &who.actor.name)),
    )
    .await
}

/// `/release authorize`: the change manager's decision (activity 7).
pub async fn authorize(
    ctx: Ctx<'_>,
    who: &Invoker,
    id: RecordId,
    approve: bool,
    reason: Option<String>,
) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    super::check(ctx, &release, &Event::Authorize { approved: approve })?;
    if approve {
        crate::handlers::governance::segregation(&mut tx, ctx, who, &release).await?;
    }
    let what = Happened::Authorized {
        approved: approve,
        reason,
    };
    apply(
        &mut tx,
        ctx,
        &who.actor,
        &mut release,
        Event::Authorize { approved: approve },
        Tell::Subscribers {
            what: &what,
            said_in: Some(&who.channel),
        },
    )
    .await?;
    if !approve {
        settle_rfcs(&mut tx, ctx, &who.actor, &release, RfcStatus::Rejected).await?;
    }
    ctx.commit(
        tx,
        Reply::Public(render::state_changed(&release, &what, &who.actor.name)),
    )
    .await
}
