//! A reaction on a bot message, routed by what the message is for: a
//! vote on a poll, an answer to a survey.

use super::Ctx;
use crate::db;
use crate::domain::roles::Roles;
use crate::domain::survey::Purpose;

/// A reaction added or removed on a bot message.
#[derive(Debug, Clone)]
pub struct ReactionEvent {
    /// The platform's id of the message.
    pub message: String,
    /// The message's channel (a message id alone may be unique only within it).
    pub channel: String,
    /// Who reacted.
    pub user: String,
    /// Their name.
    pub name: String,
    /// Their ITIL roles now.
    pub roles: Roles,
    /// The emoji.
    pub emoji: String,
    /// Added (true) or removed.
    pub added: bool,
    /// The bot's own reaction.
    pub bot: bool,
}

impl ReactionEvent {
    /// Where the reacted-to message lives.
    pub fn at(&self) -> crate::chat::Posted {
        crate::chat::Posted {
            channel: self.channel.clone(),
            id: self.message.clone(),
        }
    }
}

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
