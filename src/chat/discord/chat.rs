//! The chat port over Discord's REST API.

use super::members::{Members, PER_REQUEST, REQUESTS_AT_ONCE};
use super::render;
use crate::chat::{Chat, ChatError, Outgoing, Posted, Reactor};
use async_trait::async_trait;
use futures_util::future::join_all;
use serenity::all::{ChannelId, GuildId, Http, HttpError, Message, MessageId, ReactionType, UserId};
use serenity::http::{LightMethod, Request, Route};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What the adapter learns about Discord while it runs.
#[derive(Debug, Default)]
pub struct Shared {
    /// The bot's user id, once READY said it (0 before).
    bot: AtomicU64,
    /// `discord.guild_id`, or 0.
    guild: u64,
    /// Which guild a channel belongs to, learned from events or asked once.
    guilds: Mutex<HashMap<u64, u64>>,
    /// Member look-ups over the gateway.
    pub members: Members,
}

impl Shared {
    /// `guild` is `discord.guild_id` (0: learn per channel).
    pub fn new(guild: u64) -> Self {
        Shared {
            guild,
            ..Default::default()
        }
    }

    /// Remembers the bot's own user id (from READY).
    pub fn set_bot(&self, id: UserId) {
        self.bot.store(id.get(), Ordering::Relaxed);
    }

    /// The bot's user id, if known.
    pub fn bot(&self) -> Option<UserId> {
        let id = self.bot.load(Ordering::Relaxed);
        (id != 0).then(|| UserId::new(id))
    }

    /// Remembers that `channel` is in `guild` (from an event).
    pub fn learn(&self, channel: ChannelId, guild: GuildId) {
        self.guilds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(channel.get(), guild.get());
    }

    fn known_guild(&self, channel: ChannelId) -> Option<GuildId> {
        if self.guild != 0 {
            return Some(GuildId::new(self.guild));
        }
        self.guilds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&channel.get())
            .map(|g| GuildId::new(*g))
    }
}

/// Discord as a [`Chat`].
pub struct DiscordChat {
    http: Arc<Http>,
    /// `http`'s connection pool, for the requests made through [`super::http::send`].
    client: reqwest::Client,
    shared: Arc<Shared>,
}

/// How a failed serenity request should be handled: 429, 5xx and network
/// errors are retried, other 4xx never work. Serenity's error holds no
/// `retry_after`, so the outbox's own requests go through
/// [`super::http::send`] instead, which keeps it.
pub fn classify(e: serenity::Error) -> ChatError {
    match &e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => {
            let status = r.status_code.as_u16();
            if status == 429 || status >= 500 || status == 408 {
                ChatError::Retry {
                    after: None,
                    message: format!("HTTP {status} {} {}", r.method, route(&r.url)),
                }
            } else {
                ChatError::Permanent(format!(
                    "HTTP {status} {} {}: {}",
                    r.method,
                    route(&r.url),
                    r.error.message
                ))
            }
        }
        serenity::Error::Http(HttpError::Request(_)) => ChatError::Retry {
            after: None,
            message: format!("network: {e}"),
        },
        serenity::Error::Json(_) | serenity::Error::Model(_) => ChatError::Permanent(e.to_string()),
        _ => ChatError::Retry {
            after: None,
            message: e.to_string(),
        },
    }
}

/// The request's path for logs, cut before any interaction or webhook token.
pub(super) fn route(url: &str) -> String {
    let path = url.split_once("/api/v10").map_or(url, |(_, p)| p);
    let path = path.split('?').next().unwrap_or("");
    let segs: Vec<&str> = path.split('/').collect();
    match segs.get(1) {
        Some(&"webhooks") | Some(&"interactions") => {
            segs.iter().take(3).copied().collect::<Vec<_>>().join("/") + "/…"
        }
        _ => path.to_string(),
    }
}

/// Discord's "Interaction has already been acknowledged": an earlier answer arrived.
pub fn already_acknowledged(e: &serenity::Error) -> bool {
    matches!(e, serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) if r.error.code == 40060)
}

fn is_not_found(e: &serenity::Error) -> bool {
    matches!(e, serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) if r.status_code.as_u16() == 404)
}

/// A Discord id from text.
pub fn snowflake(what: &str, text: &str) -> Result<u64, ChatError> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n != 0)
        .ok_or_else(|| ChatError::Permanent(format!("{what} {text:?} is not a Discord id")))
}

/// The emoji as Discord's type (custom emoji are written `name:id`).
pub fn reaction_type(emoji: &str) -> ReactionType {
    ReactionType::Unicode(emoji.to_string())
}

impl DiscordChat {
    /// Discord over `http` and its connection pool `client`.
    pub fn new(http: Arc<Http>, client: reqwest::Client, shared: Arc<Shared>) -> Self {
        DiscordChat { http, client, shared }
    }

    /// `req` with a JSON body, keeping a refusal's wait (see [`super::http`]).
    async fn send(&self, req: Request<'_>, body: &impl serde::Serialize) -> Result<Vec<u8>, ChatError> {
        let bytes = serde_json::to_vec(body).map_err(|e| ChatError::Permanent(e.to_string()))?;
        super::http::send(&self.http, &self.client, req.body(Some(bytes))).await
    }

