//! `/release`: the release record through its lifecycle.

use super::edit::{next_revision, settle_rfcs, shape};
use super::{apply, audit, check, load_release, refuse, Ctx, Handled, Invoker, Reply, Tell};
use crate::db;
use crate::domain::audit::Fact;
use crate::domain::happened::Happened;
use crate::domain::ids::{RecordId, RecordKind};
use crate::domain::records::{Plan, Release};
use crate::domain::release::{Event, Lifecycle, ReleaseState};
use crate::domain::rfc::RfcStatus;
use crate::render;
use semver::Version;

mod stages;

pub use stages::{authorize, build, prepare, test};

/// What `/release new` gives.
pub struct NewRelease {
    /// Name.
    pub name: String,
    /// Version.
    pub version: Version,
    /// RFCs.
    pub rfcs: Vec<RecordId>,
    /// Target environments (default from config).
    pub environments: Option<Vec<String>>,
}

/// `/release new`: opens a release for open RFCs.
pub async fn new(ctx: Ctx<'_>, who: &Invoker, n: NewRelease) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut rfcs = Vec::new();
    for id in &n.rfcs {
        match db::rfcs::get(&mut tx, ctx.guild, id.n).await? {
            None => return refuse(render::not_found(*id)),
            Some(r) if !r.status.can_join_release() => {
                return refuse(render::refusal::rfc_not_open(*id, r.status))
            }
            Some(r) => rfcs.push(r),
        }
    }
    let (emergency, environments) = shape(ctx, &rfcs, n.environments.as_deref())?;
    let number = db::sequences::next(&mut tx, ctx.guild, RecordKind::Release.sequence()).await?;
    let mut release = Release {
        row: 0,
        number,
        name: n.name,
        version: n.version.to_string(),
        emergency,
        plan: Plan::default(),
        environments,
        lifecycle: Lifecycle {
            state: ReleaseState::Planning,
            revision: 1,
            test_runs: 0,
        },
        manager: who.actor.id.clone(),
        manager_name: who.actor.name.clone(),
        submitter: None,
        validation: None,
        training: None,
        builds: 0,
        baseline_hash: None,
        booking: None,
        handover: None,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    release.row = db::releases::insert(&mut tx, ctx.guild, &release).await?;
    for rfc in &rfcs {
        db::releases::link_rfc(&mut tx, ctx.guild, release.row, rfc.row).await?;
        db::rfcs::set_status(&mut tx, ctx.guild, rfc.row, RfcStatus::InRelease).await?;
        audit(
            &mut tx,
            ctx,
            &who.actor,
            rfc.rid(),
            "rfc.status",
            Some("open".into()),
            Some(Fact::status_in("in-release", release.rid()).into()),
        );
    }
    let summary = render::summary::release_opened(&release);
    audit(
        &mut tx,
        ctx,
        &who.actor,
        release.rid(),
        "release.new",
        None,
        Some(summary.into()),
    );
    ctx.commit(tx, Reply::Public(render::release_created(&release, &rfcs)))
        .await
}

/// `/release plan`: in Planning only; the plan is what the CAB votes on.
pub async fn plan(
    ctx: Ctx<'_>,
    who: &Invoker,
    id: RecordId,
    scope: Option<String>,
    backout: Option<String>,
    acceptance: Option<String>,
) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    check(ctx, &release, &Event::UpdatePlan)?;
    let before = render::summary::plan(&release.plan);
    let revision = next_revision(&mut tx, ctx.guild, &release).await?;
    if revision != release.lifecycle.revision {
        audit(
            &mut tx,
            ctx,
            &who.actor,
            id,
            "release.revision",
            Some(release.lifecycle.revision.to_string().into()),
            Some(revision.to_string().into()),
        );
        release.lifecycle.revision = revision;
    }
    let mut changed = Vec::new();
    if let Some(s) = scope {
        release.plan.scope = Some(s);
        changed.push("scope");
    }
    if let Some(b) = backout {
        release.plan.backout = Some(b);
        changed.push("back-out plan");
    }
    if let Some(a) = acceptance {
        release.plan.acceptance = Some(a);
        changed.push("acceptance criteria");
    }
    release.updated_at = ctx.now;
    db::releases::save(&mut tx, ctx.guild, &release).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "release.plan",
        Some(before.into()),
        Some(render::summary::plan(&release.plan).into()),
    );
    ctx.commit(tx, Reply::Public(render::plan_updated(&release, &changed)))
        .await
}

/// `/release cancel`: before deployment; RFCs become open again and an open poll closes.
pub async fn cancel(ctx: Ctx<'_>, who: &Invoker, id: RecordId, reason: Option<String>) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    let what = Happened::Cancelled { reason };
    apply(
        &mut tx,
        ctx,
        &who.actor,
        &mut release,
        Event::Cancel,
        Tell::Subscribers {
            what: &what,
            said_in: Some(&who.channel),
        },
    )
    .await?;
    super::polls::cancel_open_poll(&mut tx, ctx, &who.actor, &release).await?;
    settle_rfcs(&mut tx, ctx, &who.actor, &release, RfcStatus::Open).await?;
    ctx.commit(
        tx,
        Reply::Public(render::state_changed(&release, &what, &who.actor.name)),
    )
    .await
}

/// `/release show`: state, history, next allowed steps.
pub async fn show(ctx: Ctx<'_>, id: RecordId) -> Handled {
    let mut conn = ctx.db.pool.acquire().await?;
    let Some(release) = db::releases::get(&mut conn, ctx.guild, id.n).await? else {
        return refuse(render::not_found(id));
    };
    let rfcs = db::rfcs::for_release(&mut conn, ctx.guild, release.row).await?;
    let history = db::audit::for_record(&mut conn, ctx.guild, &id.to_string()).await?;
    let deployments = db::deployments::for_release(&mut conn, ctx.guild, release.row).await?;
    let incidents = db::incidents::list(&mut conn, ctx.guild, Some(release.row)).await?;
    let bot = super::system_actor().name;
    let record = render::Record {
        rfcs: &rfcs,
        history: &history,
        deployments: &deployments,
        incidents: &incidents,
        bot: &bot,
        tz: ctx.config.timezone,
    };
    Ok(Reply::Private(render::release_show(&release, record)))
}

/// `/release list`.
pub async fn list(ctx: Ctx<'_>, state: Option<String>) -> Handled {
    let mut conn = ctx.db.pool.acquire().await?;
    let releases = db::releases::list(&mut conn, ctx.guild, state.as_deref()).await?;
    Ok(Reply::Private(render::release_list(&releases)))
}

/// `/release notes`.
pub async fn notes(ctx: Ctx<'_>, id: RecordId) -> Handled {
    let mut conn = ctx.db.pool.acquire().await?;
    let Some(release) = db::releases::get(&mut conn, ctx.guild, id.n).await? else {
        return refuse(render::not_found(id));
    };
    let rfcs = db::rfcs::for_release(&mut conn, ctx.guild, release.row).await?;
    let items = db::packages::items(&mut conn, ctx.guild, release.row).await?;
    let known = db::incidents::known_errors(&mut conn, ctx.guild, release.row).await?;
    let deployments = db::deployments::for_release(&mut conn, ctx.guild, release.row).await?;
    Ok(Reply::Private(render::release_notes(
        &release,
        &rfcs,
        &items,
        &known,
        &deployments,
        ctx.config.timezone,
    )))
}
