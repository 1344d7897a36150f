//! Answers owed from before a restart: a slash command's public answer is
//! recorded with its `response_url` by the command's own commit, before it
//! is sent, and noted as taken once Slack took it. At the first connection after a
//! restart the answers not taken are sent again, on the `response_url`
//! while Slack still takes it (30 minutes), else posted in the channel.
//! Older ones are not looked for, as with Discord's tokens.

use super::chat::SlackChat;
use crate::app::App;
use crate::db::interactions;
use chrono::{DateTime, Duration, Utc};

/// How long Slack takes answers on a `response_url`.
pub const RESPONSE_URL_LIFE: Duration = Duration::minutes(30);

/// Sends what was owed when the process before this one stopped.
pub async fn make_up(app: &App, chat: &SlackChat, started: DateTime<Utc>) {
    let owed = crate::service::owed(app, started, RESPONSE_URL_LIFE).await;
    for a in owed {
        let body = super::inbound::response(&crate::handlers::Reply::Public(a.message.clone()));
        let sent = match chat.respond(&a.token, &body).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, interaction = %a.id, "cannot send the answer from before the restart");
                false
            }
        };
        if !sent && a.public {
            if let Err(e) = app.post(&a.guild, &a.channel, &a.message).await {
                tracing::error!(error = format!("{e:#}"), interaction = %a.id, "answer lost: cannot queue it");
                continue;
            }
            tracing::info!(interaction = %a.id, "answer from before the restart queued for the channel");
        }
        if let Err(e) = interactions::answered(&app.db, &a.id).await {
            tracing::warn!(error = format!("{e:#}"), interaction = %a.id, "cannot note the answer as taken");
        }
    }
}

#[async_trait::async_trait]
impl crate::service::Platform for SlackChat {
    async fn make_up(&self, app: &App, started: DateTime<Utc>) {
        make_up(app, self, started).await
    }
}
