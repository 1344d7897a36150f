//! Who hears of an event: subscribers and the people told by role, once
//! each, never the person who caused it.

use super::Ctx;
use crate::chat::Outgoing;
use crate::db::{self, Tx};
use crate::domain::records::{Actor, Release};
use crate::render;

/// Who hears of one event besides its subscribers' channels.
pub struct Audience<'a> {
    /// The channel where the same news is already being said.
    pub said_in: Option<&'a str>,
    /// Whoever caused the event: not told of their own action.
    pub actor: Option<&'a str>,
    /// People told by role in their own words (the release manager, a
    /// requester); they get that message and not the common one.
    pub personal: Vec<(String, Outgoing)>,
}

impl<'a> Audience<'a> {
    /// An event caused by `actor`, already said in `said_in`.
    pub fn by(actor: &'a Actor, said_in: Option<&'a str>) -> Self {
        Audience {
            said_in,
            actor: Some(&actor.id),
            personal: vec![],
        }
    }

    /// An event the bot caused by itself (a deadline, a window).
    pub fn system(said_in: Option<&'a str>) -> Self {
        Audience {
            said_in,
            actor: None,
            personal: vec![],
        }
    }

    /// Also tells `user` directly, in `message`.
    pub fn also(mut self, user: &str, message: &Outgoing) -> Self {
        self.personal.push((user.to_string(), message.clone()));
        self
    }
}

/// Queues `message` to the release's subscribers and the audience's people:
/// one message per person and per channel, none to the actor, and direct
/// messages without command hints (they are not where commands are typed).
pub async fn notify(
    tx: &mut Tx,
    ctx: Ctx<'_>,
    release: &Release,
    message: &Outgoing,
    audience: Audience<'_>,
) -> anyhow::Result<()> {
    use crate::domain::governance::{personal, recipients, Sub, Via};
    let subs: Vec<Sub> = db::subscriptions::for_release(tx, ctx.guild, release.number)
        .await?
        .into_iter()
        .map(|s| Sub {
            dm: s.via == Via::Dm,
            user: s.user,
            channel: s.channel,
        })
        .collect();
    let candidates: Vec<String> = audience.personal.iter().map(|(u, _)| u.clone()).collect();
    let told = personal(&candidates, audience.actor);
    let to = recipients(&subs, audience.said_in, audience.actor, &told);
    for channel in &to.channels {
        db::outbox::post(tx, ctx.guild, channel, "notice", message, ctx.now).await?;
    }
    for user in &to.dms {
        db::outbox::dm(tx, ctx.guild, user, "notice", &render::direct(message), ctx.now).await?;
    }
    for user in &told {
        if let Some((_, m)) = audience.personal.iter().find(|(u, _)| u == user) {
            db::outbox::dm(tx, ctx.guild, user, "notice", &render::direct(m), ctx.now).await?;
        }
    }
    Ok(())
}