    /// The REST client.
    pub fn http(&self) -> &Arc<Http> {
        &self.http
    }

    async fn guild_of(&self, channel: ChannelId) -> Result<Option<GuildId>, ChatError> {
        if let Some(g) = self.shared.known_guild(channel) {
            return Ok(Some(g));
        }
        let ch = self.http.get_channel(channel).await.map_err(classify)?;
        let guild = ch.guild().map(|g| g.guild_id);
        if let Some(g) = guild {
            self.shared.learn(channel, g);
        }
        Ok(guild)
    }

    /// The role ids of a member (none if they left the guild).
    pub async fn member_roles(&self, guild: GuildId, user: UserId) -> Result<Vec<String>, ChatError> {
        match self.http.get_member(guild, user).await {
            Ok(m) => Ok(m.roles.iter().map(|r| r.get().to_string()).collect()),
            Err(e) if is_not_found(&e) => Ok(vec![]),
            Err(e) => Err(classify(e)),
        }
    }
}

fn at_ids(at: &Posted) -> Result<(ChannelId, MessageId), ChatError> {
    Ok((
        ChannelId::new(snowflake("channel", &at.channel)?),
        MessageId::new(snowflake("message", &at.id)?),
    ))
}

#[async_trait]
impl Chat for DiscordChat {
    async fn post(&self, channel: &str, message: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        let ch = ChannelId::new(snowflake("channel", channel)?);
        let builder = render::create_message(message, nonce);
        let m: Message = if render::has_file(message) {
            // An upload goes through serenity (multipart); its 429 waits the outbox's back-off.
            ch.send_message(&*self.http, builder).await.map_err(classify)?
        } else {
            let body = self
                .send(
                    Request::new(Route::ChannelMessages { channel_id: ch }, LightMethod::Post),
                    &builder,
                )
                .await?;
            serde_json::from_slice(&body)
                .map_err(|e| ChatError::Permanent(format!("the posted message: {e}")))?
        };
        Ok(Posted {
            channel: m.channel_id.get().to_string(),
            id: m.id.get().to_string(),
        })
    }

    async fn edit(&self, at: &Posted, message: &Outgoing) -> Result<(), ChatError> {
        let (ch, id) = at_ids(at)?;
        let route = Route::ChannelMessage {
            channel_id: ch,
            message_id: id,
        };
        self.send(
            Request::new(route, LightMethod::Patch),
            &render::edit_message(message),
        )
        .await
        .map(|_| ())
    }

    async fn react(&self, at: &Posted, emoji: &str) -> Result<(), ChatError> {
        let (ch, id) = at_ids(at)?;
        let reaction = reaction_type(emoji).as_data();
        let route = Route::ChannelMessageReactionMe {
            channel_id: ch,
            message_id: id,
            reaction: &reaction,
        };
        super::http::send(&self.http, &self.client, Request::new(route, LightMethod::Put))
            .await
            .map(|_| ())
    }

    async fn reactions(&self, at: &Posted, emoji: &str) -> Result<Vec<Reactor>, ChatError> {
        let (ch, id) = at_ids(at)?;
        let rt = reaction_type(emoji);
        let mut users = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .http
                .get_reaction_users(ch, id, &rt, 100, after)
                .await
                .map_err(classify)?;
            let full = page.len() >= 100;
            after = page.last().map(|u| u.id.get());
            users.extend(page);
            if !full || after.is_none() {
                break;
            }
        }
        let guild = self.guild_of(ch).await?;
        let bot = self.shared.bot();
        let mut roles: HashMap<UserId, Vec<String>> = HashMap::new();
        if let Some(g) = guild {
            let asked: Vec<UserId> = users.iter().map(|u| u.id).filter(|u| Some(*u) != bot).collect();
            // serenity's shard runner sends what was queued only between
            // reads of the socket, each read waiting up to 500 ms for an
            // event: asked one after another, ten requests took five
            // seconds. Asked together, a wave goes out in one pass.
            let batches: Vec<&[UserId]> = asked.chunks(PER_REQUEST).collect();
            for wave in batches.chunks(REQUESTS_AT_ONCE) {
                let answers = join_all(wave.iter().map(|b| self.shared.members.roles(g, b))).await;
                for (batch, mut found) in wave.iter().zip(answers) {
                    for u in batch.iter() {
                    let known = found.as_mut().and_then(|f| {
                        f.roles
                            .remove(u)
                            .or_else(|| f.not_found.contains(u).then(Vec::new))
                    });
                        let r = match known {
                            Some(r) => r,
                            None => self.member_roles(g, *u).await?,
                        };
                        roles.insert(*u, r);
                    }
                }
            }
        }
        Ok(users
            .into_iter()
            .map(|u| Reactor {
                user: u.id.get().to_string(),
                name: u.global_name.clone().unwrap_or_else(|| u.name.clone()),
                chat_roles: roles.remove(&u.id).unwrap_or_default(),
                bot: Some(u.id) == bot,
            })
            .collect())
    }

    async fn direct(&self, user: &str, message: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        let user = UserId::new(snowflake("user", user)?);
        let dm = user.create_dm_channel(&*self.http).await.map_err(classify)?;
        self.post(&dm.id.get().to_string(), message, nonce).await
    }
}
