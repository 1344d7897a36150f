//! Governance around the lifecycle: pre-approved standard changes at
//! submit, segregation of duties at authorization, the post-implementation
//! review, and the checks and outcome of `/release close`.

use super::{
    apply, apply_with, audit, facts, load_release, refuse, Ctx, Failure, Handled, Invoker, Reply, Tell,
};
use crate::db::{self, Tx};
use crate::domain::governance;
use crate::domain::happened::Happened;
use crate::domain::ids::RecordId;
use crate::domain::records::Release;
use crate::domain::release::{CloseOutcome, Event, Facts};
use crate::domain::rfc::RfcStatus;
use crate::render::{self, governance as words};

/// At `/release submit`: a release of standard RFCs only is pre-approved
/// (no CAB) when `cab.standard_preapproved` is on. Returns the answer when it
/// was; the caller then commits instead of opening a poll.
pub async fn preapprove(
    tx: &mut Tx,
    ctx: Ctx<'_>,
    who: &Invoker,
    release: &mut Release,
) -> Result<Option<Reply>, Failure> {
    let rfcs = db::rfcs::for_release(tx, ctx.guild, release.row).await?;
    let types: Vec<_> = rfcs.iter().map(|r| r.rfc_type).collect();
    if !governance::preapproved(&types, ctx.config.standard_preapproved) {
        return Ok(None);
    }
    release.submitter = Some(who.actor.id.clone());
    let what = Happened::PreApproved {
        rfcs: rfcs.iter().map(|r| r.rid()).collect(),
    };
    apply(
        tx,
        ctx,
        &who.actor,
        release,
        Event::PreApprove,
        Tell::Subscribers {
            what: &what,
            said_in: Some(&who.channel),
        },
    )
    .await?;
    Ok(Some(Reply::Public(render::state_changed(
        release,
        &what,
        &who.actor.name,
    ))))
}

/// At `/release authorize`: refuses an authorizer who manages the release or
/// requested one of its RFCs (`authorization.segregation`), saying why.
pub async fn segregation(tx: &mut Tx, ctx: Ctx<'_>, who: &Invoker, release: &Release) -> Result<(), Failure> {
    let requesters: Vec<(RecordId, String)> = db::rfcs::for_release(tx, ctx.guild, release.row)
        .await?
        .into_iter()
        .map(|r| (r.rid(), r.requester))
        .collect();
    match governance::segregation(
        ctx.config.segregation,
        &who.actor.id,
        &release.manager,
        &requesters,
    ) {
        Some(conflict) => refuse(words::segregation_refused(release.rid(), &conflict)),
        None => Ok(()),
    }
}

/// `/release review`: a post-implementation review, recorded in early life
/// support or after a back-out.
pub async fn review(
    ctx: Ctx<'_>,
    who: &Invoker,
    id: RecordId,
    findings: String,
    actions: Option<String>,
) -> Handled {
    let mut tx = ctx.begin().await?;
    let release = load_release(&mut tx, ctx, id).await?;
    super::check(ctx, &release, &Event::Review)?;
    let review = db::governance::Review {
        findings: findings.clone(),
        actions: actions.clone(),
        reviewer: who.actor.id.clone(),
        reviewer_name: who.actor.name.clone(),
        at: ctx.now,
    };
    db::governance::add_review(&mut tx, ctx.guild, release.row, &review).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "release.review",
        None,
        Some(words::review_summary(&findings, actions.as_deref()).into()),
    );
    ctx.commit(tx, Reply::Public(words::reviewed(&release, &review)))
        .await
}

/// What `/release close` gives.
pub struct CloseArgs {
    /// Handover to operations.
    pub handover: String,
    /// The reason to close before early life support ends.
    pub early: Option<String>,
    /// How the change went.
    pub outcome: CloseOutcome,
}

/// `/release close`: after early life support of the last environment (or
/// early, with a reason), or after a back-out as unsuccessful; refused while
/// a blocking incident is open or a required review is missing.
pub async fn close(ctx: Ctx<'_>, who: &Invoker, id: RecordId, args: CloseArgs) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    let incidents = db::incidents::list(&mut tx, ctx.guild, Some(release.row)).await?;
    let reviewed = db::governance::reviews(&mut tx, ctx.guild, release.row).await? > 0;
    let envs = release.environments.clone();
    let f = Facts {
        environments: &envs,
        blocking_incidents: governance::blocking_incidents(&incidents, ctx.config.block_close_severity),
        reviewed,
        ..facts(ctx, &release, true)
    };
    release.handover = Some(args.handover.clone());
    let what = Happened::Closed {
        outcome: args.outcome,
        early: args.early.clone(),
        handover: args.handover.clone(),
    };
    let event = Event::Close {
        early: args.early.is_some(),
        outcome: args.outcome,
    };
    apply_with(
        &mut tx,
        ctx,
        &who.actor,
        &mut release,
        event,
        Tell::Subscribers {
            what: &what,
            said_in: Some(&who.channel),
        },
        &f,
    )
    .await?;
    db::governance::record_outcome(&mut tx, ctx.guild, release.row, args.outcome, ctx.now).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "release.close-outcome",
        None,
        Some(args.outcome.key().to_string().into()),
    );
    // A failed change was not implemented: its RFCs can go into another release.
    let status = if args.outcome == CloseOutcome::Unsuccessful {
        RfcStatus::Open
    } else {
        RfcStatus::Implemented
    };
    super::edit::settle_rfcs(&mut tx, ctx, &who.actor, &release, status).await?;
    ctx.commit(
        tx,
        Reply::Public(render::state_changed(&release, &what, &who.actor.name)),
    )
    .await
}
