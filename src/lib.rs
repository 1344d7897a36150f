//! release-desk: ITIL Release and Deployment Management as a chat-ops bot.
//!
//! `domain` holds the rules (pure), `handlers` apply them to stored records,
//! `db` holds all SQL, `render` all wording, `chat` the platform port and its
//! adapters, `scheduler` the persisted jobs and the outbox delivery.

pub mod app;
pub mod chat;
pub mod clock;
pub mod command;
pub mod config;
pub mod db;
pub mod domain;
pub mod handlers;
pub mod http;
pub mod render;
pub mod scheduler;
pub mod service;
pub mod telemetry;
