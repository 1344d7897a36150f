//! What Slack delivers, turned into what the application takes: a slash
//! command's text parsed with the console grammar (`/release submit
//! id:REL-1`), so help, errors and permissions are the same everywhere;
//! the answer for its `response_url`; and the ids already handled, since
//! Slack redelivers what it thinks was not acknowledged and slack-morphism
//! does not deduplicate.

use crate::handlers::Reply;
use serde_json::{json, Value};
use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

/// The console line for a slash command: `/release` with `submit id:REL-1`.
pub fn command_line(command: &str, text: &str) -> String {
    let name = command.trim().trim_start_matches('/');
    let text = text.trim();
    if text.is_empty() {
        format!("/{name}")
    } else {
        format!("/{name} {text}")
    }
}

/// The body posted to a `response_url`: in the channel for a record that
/// changed, ephemeral (only the person sees it) for refusals and personal views.
pub fn response(reply: &Reply) -> Value {
    let (kind, message) = match reply {
        Reply::Public(m) => ("in_channel", m),
        Reply::Private(m) => ("ephemeral", m),
    };
    json!({
        "response_type": kind,
        "text": super::blocks::fallback(message),
        "blocks": super::blocks::blocks(message),
    })
}

/// Ids (trigger, envelope or event ids) seen lately: the first sighting
/// is handled, a redelivery is only acknowledged.
pub struct Seen {
    cap: usize,
    inner: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl Seen {
    /// Remembers the last `cap` ids.
    pub fn new(cap: usize) -> Self {
        Seen {
            cap: cap.max(1),
            inner: Mutex::default(),
        }
    }

    /// True the first time `id` is seen (within the last `cap` ids).
    pub fn first(&self, id: &str) -> bool {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (set, order) = &mut *g;
        if !set.insert(id.to_string()) {
            return false;
        }
        order.push_back(id.to_string());
        if order.len() > self.cap {
            if let Some(old) = order.pop_front() {
                set.remove(&old);
            }
        }
        true
    }
}

/// Whether a delivery from `team` is for the served workspace (`served`
/// empty: not known yet, so nothing is served).
pub fn served(served: &str, team: &str) -> bool {
    !served.is_empty() && served == team
}

/// Whether a command typed in a channel named `name` comes from a kind of
/// channel the desk serves: not a group DM (`mpdm-…`), whose members are
/// whoever its starter picked, so a record change announced there would
/// reach people outside the workspace's channels.
pub fn channel_served(name: &str) -> bool {
    !name.starts_with("mpdm-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::Outgoing;
    use crate::command::Command;

    #[test]
    fn slash_command_text_parses_as_the_console_line() {
        let line = command_line("/release", "  submit id:REL-1 ");
        assert_eq!(line, "/release submit id:REL-1");
        let cmd = Command::parse(&line, chrono_tz::UTC).unwrap();
        assert_eq!(cmd.path(), "/release submit");
        assert!(Command::parse(&command_line("/release", "nonsense"), chrono_tz::UTC).is_err());
        assert_eq!(command_line("rfc", ""), "/rfc");
    }

    #[test]
    fn refusals_are_ephemeral_and_changes_in_channel() {
        let private = response(&Reply::Private(Outgoing::text("no <!here>")));
        assert_eq!(private["response_type"], "ephemeral");
        assert_eq!(private["blocks"][0]["text"]["text"], "no &lt;!here&gt;");
        let public = response(&Reply::Public(Outgoing::text("RFC-1 created")));
        assert_eq!(public["response_type"], "in_channel");
    }

    #[test]
    fn an_id_is_handled_once_and_old_ones_are_forgotten() {
        let seen = Seen::new(2);
        assert!(seen.first("a"));
        assert!(!seen.first("a"));
        assert!(seen.first("b"));
        assert!(seen.first("c"));
        assert!(seen.first("a"), "the oldest id is forgotten past the cap");
        assert!(!seen.first("c"));
    }

    #[test]
    fn only_the_served_team_is_served() {
        assert!(served("T1", "T1"));
        assert!(!served("T1", "T2"));
        assert!(!served("", ""));
        assert!(channel_served("general") && channel_served("directmessage"));
        assert!(!channel_served("mpdm-ann--bob-1"));
    }
}

/// How a vote's answer reaches the voter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The button's `response_url`, ephemeral.
    ResponseUrl(String),
    /// `chat.postEphemeral` in the poll's channel (a form has no `response_url`).
    Ephemeral,
}

/// One thing Slack delivered, for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A slash command; `key` (its trigger id) is its idempotency key.
    Command {
        /// The trigger id.
        key: String,
        /// The workspace it came from.
        team: String,
        /// Where it was typed.
        channel: String,
        /// The channel's name as Slack sends it (`mpdm-…` for a group DM).
        channel_name: String,
        /// Who typed it.
        user: String,
        /// The console line (`/release submit id:REL-1`).
        line: String,
        /// Where the answer goes.
        response_url: String,
    },
    /// A vote by button (or by the reason form): `/release vote` for the voter.
    Vote {
        /// The interaction's id: the vote's idempotency key.
        key: String,
        /// The workspace.
        team: String,
        /// The poll's channel.
        channel: String,
        /// The voter.
        user: String,
        /// The release the poll is for.
        release: crate::domain::ids::RecordId,
        /// The vote.
        vote: crate::domain::tally::Vote,
        /// The reason typed in the form.
        reason: Option<String>,
        /// Where the answer goes.
        answer: Answer,
    },
    /// "Reject with reason…": the form is opened with `trigger`.
    AskReason {
        /// The workspace.
        team: String,
        /// The poll's channel.
        channel: String,
        /// The release.
        release: crate::domain::ids::RecordId,
        /// The trigger id `views.open` needs (valid for 3 s).
        trigger: String,
    },
    /// A control the desk cannot read (an old message's button): the
    /// person is told nothing was recorded.
    Stale {
        /// The workspace.
        team: String,
        /// Where the answer goes.
        response_url: String,
    },
    /// A reaction added or removed on a message.
    Reaction {
        /// The workspace.
        team: String,
        /// Who.
        user: String,
        /// The message's channel.
        channel: String,
        /// The message's ts (its id).
        ts: String,
        /// The emoji as the application knows it.
        emoji: String,
        /// Added, or removed.
        added: bool,
    },
    /// A user group's members changed: roles are read again.
    GroupsChanged,
    /// (Re)connected: open polls and surveys are recounted.
    Connected,
}

