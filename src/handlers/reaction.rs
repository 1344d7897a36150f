//! A reaction on a bot message, routed by what the message is for: a
//! vote on a poll, an answer to a survey.

use super::Ctx;
pub use super::ReactionEvent;
use crate::db;
use crate::domain::survey::Purpose;

/// Takes a reaction added to or removed from a bot message; the bot's own,
/// and those on messages that are not a poll or a survey, change nothing.
pub async fn reaction(ctx: Ctx<'_>, ev: &ReactionEvent) -> anyhow::Result<()> {
    if ev.bot {
        return Ok(());
    }
    let mut tx = ctx.begin().await?;
    let Some((message_id, purpose)) = db::outbox::by_platform_id(&mut tx, ctx.guild, &ev.at()).await? else {
        return Ok(());
    };
    match Purpose::parse(&purpose) {
        Purpose::Survey(release) => super::survey::answer(tx, ctx, message_id, release, ev).await,
        Purpose::Poll => super::polls::vote(tx, ctx, message_id, ev).await,
        Purpose::Other(_) => Ok(()),
    }
}
