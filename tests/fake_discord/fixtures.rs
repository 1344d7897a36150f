//! Discord's documented JSON, each checked against serenity's own type.

use super::{checked, APP_ID, BOT_ID, GUILD};
use serde_json::{json, Value};

const TS: &str = "2026-12-01T09:00:00.000000+00:00";

/// A user.
pub fn user(id: u64, name: &str, bot: bool) -> Value {
    json!({
        "id": id.to_string(), "username": name, "discriminator": "0", "global_name": name,
        "avatar": null, "bot": bot, "public_flags": 0
    })
}

/// READY for a new session.
pub fn ready(session: &str, ws_url: &str) -> Value {
    checked::<serenity::all::Ready>(
        "READY",
        json!({
            "v": 10,
            "user": {"id": BOT_ID.to_string(), "username": "release-desk", "discriminator": "0", "global_name": null,
                     "avatar": null, "bot": true, "verified": true, "mfa_enabled": false, "flags": 0},
            "guilds": [{"id": GUILD.to_string(), "unavailable": true}],
            "session_id": session,
            "resume_gateway_url": ws_url,
            "shard": [0, 1],
            "application": {"id": APP_ID.to_string(), "flags": 0}
        }),
    )
}

/// A guild member.
pub fn member(id: u64, name: &str, roles: &[u64]) -> Value {
    checked::<serenity::all::Member>(
        "member",
        json!({
            "user": user(id, name, false),
            "nick": null, "roles": roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            "joined_at": TS, "deaf": false, "mute": false, "flags": 0, "pending": false,
            "guild_id": GUILD.to_string()
        }),
    )
}

/// A message as Discord answers a create or edit.
pub fn message(id: u64, channel: u64, sent: &Value) -> Value {
    checked::<serenity::all::Message>(
        "message",
        json!({
            "id": id.to_string(), "channel_id": channel.to_string(),
            "author": user(BOT_ID, "release-desk", true),
            "content": sent["content"].as_str().unwrap_or(""),
            "timestamp": TS, "edited_timestamp": null, "tts": false, "mention_everyone": false,
            "mentions": [], "mention_roles": [], "attachments": [], "embeds": [], "pinned": false,
            "type": 0
        }),
    )
}

/// A guild text channel.
pub fn channel(id: u64) -> Value {
    checked::<serenity::all::Channel>(
        "channel",
        json!({"id": id.to_string(), "type": 0, "guild_id": GUILD.to_string(), "name": format!("ch{id}"),
               "position": 0, "permission_overwrites": [], "nsfw": false}),
    )
}

/// A DM channel.
pub fn dm_channel(id: u64, recipient: u64) -> Value {
    checked::<serenity::all::PrivateChannel>(
        "dm channel",
        json!({"id": id.to_string(), "type": 1, "last_message_id": null,
               "recipients": [user(recipient, &format!("user{recipient}"), false)]}),
    )
}

/// A registered command, echoing what was sent.
pub fn command(id: u64, guild: Option<u64>, sent: Value) -> Value {
    let mut c = sent;
    c["id"] = json!(id.to_string());
    c["application_id"] = json!(APP_ID.to_string());
    c["version"] = json!(id.to_string());
    c["type"] = json!(1);
    if let Some(g) = guild {
        c["guild_id"] = json!(g.to_string());
    }
    c
}

/// MESSAGE_REACTION_ADD/REMOVE data; `member` (name, roles) on an add.
pub fn reaction(
    channel: u64,
    message: u64,
    user_id: u64,
    emoji: &str,
    member_of: Option<(String, Vec<u64>)>,
) -> Value {
    let mut d = json!({
        "user_id": user_id.to_string(), "channel_id": channel.to_string(), "message_id": message.to_string(),
        "guild_id": GUILD.to_string(), "emoji": {"id": null, "name": emoji}, "burst": false, "type": 0
    });
    if let Some((name, roles)) = member_of {
        d["member"] = member(user_id, &name, &roles);
    }
    checked::<serenity::all::Reaction>("reaction", d)
}

/// Someone in the guild running commands.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: u64,
    pub name: String,
    pub roles: Vec<u64>,
}

impl Person {
    pub fn new(id: u64, name: &str, roles: &[u64]) -> Person {
        Person {
            id,
            name: name.to_string(),
            roles: roles.to_vec(),
        }
    }
}

/// An option value: strings, integers or numbers by their JSON type.
fn option(name: &str, value: &Value) -> Value {
    let kind = match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => 4,
        Value::Number(_) => 10,
        _ => 3,
    };
    json!({"name": name, "type": kind, "value": value})
}

/// An application-command INTERACTION_CREATE: `/command [sub] options…`.
pub fn slash(
    id: u64,
    channel: u64,
    who: &Person,
    command: &str,
    sub: Option<&str>,
    options: &[(&str, Value)],
) -> Value {
    let opts: Vec<Value> = options.iter().map(|(n, v)| option(n, v)).collect();
    let data_options = match sub {
        // A subcommand carries `options: []` even when empty.
        Some(s) => json!([{"name": s, "type": 1, "options": opts}]),
        None => Value::Array(opts),
    };
    interaction(
        id,
        channel,
        who,
        2,
        json!({"id": "7000", "name": command, "type": 1, "options": data_options}),
    )
}

/// An interaction of `kind` (2 command, 4 autocomplete) with `data`.
pub fn interaction(id: u64, channel: u64, who: &Person, kind: u8, data: Value) -> Value {
    checked::<serenity::all::Interaction>(
        "INTERACTION_CREATE",
        json!({
            "id": id.to_string(), "application_id": APP_ID.to_string(), "type": kind,
            "token": format!("itoken-{id}"), "version": 1,
            "guild_id": GUILD.to_string(), "channel_id": channel.to_string(),
            "channel": {"id": channel.to_string(), "type": 0},
            "member": member(who.id, &who.name, &who.roles),
            "data": data,
            "app_permissions": "0", "locale": "en-GB", "guild_locale": "en-GB",
            "attachment_size_limit": 26214400, "entitlements": [], "authorizing_integration_owners": {"0": GUILD.to_string()}, "context": 0
        }),
    )
}
