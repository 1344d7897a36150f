//! The Discord adapter on serenity 0.12: slash commands and reactions in,
//! outbox messages out. One small file per job:
//!
//! - [`http`]: the REST client (through `discord.api_base` when set);
//! - [`register`]: `commands/*.toml` → application commands (bulk overwrite);
//! - [`interaction`]: an interaction → the typed `Command` and its answer;
//! - [`render`]: `Outgoing` → embeds, always with a safe `allowed_mentions`;
//! - [`chat`]: the [`crate::chat::Chat`] port over REST;
//! - [`members`]: members' roles over the gateway (Request Guild Members);
//! - [`handler`]: the gateway events, of the [`served`] server only;
//! - [`followup`]: answers a crash kept from Discord, sent after the restart;
//! - [`runner`]: connects the gateway client and runs [`crate::service`]
//!   (which owns commands, reactions, outbox delivery and due jobs).

pub mod chat;
pub mod followup;
pub mod handler;
pub mod http;
pub mod interaction;
pub mod members;
pub mod register;
pub mod render;
pub mod runner;
pub mod served;

pub use runner::{run, TokenRefused};
