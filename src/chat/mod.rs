//! The chat port: what the bot does to a chat platform and what it hears
//! back. Handlers never call it; the outbox worker and the scheduler do.
//! Adapters: `console` (the local terminal chat); Discord comes next.

pub mod console;
pub mod discord;
pub mod message;
pub mod slack;

pub use message::{Attachment, Choice, Fact, Line, Message, Outgoing, StateClass};

use async_trait::async_trait;
use std::time::Duration;

/// Somebody who reacted to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reactor {
    /// Platform user id.
    pub user: String,
    /// Display name.
    pub name: String,
    /// Their chat roles (ids or names), mapped to ITIL roles by config.
    pub chat_roles: Vec<String>,
    /// The bot itself (its own reactions never vote).
    pub bot: bool,
}

/// Why the platform did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    /// Try again (rate limit, server error, network), after `after` if the platform said.
    #[error("temporary failure: {message}")]
    Retry {
        /// The platform's wait, if it gave one.
        after: Option<Duration>,
        /// What happened.
        message: String,
    },
    /// It will never work (unknown channel, no permission).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// Where a posted message lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// The channel (for a DM, the DM channel).
    pub channel: String,
    /// The platform's message id.
    pub id: String,
}

/// What the bot does to a chat.
#[async_trait]
pub trait Chat: Send + Sync {
    /// Posts to a channel. `nonce` identifies the outbox entry, so a retried
    /// post after a crash is not posted twice where the platform can tell.
    async fn post(&self, channel: &str, message: &Outgoing, nonce: &str) -> Result<Posted, ChatError>;
    /// Replaces a posted message's content.
    async fn edit(&self, at: &Posted, message: &Outgoing) -> Result<(), ChatError>;
    /// Adds the bot's reaction.
    async fn react(&self, at: &Posted, emoji: &str) -> Result<(), ChatError>;
    /// Everyone who currently has `emoji` on the message.
    async fn reactions(&self, at: &Posted, emoji: &str) -> Result<Vec<Reactor>, ChatError>;
    /// Sends a direct message.
    async fn direct(&self, user: &str, message: &Outgoing, nonce: &str) -> Result<Posted, ChatError>;
}
