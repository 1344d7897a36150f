//! The gateway events: READY/RESUMED, interactions and reactions. Parsing
//! and answering happen here; anything that reads or writes records goes
//! to the service ([`crate::service`]) as [`Work`].

use super::chat::Shared;
use super::{interaction, register};
use crate::chat::Outgoing;
use crate::handlers::autocomplete::Completions;
use crate::handlers::reaction::ReactionEvent;
use crate::handlers::Reply;
use crate::service::Work;
use serenity::all::{
    AutocompleteChoice, CommandInteraction, Context, CreateAutocompleteResponse, CreateInteractionResponse,
    Event, EventHandler, GuildId, Interaction, Reaction, ReactionType, Ready, ResumedEvent, UserId,
};
use serenity::async_trait;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Longest name and value of a completion Discord takes.
const CHOICE_MAX: usize = 100;

/// Past this, a command is deferred ("thinking…") so Discord's 3-second limit holds.
pub const DEFER_AFTER: Duration = Duration::from_millis(2000);

/// The event handler.
pub struct Handler {
    /// The application (read-only here: config, and the db for idempotency and completions).
    pub app: crate::app::App,
    /// What the bot learned about Discord.
    pub shared: Arc<Shared>,
    /// The application loop.
    pub work: mpsc::UnboundedSender<Work>,
    /// Commands registered in this process.
    pub registered: AtomicBool,
    /// Interaction ids seen lately by this process.
    pub seen: Recent,
    /// The server served; other servers' events are refused or ignored.
    pub served: super::served::Served,
}

/// The last [`Recent::KEEP`] interaction ids this process saw, so a
/// dispatch replayed after a resume is answered once (reads included).
#[derive(Default)]
pub struct Recent(std::sync::Mutex<(std::collections::HashSet<u64>, std::collections::VecDeque<u64>)>);

impl Recent {
    const KEEP: usize = 4096;

    /// True the first time `id` is seen.
    pub fn first(&self, id: u64) -> bool {
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (set, order) = &mut *guard;
        if !set.insert(id) {
            return false;
        }
        order.push_back(id);
        if order.len() > Self::KEEP {
            if let Some(old) = order.pop_front() {
                set.remove(&old);
            }
        }
        true
    }
}

impl Handler {
    fn send(&self, w: Work) {
        if self.work.send(w).is_err() {
            tracing::error!("the application loop has stopped; event dropped");
        }
    }

    /// Answers a command within Discord's limit: if running it takes longer
    /// than [`DEFER_AFTER`], it is deferred first.
    async fn command(&self, ctx: &Context, ci: CommandInteraction) {
        let began = Instant::now();
        let timing = Timing::default();
        let work = self.run_command(&ci, &timing);
        tokio::pin!(work);
        let (reply, deferred) = match tokio::time::timeout(DEFER_AFTER, &mut work).await {
            Ok(r) => (r, false),
            Err(_) => {
                if let Err(e) = ci.defer(&ctx.http).await {
                    tracing::warn!(error = %e, interaction = %ci.id, "cannot defer the interaction");
                }
                (work.await, true)
            }
        };
        // None: a duplicate, answered by the first delivery.
        let Some(reply) = reply else { return };
        let answering = Instant::now();
        if let Err(e) = interaction::respond(&ctx.http, &ci, &reply, deferred, began).await {
            tracing::warn!(error = %e, interaction = %ci.id, "cannot answer the interaction");
            if let Reply::Public(m) = &reply {
                self.post_instead(&ci, m).await;
            }
        }
        // Taken by Discord or queued for the channel: nothing owed after a restart.
        if matches!(reply, Reply::Public(_)) {
            self.send(Work::Answered {
                key: ci.id.get().to_string(),
            });
        }
        let micros = |d: Duration| d.as_micros() as u64;
        tracing::debug!(
            interaction = %ci.id,
            queue_us = timing.queue.load(Ordering::Relaxed),
            command_us = timing.command.load(Ordering::Relaxed),
            respond_us = micros(answering.elapsed()),
            total_us = micros(began.elapsed()),
            deferred,
            "interaction answered"
        );
    }

