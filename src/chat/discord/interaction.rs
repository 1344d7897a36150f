//! An application-command interaction → the same checked [`Invocation`]
//! and typed [`Command`] the console parses, and the answer back: visible
//! for a record change, ephemeral for refusals, errors and personal views.

use super::chat::{already_acknowledged, classify};
use super::render;
use crate::chat::ChatError;
use crate::chat::Outgoing;
use crate::command::parse::{check_options, resolve, Invocation, ParseError};
use crate::command::spec::Registry;
use crate::command::Command;
use crate::config::Config;
use crate::domain::records::Actor;
use crate::handlers::{Invoker, Reply};
use serenity::all::{
    CommandData, CommandDataOption, CommandDataOptionValue, CommandInteraction, CreateInteractionResponse,
    Http,
};
use std::time::{Duration, Instant};

/// The subcommand named, and the options as text, as the console would read them.
pub fn raw_options(data: &CommandData) -> (Option<String>, Vec<(String, String)>) {
    fn values(opts: &[CommandDataOption]) -> Vec<(String, String)> {
        opts.iter()
            .filter_map(|o| {
                let v = match &o.value {
                    CommandDataOptionValue::String(s) => s.clone(),
                    CommandDataOptionValue::Integer(i) => i.to_string(),
                    CommandDataOptionValue::Number(n) => n.to_string(),
                    CommandDataOptionValue::Boolean(b) => b.to_string(),
                    CommandDataOptionValue::Autocomplete { value, .. } => value.clone(),
                    _ => return None,
                };
                Some((o.name.clone(), v))
            })
            .collect()
    }
    for o in &data.options {
        if let CommandDataOptionValue::SubCommand(inner) = &o.value {
            return (Some(o.name.clone()), values(inner));
        }
    }
    (None, values(&data.options))
}

/// The checked invocation.
pub fn invocation(data: &CommandData) -> Result<Invocation, ParseError> {
    let (sub, raw) = raw_options(data);
    let leaf = resolve(Registry::get(), &data.name, sub.as_deref())?;
    check_options(leaf, raw)
}

/// Who ran it: the member's roles map to ITIL roles through the config.
/// None outside a guild.
pub fn invoker(config: &Config, ci: &CommandInteraction) -> Option<Invoker> {
    let member = ci.member.as_deref()?;
    let roles: Vec<String> = member.roles.iter().map(|r| r.get().to_string()).collect();
    Some(Invoker {
        actor: Actor {
            id: ci.user.id.get().to_string(),
            name: member.display_name().to_string(),
            roles: config.itil_roles(roles.iter().map(String::as_str)),
        },
        channel: ci.channel_id.get().to_string(),
    })
}

/// What to run, or the private answer explaining why not.
pub fn prepare(config: &Config, ci: &CommandInteraction) -> Result<(Invoker, Command), Outgoing> {
    let who = invoker(config, ci)
        .ok_or_else(|| Outgoing::text("release-desk works in a server channel, not in direct messages."))?;
    let inv = invocation(&ci.data).map_err(|e| Outgoing::text(e.to_string()))?;
    let cmd = Command::from_invocation(&inv, config.timezone).map_err(|e| Outgoing::text(e.to_string()))?;
    Ok((who, cmd))
}

/// Sends the answer. After a deferral ("thinking…", visible) a public
/// answer replaces it; a private one removes it and follows up ephemerally.
/// What may pass on a second try (429, 5xx, network) is retried while the
/// interaction lasts (`began`: when its work started).
pub async fn respond(
    http: &Http,
    ci: &CommandInteraction,
    reply: &Reply,
    deferred: bool,
    began: Instant,
) -> Result<(), ChatError> {
    let retry = Retry::new(deferred, began);
    match (reply, deferred) {
        (Reply::Public(m) | Reply::Private(m), false) => {
            let private = matches!(reply, Reply::Private(_));
            retry
                .run(|| {
                    ci.create_response(
                        http,
                        CreateInteractionResponse::Message(render::interaction_message(m, private)),
                    )
                })
                .await
        }
        (Reply::Public(m), true) => {
            retry
                .run(|| async {
                    ci.edit_response(http, render::interaction_edit(m))
                        .await
                        .map(|_| ())
                })
                .await
        }
        (Reply::Private(m), true) => {
            let sent = retry
                .run(|| async {
                    ci.create_followup(http, render::followup(m, true))
                        .await
                        .map(|_| ())
                })
                .await;
            // "thinking…" goes either way: left, it would wait for an answer forever.
            let removed = retry.run(|| ci.delete_response(http)).await;
            sent.and(removed)
        }
    }
}

/// How long an answer is retried: a first answer must reach Discord within
/// 3 s of the interaction, a deferred one may come for 15 minutes.
struct Retry {
    began: Instant,
    first_wait: Duration,
    until: Duration,
}

impl Retry {
    fn new(deferred: bool, began: Instant) -> Retry {
        if deferred {
            Retry {
                began,
                first_wait: Duration::from_secs(1),
                until: Duration::from_secs(60),
            }
        } else {
            Retry {
                began,
                first_wait: Duration::from_millis(100),
                until: Duration::from_millis(2800),
            }
        }
    }

    async fn run<F, Fut>(&self, mut send: F) -> Result<(), ChatError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = serenity::Result<()>>,
    {
        let mut wait = self.first_wait;
        loop {
            let e = match send().await {
                Ok(()) => return Ok(()),
                // An earlier try arrived though its answer was lost.
                Err(e) if already_acknowledged(&e) => return Ok(()),
                Err(e) => classify(e),
            };
            if !matches!(e, ChatError::Retry { .. }) || self.began.elapsed() + wait > self.until {
                return Err(e);
            }
            tracing::warn!(error = %e, wait_ms = wait.as_millis() as u64, "answer not accepted; retrying");
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }
}