/// Where the inbound side hands deliveries over, once each.
pub struct Inbox {
    tx: tokio::sync::mpsc::UnboundedSender<Delivery>,
    seen: Seen,
}

impl Inbox {
    /// An inbox feeding `tx`, remembering the last 10,000 ids.
    pub fn new(tx: tokio::sync::mpsc::UnboundedSender<Delivery>) -> Self {
        Inbox {
            tx,
            seen: Seen::new(10_000),
        }
    }

    /// Hands `d` over unless `id` was handed over before (a redelivery);
    /// returns whether it was.
    pub fn take(&self, id: &str, d: Delivery) -> bool {
        if id.is_empty() {
            // Nothing to tell a redelivery by: such a delivery is not taken.
            return false;
        }
        if !self.seen.first(id) {
            tracing::debug!(id, "redelivered; acknowledged, not handled again");
            return false;
        }
        self.tx.send(d).is_ok()
    }

    /// Says the connection is (re)established: every `hello` counts.
    pub fn connected(&self) {
        let _ = self.tx.send(Delivery::Connected);
    }
}

/// A slash command as slack-morphism reads it.
pub fn command(ev: &slack_morphism::prelude::SlackCommandEvent) -> Delivery {
    use slack_morphism::prelude::ValueStruct;
    Delivery::Command {
        key: ev.trigger_id.value().clone(),
        team: ev.team_id.value().clone(),
        channel: ev.channel_id.value().clone(),
        channel_name: ev.channel_name.clone().unwrap_or_default(),
        user: ev.user_id.value().clone(),
        line: command_line(ev.command.value(), ev.text.as_deref().unwrap_or("")),
        response_url: ev.response_url.value().to_string(),
    }
}

/// An Events API callback the desk acts on, with its `event_id`.
pub fn push(ev: &slack_morphism::prelude::SlackPushEventCallback) -> Option<(String, Delivery)> {
    use slack_morphism::prelude::*;
    let team = ev.team_id.value().clone();
    let reaction = |user: &SlackUserId, name: &SlackReactionName, item: &SlackReactionsItem, added| match item
    {
        SlackReactionsItem::Message(m) => Some(Delivery::Reaction {
            team: team.clone(),
            user: user.value().clone(),
            channel: m
                .origin
                .channel
                .as_ref()
                .map(|c| c.value().clone())
                .unwrap_or_default(),
            ts: m.origin.ts.value().clone(),
            emoji: super::blocks::emoji_from_name(name.value()),
            added,
        }),
        SlackReactionsItem::File(_) => None,
    };
    let d = match &ev.event {
        SlackEventCallbackBody::ReactionAdded(r) => reaction(&r.user, &r.reaction, &r.item, true)?,
        SlackEventCallbackBody::ReactionRemoved(r) => reaction(&r.user, &r.reaction, &r.item, false)?,
        SlackEventCallbackBody::Unknown(v) if v["type"] == "subteam_members_changed" => {
            Delivery::GroupsChanged
        }
        _ => return None,
    };
    Some((ev.event_id.value().clone(), d))
}