    /// Registers the commands once per process; a failure is retried at the
    /// next READY or RESUMED.
    async fn register_once(&self, ctx: &Context) {
        if self.registered.load(Ordering::Acquire) {
            return;
        }
        match register::register(&ctx.http, self.app.config.discord.guild_id).await {
            Ok(n) => {
                self.registered.store(true, Ordering::Release);
                tracing::info!(
                    commands = n,
                    guild = self.app.config.discord.guild_id,
                    "commands registered"
                );
            }
            Err(e) => tracing::error!(
                error = %e,
                "command registration failed; retried at the next (re)connection"
            ),
        }
    }

    /// A record change's answer that the interaction could not carry goes
    /// to the channel through the outbox (retried until delivered), so the
    /// change is never announced nowhere.
    async fn post_instead(&self, ci: &CommandInteraction, m: &Outgoing) {
        let Some(guild) = ci.guild_id else { return };
        let queued = self
            .app
            .post(&guild.get().to_string(), &ci.channel_id.get().to_string(), m)
            .await;
        match queued {
            Ok(()) => tracing::info!(interaction = %ci.id, "answer queued for the channel instead"),
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), interaction = %ci.id, "answer lost: cannot queue it")
            }
        }
    }

    /// Runs the command once per interaction id; None for a duplicate.
    async fn run_command(&self, ci: &CommandInteraction, timing: &Timing) -> Option<Reply> {
        // A replayed dispatch in this process stops here; the id is also
        // claimed in the command's own write transaction, which holds across restarts.
        if !self.seen.first(ci.id.get()) {
            tracing::info!(interaction = %ci.id, "duplicate interaction ignored");
            return None;
        }
        if self.served.refuses(ci.guild_id, "command", ci.id.get()) {
            return Some(Reply::Private(Outgoing::text(crate::render::not_served())));
        }
        if let (Some(g), true) = (ci.guild_id, ci.member.is_some()) {
            self.shared.learn(ci.channel_id, g);
        }
        let (who, cmd) = match interaction::prepare(&self.app.config, ci) {
            Ok(x) => x,
            Err(m) => return Some(Reply::Private(m)),
        };
        let Some(guild) = ci.guild_id else {
            return Some(Reply::Private(Outgoing::text(
                "release-desk works in a server channel.",
            )));
        };
        let (tx, rx) = oneshot::channel();
        let sent = Instant::now();
        self.send(Work::Command {
            guild: guild.get().to_string(),
            key: ci.id.get().to_string(),
            token: Some(ci.token.clone()),
            who,
            cmd,
            reply: tx,
        });
        let reply = rx.await;
        let (queue, command) = match &reply {
            Ok((_, picked, done)) => (picked.duration_since(sent), *done),
            Err(_) => (sent.elapsed(), Duration::ZERO),
        };
        timing.queue.store(queue.as_micros() as u64, Ordering::Relaxed);
        timing
            .command
            .store(command.as_micros() as u64, Ordering::Relaxed);
        // None: the handlers found the id claimed before (and logged it).
        reply
            .map(|(r, _, _)| r)
            .unwrap_or_else(|_| Some(Reply::Private(Outgoing::text(crate::render::internal_error()))))
    }

    async fn autocomplete(&self, ctx: &Context, ci: CommandInteraction) {
        let Some(focused) = ci.data.autocomplete() else {
            return;
        };
        if self.served.refuses(ci.guild_id, "autocomplete", ci.id.get()) {
            return;
        }
        let (sub, _) = interaction::raw_options(&ci.data);
        let guild = ci.guild_id.map(|g| g.get().to_string()).unwrap_or_default();
        let completions = crate::handlers::autocomplete::complete(
            &self.app.db,
            &guild,
            &ci.data.name,
            sub.as_deref(),
            focused.name,
            focused.value,
        )
        .await;
        let Completions { before, items } = completions.unwrap_or_else(|e| {
            tracing::warn!(error = format!("{e:#}"), "completions failed");
            Completions::default()
        });
        let choices: Vec<AutocompleteChoice> = items
            .into_iter()
            // Discord refuses the whole answer if one value is over its limit.
            .filter(|(id, _)| before.chars().count() + id.chars().count() <= CHOICE_MAX)
            .take(25)
            .map(|(id, label)| {
                let mut name = format!("{before}{id} {label}");
                if name.chars().count() > CHOICE_MAX {
                    // The offered id stays readable behind a long list.
                    name = format!("… {id} {label}");
                }
                let name: String = name.chars().take(CHOICE_MAX).collect();
                AutocompleteChoice::new(name, format!("{before}{id}"))
            })
            .collect();
        let resp =
            CreateInteractionResponse::Autocomplete(CreateAutocompleteResponse::new().set_choices(choices));
        if let Err(e) = ci.create_response(&ctx.http, resp).await {
            tracing::warn!(error = %e, "cannot answer the completion");
        }
    }

    async fn reaction(&self, ctx: &Context, r: Reaction, added: bool) {
        let (Some(guild), Some(user)) = (r.guild_id, r.user_id) else {
            return;
        };
        if self.served.refuses(Some(guild), "reaction", r.message_id.get()) {
            return;
        }
        self.shared.learn(r.channel_id, guild);
        let emoji = match &r.emoji {
            ReactionType::Unicode(e) => e.clone(),
            ReactionType::Custom { name: Some(n), .. } => n.clone(),
            _ => return,
        };
        let bot = Some(user) == self.shared.bot();
        let (name, roles) = if bot {
            (String::new(), vec![])
        } else {
            member(ctx, guild, user, &r).await
        };
        let ev = ReactionEvent {
            message: r.message_id.get().to_string(),
            channel: r.channel_id.get().to_string(),
            user: user.get().to_string(),
            name,
            roles: self.app.config.itil_roles(roles.iter().map(String::as_str)),
            emoji,
            added,
            bot,
        };
        self.send(Work::Reaction {
            guild: guild.get().to_string(),
            ev,
        });
    }
}

