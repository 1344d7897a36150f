//! Reactions on a poll that are not votes (✔️, ☑️, 🎉 …): recorded, and
//! listed on the tally as "not a vote" so the person sees they counted for nothing.

use super::{ballots_from_ledger, own, poll_message};
use crate::db::{self, Tx};
use crate::domain::reactions::{standing, Reaction};
use crate::domain::tally::tally;
use crate::handlers::{Ctx, ReactionEvent};

/// Who stands with which non-vote reaction on poll `poll`.
pub(in crate::handlers) async fn standing_on(
    tx: &mut Tx,
    ctx: Ctx<'_>,
    poll: i64,
) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    Ok(standing(&db::reactions::for_poll(tx, ctx.guild, poll).await?))
}

/// A reaction that is no vote on the poll message `message_id`: recorded in
/// its ledger and the message shown again with it; a closed poll keeps its
/// final message.
pub(super) async fn not_a_vote(
    mut tx: Tx,
    ctx: Ctx<'_>,
    message_id: i64,
    ev: &ReactionEvent,
) -> anyhow::Result<()> {
    let Some(poll) = db::polls::by_message(&mut tx, ctx.guild, message_id).await? else {
        return Ok(());
    };
    if poll.closed.is_some() {
        return Ok(());
    }
    let reaction = Reaction {
        user: ev.user.clone(),
        name: ev.name.clone(),
        emoji: ev.emoji.clone(),
        added: ev.added,
    };
    db::reactions::record(&mut tx, ctx.guild, poll.id, &reaction, ctx.now).await?;
    let release = db::releases::by_row(&mut tx, ctx.guild, poll.release_row).await?;
    let rfcs = db::rfcs::for_release(&mut tx, ctx.guild, release.row).await?;
    let ledger = db::polls::ledger(&mut tx, ctx.guild, poll.id).await?;
    let (ballots, names) = ballots_from_ledger(&ledger);
    let live = tally(&ballots, &poll.rules, &own(&poll, &rfcs));
    let not_votes = standing_on(&mut tx, ctx, poll.id).await?;
    let body = poll_message(
        ctx, &release, &rfcs, &poll, &live, None, &names, &ledger, &not_votes,
    );
    db::outbox::edit(&mut tx, ctx.guild, poll.message_id, &body, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}
