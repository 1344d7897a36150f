//! What Slack delivered, turned into the service's [`Work`]: the
//! delivery's workspace and channel are checked first (another workspace,
//! or a group DM, is refused and changes nothing), the person's roles are
//! read from their user groups, a slash command or vote runs once per its
//! key, and its answer goes back on the `response_url` (ephemeral for
//! refusals, personal views and votes) or, for a form, `chat.postEphemeral`.

use super::chat::SlackChat;
use super::inbound::{self, Answer, Delivery};
use super::roles::Roles;
use crate::app::App;
use crate::chat::Outgoing;
use crate::command::Command;
use crate::domain::records::Actor;
use crate::handlers::reaction::ReactionEvent;
use crate::handlers::{Invoker, Reply};
use crate::service::Work;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

struct Ctx {
    app: App,
    chat: Arc<SlackChat>,
    roles: Arc<Roles>,
    work: mpsc::UnboundedSender<Work>,
}

/// Hands each delivery on as its own task until the inbound side is gone
/// (Ok) or the service is (an error: nothing would run the work).
pub async fn dispatch(
    app: App,
    chat: Arc<SlackChat>,
    roles: Arc<Roles>,
    mut deliveries: mpsc::UnboundedReceiver<Delivery>,
    work: mpsc::UnboundedSender<Work>,
) -> anyhow::Result<()> {
    let ctx = Arc::new(Ctx {
        app,
        chat,
        roles,
        work,
    });
    while let Some(d) = deliveries.recv().await {
        anyhow::ensure!(!ctx.work.is_closed(), "the service stopped");
        let ctx = ctx.clone();
        tokio::spawn(async move {
            if let Err(e) = handle(&ctx, d).await {
                tracing::error!(error = format!("{e:#}"), "Slack delivery not handled");
            }
        });
    }
    Ok(())
}

impl Ctx {
    fn served(&self, team: &str) -> bool {
        inbound::served(&self.app.workspace, team)
    }

    async fn actor(&self, user: &str) -> anyhow::Result<Actor> {
        let chat_roles = self
            .roles
            .of(&self.chat.session(), user)
            .await
            .map_err(|e| anyhow::anyhow!("reading {user}'s user groups: {e}"))?;
        let name = self.roles.name(&self.chat.session(), user).await;
        Ok(Actor {
            id: user.to_string(),
            name,
            roles: self.app.config.itil_roles(chat_roles.iter().map(String::as_str)),
        })
    }

    /// Runs `cmd` once per `key` through the service; None for a repeat.
    /// With `response_url`, a public answer is recorded with it first, to be
    /// made up for after a restart until [`Ctx::answered`] says Slack took it.
    async fn run(
        &self,
        team: &str,
        key: String,
        who: Invoker,
        cmd: Command,
        response_url: Option<&str>,
    ) -> anyhow::Result<Option<Reply>> {
        let (reply, answer) = oneshot::channel();
        let work = Work::Command {
            guild: team.to_string(),
            key,
            token: response_url.map(str::to_string),
            who,
            cmd,
            reply,
        };
        self.work
            .send(work)
            .map_err(|_| anyhow::anyhow!("the service stopped"))?;
        Ok(answer.await?.0)
    }

    async fn respond(&self, url: &str, reply: &Reply, ephemeral: bool) -> anyhow::Result<()> {
        let mut body = inbound::response(reply);
        if ephemeral {
            body["response_type"] = "ephemeral".into();
        }
        // A button's answer is a message of its own, the poll stays.
        body["replace_original"] = false.into();
        self.chat.respond(url, &body).await
    }
}

impl Ctx {
    /// Slack took the answer to `key`.
    fn answered(&self, key: String) {
        let _ = self.work.send(Work::Answered { key });
    }
}

fn private(text: &str) -> Reply {
    Reply::Private(Outgoing::text(text))
}

async fn handle(ctx: &Ctx, d: Delivery) -> anyhow::Result<()> {
    match d {
        Delivery::Command {
            key,
            team,
            channel,
            channel_name,
            user,
            line,
            response_url,
        } => {
            let reply = if !ctx.served(&team) {
                Some(private(crate::render::form::workspace_not_served()))
            } else if !inbound::channel_served(&channel_name) {
                Some(private(crate::render::form::channel_not_served()))
            } else {
                match Command::parse(&line, ctx.app.config.timezone) {
                    Err(e) => Some(Reply::Private(Outgoing::text(e.to_string()))),
                    Ok(cmd) => {
                        let who = Invoker {
                            actor: ctx.actor(&user).await?,
                            channel,
                        };
                        ctx.run(&team, key.clone(), who, cmd, Some(&response_url)).await?
                    }
                }
            };
            // None: a command with this trigger id ran before; it was answered then.
            let Some(reply) = reply else { return Ok(()) };
            ctx.respond(&response_url, &reply, false).await?;
            if matches!(reply, Reply::Public(_)) {
                ctx.answered(key);
            }
            Ok(())
        }
        Delivery::Vote {
            key,
            team,
            channel,
            user,
            release,
            vote,
            reason,
            answer,
        } => {
            let reply = if !ctx.served(&team) {
                Some(private(crate::render::form::workspace_not_served()))
            } else {
                let who = Invoker {
                    actor: ctx.actor(&user).await?,
                    channel: channel.clone(),
                };
                let cmd = Command::ReleaseVote {
                    id: release,
                    vote,
                    reason,
                };
                ctx.run(&team, key, who, cmd, None).await?
            };
            let Some(reply) = reply else { return Ok(()) };
            match answer {
                Answer::ResponseUrl(url) => ctx.respond(&url, &reply, true).await,
                Answer::Ephemeral => {
                    let (Reply::Public(m) | Reply::Private(m)) = &reply;
                    ctx.chat
                        .ephemeral(&channel, &user, m)
                        .await
                        .map_err(|e| anyhow::anyhow!("chat.postEphemeral: {e}"))
                }
            }
        }
        Delivery::AskReason {
            team,
            channel,
            release,
            trigger,
        } => {
            if !ctx.served(&team) {
                return Ok(());
            }
            ctx.chat
                .open_view(&trigger, &super::blocks::reason_view(release, &channel))
                .await
                .map_err(|e| anyhow::anyhow!("views.open: {e}"))
        }
        Delivery::Stale { team, response_url } => {
            if !ctx.served(&team) {
                return Ok(());
            }
            let reply = private(crate::render::form::stale_control());
            ctx.respond(&response_url, &reply, true).await
        }
        Delivery::Reaction {
            team,
            user,
            channel,
            ts,
            emoji,
            added,
        } => {
            if !ctx.served(&team) {
                return Ok(());
            }
            let bot = user == ctx.chat.bot();
            let (name, roles) = if bot {
                (user.clone(), Default::default())
            } else {
                let a = ctx.actor(&user).await?;
                (a.name, a.roles)
            };
            let ev = ReactionEvent {
                message: ts,
                channel,
                name,
                user,
                roles,
                emoji,
                added,
                bot,
            };
            ctx.work
                .send(Work::Reaction { guild: team, ev })
                .map_err(|_| anyhow::anyhow!("the service stopped"))
        }
        Delivery::GroupsChanged => {
            ctx.roles.changed().await;
            Ok(())
        }
        Delivery::Connected => ctx
            .work
            .send(Work::Reconcile)
            .map_err(|_| anyhow::anyhow!("the service stopped")),
    }
}
