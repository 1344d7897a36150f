//! `/subscribe` and `/unsubscribe`.

use super::{audit, refuse, Ctx, Handled, Invoker, Reply};
use crate::command::{Target, Via};
use crate::db;
use crate::db::subscriptions::Subscription;
use crate::domain::audit::Fact;
use crate::render;

/// The stored target key, and the target as render words it.
fn keys(target: Target) -> (String, String) {
    let key = match target {
        Target::All => "all".to_string(),
        Target::Release(id) => id.n.to_string(),
    };
    (key, render::subscription_target(target))
}

/// `/subscribe`.
pub async fn subscribe(ctx: Ctx<'_>, who: &Invoker, target: Target, via: Via) -> Handled {
    let mut tx = ctx.begin().await?;
    if let Target::Release(id) = target {
        if db::releases::get(&mut tx, ctx.guild, id.n).await?.is_none() {
            return refuse(render::not_found(id));
        }
    }
    let (key, shown) = keys(target);
    let sub = Subscription {
        user: who.actor.id.clone(),
        user_name: who.actor.name.clone(),
        target: key,
        via,
        channel: who.channel.clone(),
    };
    let new = db::subscriptions::add(&mut tx, ctx.guild, &sub, ctx.now).await?;
    if new {
        audit(
            &mut tx,
            ctx,
            &who.actor,
            format!("subscription:{}", who.actor.id),
            "subscribe",
            None,
            Some(
                Fact::Subscription {
                    to: shown.to_string(),
                    via,
                }
                .into(),
            ),
        );
    }
    ctx.commit(tx, Reply::Private(render::subscribed(&shown, via, new)))
        .await
}

/// `/unsubscribe`.
pub async fn unsubscribe(ctx: Ctx<'_>, who: &Invoker, target: Target, via: Via) -> Handled {
    let mut tx = ctx.begin().await?;
    let (key, shown) = keys(target);
    let existed = db::subscriptions::remove(&mut tx, ctx.guild, &who.actor.id, &key, via).await?;
    if existed {
        audit(
            &mut tx,
            ctx,
            &who.actor,
            format!("subscription:{}", who.actor.id),
            "unsubscribe",
            Some(
                Fact::Subscription {
                    to: shown.to_string(),
                    via,
                }
                .into(),
            ),
            None,
        );
    }
    ctx.commit(tx, Reply::Private(render::unsubscribed(&shown, via, existed)))
        .await
}
