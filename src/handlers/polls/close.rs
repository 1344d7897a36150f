//! The decision: a poll closed from the platform's count.

use super::*;
use crate::domain::audit::Fact;
use crate::domain::poll::{PollClose, VoteAction};

/// Decides a poll from the platform's reactions (the job `poll-close`). The
/// job is marked done in the same transaction, so the outcome happens once.
pub async fn close(ctx: Ctx<'_>, job_id: i64, poll_id: i64, count: &Count) -> anyhow::Result<()> {
    let mut tx = ctx.begin().await?;
    if !db::jobs::finish(&mut tx, job_id, ctx.now).await? {
        return Ok(());
    }
    let Some(poll) = db::polls::get(&mut tx, ctx.guild, poll_id).await? else {
        tx.commit().await?;
        return Ok(());
    };
    if poll.closed.is_some() {
        tx.commit().await?;
        return Ok(());
    }
    let mut release = db::releases::by_row(&mut tx, ctx.guild, poll.release_row).await?;
    let rfcs = db::rfcs::for_release(&mut tx, ctx.guild, release.row).await?;
    // The platform's reactions, with the votes given as commands that still stand.
    let ledger = db::polls::ledger(&mut tx, ctx.guild, poll.id).await?;
    let ballots = with_command_votes(count.ballots.clone(), &standing(&ledger));
    let final_tally = tally(&ballots, &poll.rules, &own(&poll, &rfcs));
    let deadline_passed = ctx.now >= poll.deadline;
    let Some(outcome) = decide(&final_tally, &poll.rules, deadline_passed) else {
        // Not decided (a recount after a reconnect, or an early decision the
        // platform's count no longer supports): stay open, and bring the
        // ledger to what the platform shows, so the votes cast while the bot
        // was away stay in the live tally and in later early decisions.
        let (recorded, _) = reaction_ballots(&ledger);
        // Who reacted while the platform was being read: the ledger is newer
        // than the count for them.
        let since = db::parse_ts(&db::ts(ctx.now))?;
        let busy: BTreeSet<&str> = ledger
            .iter()
            .filter(|e| e.at >= since)
            .map(|e| e.user.as_str())
            .collect();
        let mut caught_up = 0;
        for e in catch_up(&recorded, count, &final_tally, ctx.now) {
            if !busy.contains(e.user.as_str()) {
                db::polls::record_vote(&mut tx, ctx.guild, poll.id, &e).await?;
                caught_up += 1;
            }
        }
        // A recount that found the ledger right leaves the message alone: it
        // shows that tally already, and edits cost rate limit.
        if caught_up > 0 {
            let body = poll_message(
                ctx,
                &release,
                &rfcs,
                &poll,
                &final_tally,
                None,
                &count.names,
                &ledger,
                &super::reactions::standing_on(&mut tx, ctx, poll.id).await?,
            );
            db::outbox::edit(&mut tx, ctx.guild, poll.message_id, &body, ctx.now).await?;
        }
        schedule_recount(&mut tx, ctx, &poll).await?;
        tx.commit().await?;
        return Ok(());
    };
    for b in &ballots {
        let (counted, reason) = status_of(&final_tally, &b.user);
        for v in &b.votes {
            let e = VoteEvent {
                user: b.user.clone(),
                user_name: count
                    .names
                    .get(&b.user)
                    .cloned()
                    .unwrap_or_else(|| b.user.clone()),
                roles: b.roles.clone(),
                vote: *v,
                action: VoteAction::Count,
                at: ctx.now,
                counted,
                reason: reason.clone(),
                note: None,
            };
            db::polls::record_vote(&mut tx, ctx.guild, poll.id, &e).await?;
        }
    }
    db::polls::close(&mut tx, ctx.guild, poll.id, PollClose::from(&outcome), ctx.now).await?;
    let poll = db::polls::get(&mut tx, ctx.guild, poll.id).await?.unwrap_or(poll);
    let system = system_actor();
    let event = match outcome {
        Outcome::Approved { .. } => Event::CabApproved,
        Outcome::Rejected { .. } => Event::CabRejected,
        Outcome::Expired => Event::CabExpired,
    };
    audit(
        &mut tx,
        ctx,
        &system,
        release.rid(),
        "poll.close",
        Some("open".into()),
        Some(
            Fact::PollClosed {
                close: PollClose::from(&outcome),
                approve: final_tally.approve.len(),
                reject: final_tally.reject.len(),
                abstain: final_tally.abstain.len(),
                ignored: final_tally.ignored.len(),
            }
            .into(),
        ),
    );
    if release.lifecycle.state == ReleaseState::PlanReview {
        apply(&mut tx, ctx, &system, &mut release, event, Tell::Nobody)
            .await
            .map_err(|f| match f {
                crate::handlers::Failure::User(m) => {
                    anyhow::anyhow!("the lifecycle refused the poll outcome: {m}")
                }
                crate::handlers::Failure::Internal(e) => e,
                crate::handlers::Failure::Duplicate => anyhow::anyhow!("a poll close has no idempotency key"),
            })?;
    }
    let body = poll_message(
        ctx,
        &release,
        &rfcs,
        &poll,
        &final_tally,
        Some(&outcome),
        &count.names,
        &ledger,
        &super::reactions::standing_on(&mut tx, ctx, poll.id).await?,
    );
    db::outbox::edit(&mut tx, ctx.guild, poll.message_id, &body, ctx.now).await?;
    let notice = render::poll_outcome(
        &release,
        &outcome,
        &final_tally,
        poll.rules.quorum,
        poll.rules.emergency,
    );
    db::outbox::post(
        &mut tx,
        ctx.guild,
        &poll.notify_channel,
        "notice",
        &notice,
        ctx.now,
    )
    .await?;
    let mut audience = crate::handlers::Audience::system(Some(&poll.notify_channel));
    for rfc in &rfcs {
        let dm = render::requester_decision(&release, rfc, &outcome, poll.rules.emergency);
        audience = audience.also(&rfc.requester, &dm);
    }
    notify(&mut tx, ctx, &release, &notice, audience).await?;
    if outcome == Outcome::Expired {
        let channel = if poll.rules.emergency {
            &ctx.config.channels.ecab
        } else {
            &ctx.config.channels.cab
        };
        let note = render::expired_for_change_managers(&release, &final_tally, poll.rules.quorum);
        db::outbox::post(&mut tx, ctx.guild, channel, "notice", &note, ctx.now).await?;
    }
    tx.commit().await?;
    Ok(())
}
