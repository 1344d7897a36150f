//! The Slack adapter on slack-morphism 2: slash commands, interactions and
//! events in (Socket Mode, or signed HTTP deliveries), outbox messages out
//! over the Web API. One small file per job:
//!
//! - [`config`]: `[slack]` and the three secrets from the environment;
//! - [`blocks`]: the message model → Block Kit within Slack's limits, vote buttons;
//! - [`chat`]: the [`crate::chat::Chat`] port over the Web API;
//! - [`roles`]: chat roles from user groups, cached;
//! - [`inbound`]: slash commands → the console grammar, and deduplication;
//! - [`interact`]: vote buttons and the reason form;
//! - [`dispatch`]: deliveries → the service's work, answers back;
//! - [`followup`]: answers owed from before a restart;
//! - [`signature`]: `X-Slack-Signature` checks for HTTP mode;
//! - [`manifest`]: the app manifest from `commands/*.toml`;
//! - [`socket`]: Socket Mode; [`http`]: HTTP mode (`[slack] listen`);
//! - [`runner`]: connects and runs the platform-neutral service.

pub mod blocks;
pub mod chat;
pub mod config;
pub mod dispatch;
pub mod followup;
pub mod http;
pub mod inbound;
pub mod interact;
pub mod manifest;
pub mod roles;
pub mod runner;
pub mod signature;
pub mod socket;