/// Where an interaction's time went, in microseconds (logged at debug level).
#[derive(Default)]
struct Timing {
    /// Waiting for the application loop to pick the command up.
    queue: AtomicU64,
    /// Running the command.
    command: AtomicU64,
}

/// A reactor's name and role ids: from the event's member, else the guild member endpoint.
async fn member(ctx: &Context, guild: GuildId, user: UserId, r: &Reaction) -> (String, Vec<String>) {
    if let Some(m) = &r.member {
        return (
            m.display_name().to_string(),
            m.roles.iter().map(|x| x.get().to_string()).collect(),
        );
    }
    match ctx.http.get_member(guild, user).await {
        Ok(m) => (
            m.display_name().to_string(),
            m.roles.iter().map(|x| x.get().to_string()).collect(),
        ),
        Err(e) => {
            tracing::warn!(error = %e, user = %user, "cannot read the member's roles; the reaction counts without roles until the poll is recounted");
            (user.get().to_string(), vec![])
        }
    }
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        self.shared.set_bot(ready.user.id);
        self.shared.members.set_shard(ctx.shard.clone());
        tracing::info!(user = %ready.user.id, guilds = ready.guilds.len(), "connected to Discord");
        self.register_once(&ctx).await;
        self.app.telemetry.set_connected(true);
        self.send(Work::Reconcile);
    }

    async fn shard_stage_update(&self, _ctx: Context, ev: serenity::all::ShardStageUpdateEvent) {
        // For /readyz: a shard that left the connected stage is reconnecting.
        if ev.new != serenity::all::ConnectionStage::Connected {
            self.app.telemetry.set_connected(false);
        }
    }

    async fn resume(&self, ctx: Context, _ev: ResumedEvent) {
        tracing::info!("session resumed");
        self.shared.members.set_shard(ctx.shard.clone());
        self.app.telemetry.set_connected(true);
        // A session that only ever resumes would otherwise keep a failed registration.
        self.register_once(&ctx).await;
        self.send(Work::Reconcile);
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        match interaction {
            Interaction::Command(ci) => self.command(&ctx, ci).await,
            Interaction::Autocomplete(ci) => self.autocomplete(&ctx, ci).await,
            _ => {}
        }
    }

    async fn reaction_add(&self, ctx: Context, r: Reaction) {
        self.reaction(&ctx, r, true).await
    }

    async fn reaction_remove(&self, ctx: Context, r: Reaction) {
        self.reaction(&ctx, r, false).await
    }

    async fn guild_members_chunk(&self, _ctx: Context, chunk: serenity::all::GuildMembersChunkEvent) {
        self.shared.members.chunk(chunk);
    }
}

/// Logs gateway events serenity could not read (it drops them silently).
pub struct Unknown;

#[async_trait]
impl serenity::all::RawEventHandler for Unknown {
    async fn raw_event(&self, _ctx: Context, ev: Event) {
        if let Event::Unknown(u) = ev {
            tracing::warn!(event = %u.kind, "gateway event not understood (missing or unexpected field?); dropped");
        }
    }
}
