//! The Slack app manifest, generated from `commands/*.toml`: one slash
//! command per top-level command with its usage hint, the bot scopes the
//! adapter calls need, the events it listens to, and either Socket Mode or
//! the request URLs of HTTP mode.

use crate::command::spec::{CommandDef, Registry};
use serde_json::{json, Value};

/// The manifest as `release-desk slack-manifest` prints it (pretty JSON),
/// or why `request_url` is not a base URL.
pub fn printed(name: &str, request_url: Option<&str>) -> Result<String, String> {
    if let Some(u) = request_url.filter(|u| !(u.starts_with("https://") || u.starts_with("http://"))) {
        return Err(format!(
            "--request-url {u:?}: expected the public base URL, such as https://desk.example.com"
        ));
    }
    let m = manifest(Registry::get(), name, request_url);
    serde_json::to_string_pretty(&m).map_err(|e| e.to_string())
}

/// The bot token's scopes, one per Web API family the adapter calls.
pub const SCOPES: &[&str] = &[
    "chat:write",       // chat.postMessage, chat.update, chat.postEphemeral
    "commands",         // the slash commands, views.open for the reason form
    "files:write",      // files.getUploadURLExternal, files.completeUploadExternal
    "im:write",         // conversations.open for direct messages
    "channels:history", // conversations.history: a post's outbox marker after a crash
    "groups:history",   // … in private channels
    "im:history",       // … in direct messages
    "reactions:read",   // reactions.get, reaction_added / reaction_removed
    "reactions:write",  // reactions.add (the vote emoji)
    "usergroups:read",  // usergroups.users.list, subteam_members_changed
    "users:read",       // users.info
];

/// The Web API methods the bot token calls, with the scope each needs
/// (any one of several, for conversations.history).
pub const METHOD_SCOPES: &[(&str, &[&str])] = &[
    ("auth.test", &[]),
    ("chat.postMessage", &["chat:write"]),
    ("chat.update", &["chat:write"]),
    ("chat.postEphemeral", &["chat:write"]),
    ("views.open", &["commands"]),
    ("files.getUploadURLExternal", &["files:write"]),
    ("files.completeUploadExternal", &["files:write"]),
    ("conversations.open", &["im:write"]),
    (
        "conversations.history",
        &["channels:history", "groups:history", "im:history"],
    ),
    ("reactions.get", &["reactions:read"]),
    ("reactions.add", &["reactions:write"]),
    ("usergroups.users.list", &["usergroups:read"]),
    ("users.info", &["users:read"]),
];

/// The events the bot subscribes to.
pub const EVENTS: &[&str] = &["reaction_added", "reaction_removed", "subteam_members_changed"];

/// Slack's longest slash-command description and usage hint.
const DESCRIPTION_MAX: usize = 100;
const USAGE_MAX: usize = 1000;

/// The path HTTP mode serves every delivery on.
pub const EVENTS_PATH: &str = "/slack/events";

fn cut(text: &str, max: usize) -> String {
    let t = text.trim();
    if t.chars().count() <= max {
        return t.to_string();
    }
    let mut s: String = t.chars().take(max - 1).collect();
    s.push('…');
    s
}

/// What follows the command: its subcommands, or its own options (`[name:…]` when optional).
pub fn usage(def: &CommandDef) -> String {
    let hint = if def.sub.is_empty() {
        def.options
            .iter()
            .map(|o| {
                if o.required {
                    format!("{}:…", o.name)
                } else {
                    format!("[{}:…]", o.name)
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        let subs: Vec<&str> = def.sub.iter().map(|s| s.name.as_str()).collect();
        format!("{} … (help for options)", subs.join(" | "))
    };
    cut(&hint, USAGE_MAX)
}

/// The manifest: Socket Mode without `request_base`, else HTTP mode with
/// `{request_base}/slack/events` for commands, interactivity and events.
pub fn manifest(registry: &Registry, name: &str, request_base: Option<&str>) -> Value {
    let url = request_base.map(|b| format!("{}{EVENTS_PATH}", b.trim_end_matches('/')));
    let commands: Vec<Value> = registry
        .commands
        .iter()
        .map(|c| {
            let mut v = json!({
                "command": format!("/{}", c.name),
                "description": cut(&c.description, DESCRIPTION_MAX),
                "usage_hint": usage(c),
                "should_escape": false,
            });
            if let Some(u) = &url {
                v["url"] = json!(u);
            }
            v
        })
        .collect();
    let mut events = json!({ "bot_events": EVENTS });
    let mut interactivity = json!({ "is_enabled": true });
    if let Some(u) = &url {
        events["request_url"] = json!(u);
        interactivity["request_url"] = json!(u);
    }
    json!({
        "_metadata": { "major_version": 1, "minor_version": 1 },
        "display_information": {
            "name": name,
            "description": "ITIL Release and Deployment Management",
        },
        "features": {
            "bot_user": { "display_name": name, "always_online": true },
            "slash_commands": commands,
        },
        "oauth_config": { "scopes": { "bot": SCOPES } },
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "socket_mode_enabled": url.is_none(),
            "org_deploy_enabled": false,
            "token_rotation_enabled": false,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_slash_command_per_top_level_command() {
        let reg = Registry::get();
        let m = manifest(reg, "release-desk", None);
        let cmds = m["features"]["slash_commands"].as_array().unwrap();
        let names: Vec<&str> = cmds.iter().map(|c| c["command"].as_str().unwrap()).collect();
        let want: Vec<String> = reg.commands.iter().map(|c| format!("/{}", c.name)).collect();
        assert_eq!(names, want);
        assert!(names.contains(&"/release") && names.contains(&"/rfc"));
        let release = cmds.iter().find(|c| c["command"] == "/release").unwrap();
        let hint = release["usage_hint"].as_str().unwrap();
        assert!(hint.starts_with("new | plan | schedule"), "{hint}");
        for c in cmds {
            assert!(c["description"].as_str().unwrap().chars().count() <= DESCRIPTION_MAX);
            assert!(c.get("url").is_none());
        }
        assert_eq!(m["settings"]["socket_mode_enabled"], true);
        assert!(m["settings"]["event_subscriptions"].get("request_url").is_none());
    }

    #[test]
    fn http_mode_names_the_request_urls() {
        let m = manifest(Registry::get(), "desk", Some("https://desk.example.com/"));
        let url = "https://desk.example.com/slack/events";
        assert_eq!(m["settings"]["socket_mode_enabled"], false);
        assert_eq!(m["settings"]["event_subscriptions"]["request_url"], url);
        assert_eq!(m["settings"]["interactivity"]["request_url"], url);
        assert_eq!(m["features"]["slash_commands"][0]["url"], url);
    }

    #[test]
    fn scopes_and_events_cover_what_the_adapter_calls() {
        let m = manifest(Registry::get(), "desk", None);
        let scopes = m["oauth_config"]["scopes"]["bot"].as_array().unwrap();
        for s in [
            "chat:write",
            "commands",
            "reactions:read",
            "usergroups:read",
            "files:write",
            "im:write",
        ] {
            assert!(scopes.iter().any(|x| x == s), "{s}");
        }
        for (method, needs) in METHOD_SCOPES {
            for s in *needs {
                assert!(scopes.iter().any(|x| x == s), "{method} needs {s}");
            }
        }
        let events = m["settings"]["event_subscriptions"]["bot_events"]
            .as_array()
            .unwrap();
        assert!(events.iter().any(|e| e == "subteam_members_changed"));
    }
}
