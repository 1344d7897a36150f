//! The CAB workflow around a poll: `/release vote`, `/release recall`,
//! `/release decide` after an expiry, and the reminder before the deadline.

use super::polls::{ballots_from_ledger, own, poll_message, status_of, CLOSE_JOB};
use super::{apply, audit, load_release, notify, refuse, Audience, Ctx, Handled, Invoker, Reply, Tell};
use crate::db::{self};
use crate::domain::audit::Fact;
use crate::domain::ids::RecordId;
use crate::domain::poll::{PollClose, PollDecision, Settled, VoteAction, VoteEvent};
use crate::domain::release::Event;
use crate::domain::tally::{decide as decides, tally, Vote};
use crate::domain::workflow::{may_decide, missing_for_quorum};
use crate::render;

/// The job kind that reminds a poll's channel before its deadline (defined beside the poll it reminds of).
pub use super::polls::REMIND_JOB;

fn settled(ctx: Ctx<'_>, who: &Invoker, reason: Option<String>) -> Settled {
    Settled {
        by: who.actor.id.clone(),
        by_name: who.actor.name.clone(),
        reason,
        at: ctx.now,
    }
}

fn poll_channel(ctx: Ctx<'_>, emergency: bool) -> &str {
    if emergency {
        &ctx.config.channels.ecab
    } else {
        &ctx.config.channels.cab
    }
}

/// `/release vote`: the same vote as a reaction, in the same ledger, under
/// the same eligibility rules; it replaces the voter's earlier vote.
pub async fn vote(ctx: Ctx<'_>, who: &Invoker, id: RecordId, vote: Vote, reason: Option<String>) -> Handled {
    let mut tx = ctx.begin().await?;
    let release = load_release(&mut tx, ctx, id).await?;
    let Some(poll) = db::polls::open_for_release(&mut tx, ctx.guild, release.row).await? else {
        return refuse(render::workflow::no_open_poll(&release));
    };
    let rfcs = db::rfcs::for_release(&mut tx, ctx.guild, release.row).await?;
    let mut ledger = db::polls::ledger(&mut tx, ctx.guild, poll.id).await?;
    let mut event = VoteEvent {
        user: who.actor.id.clone(),
        user_name: who.actor.name.clone(),
        roles: who.actor.roles.clone(),
        vote,
        action: VoteAction::Command,
        at: ctx.now,
        counted: false,
        reason: None,
        note: reason.clone(),
    };
    ledger.push(event.clone());
    let (ballots, names) = ballots_from_ledger(&ledger);
    let live = tally(&ballots, &poll.rules, &own(&poll, &rfcs));
    let (counted, why_not) = status_of(&live, &who.actor.id);
    event.counted = counted;
    event.reason = why_not.clone();
    db::polls::record_vote(&mut tx, ctx.guild, poll.id, &event).await?;
    *ledger.last_mut().expect("just pushed") = event;
    let not_votes = super::polls::not_votes_on(&mut tx, ctx, poll.id).await?;
    let body = poll_message(
        ctx, &release, &rfcs, &poll, &live, None, &names, &ledger, &not_votes,
    );
    db::outbox::edit(&mut tx, ctx.guild, poll.message_id, &body, ctx.now).await?;
    if decides(&live, &poll.rules, false).is_some() {
        let payload = serde_json::json!({ "poll": poll.id }).to_string();
        let key = format!("{CLOSE_JOB}:{}:early:{}", poll.id, ledger.len());
        db::jobs::schedule(&mut tx, ctx.guild, CLOSE_JOB, &key, ctx.now, &payload).await?;
    }
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "poll.vote",
        None,
        Some(
            Fact::Voted {
                vote,
                reason,
                not_counted: why_not.clone(),
            }
            .into(),
        ),
    );
    ctx.commit(
        tx,
        Reply::Private(render::workflow::vote_recorded(
            &release,
            vote,
            counted,
            why_not.as_deref(),
            poll.rules.emergency,
            poll_channel(ctx, poll.rules.emergency),
        )),
    )
    .await
}

