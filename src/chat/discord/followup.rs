//! Answers a crash kept from Discord. A record change's answer is recorded with
//! its claim (the interaction id, in `interactions`), by the command's own
//! commit, and forgotten once Discord took it; a process killed in between leaves it recorded,
//! and the next one sends it as a follow-up message while the interaction's
//! token lasts, or (a record change) to the channel if that fails.

use super::chat::DiscordChat;
use crate::app::App;
use crate::db::interactions;
use chrono::{DateTime, Duration, Utc};
use serenity::builder::Builder;

/// How long Discord takes follow-ups with an interaction's token.
pub const TOKEN_LIFE: Duration = Duration::minutes(15);

/// Sends every answer recorded before `started` (this process's start)
/// that Discord was not seen to take, while its token lasts.
pub async fn make_up(app: &App, chat: &DiscordChat, started: DateTime<Utc>) {
    let owed = crate::service::owed(app, started, TOKEN_LIFE).await;
    for a in owed {
        let sent = super::render::followup(&a.message, !a.public)
            .execute(&**chat.http(), (None, &a.token))
            .await;
        match sent {
            Ok(_) => {
                tracing::info!(interaction = %a.id, "answer from before the restart sent as a follow-up")
            }
            Err(e) => {
                tracing::warn!(error = %super::chat::classify(e), interaction = %a.id, "cannot send the answer from before the restart");
                if a.public {
                    match app.post(&a.guild, &a.channel, &a.message).await {
                        Ok(()) => {
                            tracing::info!(interaction = %a.id, "answer from before the restart queued for the channel")
                        }
                        Err(e) => {
                            tracing::error!(error = format!("{e:#}"), interaction = %a.id, "answer lost: cannot queue it");
                            continue;
                        }
                    }
                }
            }
        }
        if let Err(e) = interactions::answered(&app.db, &a.id).await {
            tracing::warn!(error = format!("{e:#}"), interaction = %a.id, "cannot note the answer as taken");
        }
    }
}

#[serenity::async_trait]
impl crate::service::Platform for DiscordChat {
    async fn make_up(&self, app: &App, started: DateTime<Utc>) {
        make_up(app, self, started).await
    }
}