/// `/release recall`: withdraws the open poll; the release returns to
/// Planning and may go again as is.
pub async fn recall(ctx: Ctx<'_>, who: &Invoker, id: RecordId, reason: Option<String>) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    let Some(poll) = db::polls::open_for_release(&mut tx, ctx.guild, release.row).await? else {
        return refuse(render::workflow::no_open_poll(&release));
    };
    apply(
        &mut tx,
        ctx,
        &who.actor,
        &mut release,
        Event::Recall,
        Tell::Nobody,
    )
    .await?;
    let by = settled(ctx, who, reason.clone());
    db::polls::close(&mut tx, ctx.guild, poll.id, PollClose::Recalled, ctx.now).await?;
    db::polls::settle(&mut tx, ctx.guild, poll.id, None, &by).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "poll.close",
        Some("open".into()),
        Some(Fact::Recalled { reason }.into()),
    );
    let note = render::workflow::poll_recalled(&release, poll.rules.emergency, &by);
    db::outbox::edit(&mut tx, ctx.guild, poll.message_id, &note, ctx.now).await?;
    let said = render::workflow::recalled(&release, poll.rules.emergency, &by);
    notify(
        &mut tx,
        ctx,
        &release,
        &said,
        Audience::by(&who.actor, Some(&who.channel)),
    )
    .await?;
    ctx.commit(tx, Reply::Public(said)).await
}

/// `/release decide`: a change manager decides the release's latest poll,
/// which expired without quorum (approve → Preparing, reject → Planning).
pub async fn decide(ctx: Ctx<'_>, who: &Invoker, id: RecordId, approve: bool, reason: String) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    let latest = db::polls::latest_for_release(&mut tx, ctx.guild, release.row).await?;
    if let Err(e) = may_decide(latest.as_ref().map(|p| (p.closed.map(|c| c.1), p.decision))) {
        return refuse(render::workflow::decide_refused(id, e));
    }
    let poll = latest.expect("may_decide checked there is one");
    apply(
        &mut tx,
        ctx,
        &who.actor,
        &mut release,
        Event::Decide { approved: approve },
        Tell::Nobody,
    )
    .await?;
    let decision = PollDecision::of(approve);
    let by = settled(ctx, who, Some(reason.clone()));
    if !db::polls::settle(&mut tx, ctx.guild, poll.id, Some(decision), &by).await? {
        return refuse(render::workflow::decide_refused(
            id,
            crate::domain::workflow::DecideRefusal::AlreadyDecided,
        ));
    }
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "poll.decide",
        Some("expired".into()),
        Some(
            Fact::Decided {
                decision,
                reason: reason.clone(),
            }
            .into(),
        ),
    );
    let tz = ctx.config.timezone;
    let body = render::workflow::poll_decided(&release, poll.rules.emergency, approve, &by, tz);
    db::outbox::edit(&mut tx, ctx.guild, poll.message_id, &body, ctx.now).await?;
    let said = render::workflow::decided(&release, approve, &by);
    if poll.notify_channel != who.channel {
        db::outbox::post(&mut tx, ctx.guild, &poll.notify_channel, "notice", &said, ctx.now).await?;
    }
    notify(
        &mut tx,
        ctx,
        &release,
        &said,
        Audience::by(&who.actor, Some(&who.channel)),
    )
    .await?;
    ctx.commit(tx, Reply::Public(said)).await
}

/// The reminder job: if the poll is still open, tells its channel how many
/// votes quorum still needs (no pings). Marked done in the same transaction.
pub async fn remind(ctx: Ctx<'_>, job_id: i64, poll_id: i64) -> anyhow::Result<()> {
    let mut tx = ctx.begin().await?;
    if !db::jobs::finish(&mut tx, job_id, ctx.now).await? {
        return Ok(());
    }
    let Some(poll) = db::polls::get(&mut tx, ctx.guild, poll_id)
        .await?
        .filter(|p| p.closed.is_none())
    else {
        tx.commit().await?;
        return Ok(());
    };
    let release = db::releases::by_row(&mut tx, ctx.guild, poll.release_row).await?;
    let rfcs = db::rfcs::for_release(&mut tx, ctx.guild, release.row).await?;
    let (ballots, _) = ballots_from_ledger(&db::polls::ledger(&mut tx, ctx.guild, poll.id).await?);
    let live = tally(&ballots, &poll.rules, &own(&poll, &rfcs));
    let missing = missing_for_quorum(live.cast(), poll.rules.quorum);
    if missing == 0 {
        // Quorum is there: nothing to remind anyone of.
        tx.commit().await?;
        return Ok(());
    }
    let message = render::workflow::reminder(
        &release,
        poll.rules.emergency,
        missing,
        poll.rules.quorum,
        poll.deadline,
        ctx.config.timezone,
    );
    let channel = poll_channel(ctx, poll.rules.emergency).to_string();
    db::outbox::post(&mut tx, &poll.guild, &channel, "notice", &message, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}
