//! Answers a crash kept from Discord. A record change's answer is recorded with
//! its claim (the interaction id, in `discord_interactions`) and forgotten
//! once Discord took it; a process killed in between leaves it recorded,
//! and the next one sends it as a follow-up message while the interaction's
//! token lasts, or (a record change) to the channel if that fails.

use super::chat::DiscordChat;
use crate::app::App;
use crate::chat::Outgoing;
use crate::db::interactions::{self, Unanswered};
use chrono::{DateTime, Duration, Utc};
use serenity::builder::Builder;
use std::sync::Arc;

/// How long Discord takes follow-ups with an interaction's token.
pub const TOKEN_LIFE: Duration = Duration::minutes(15);

/// Records `message`, the public answer to interaction `key` (a record
/// changed), with `token`, before it is sent. Private answers (refusals,
/// errors, personal views) are not: recording them would make a refusal
/// wait for the database, and nothing changed that a lost one would hide.
pub async fn record(
    app: &App,
    key: String,
    token: String,
    guild: String,
    channel: String,
    message: &Outgoing,
) {
    let answer = Unanswered {
        id: key,
        token,
        guild,
        channel,
        public: true,
        message: message.clone(),
    };
    if let Err(e) = interactions::record_answer(&app.db, &answer).await {
        // The answer still goes out now; only a crash before it would lose it.
        tracing::warn!(error = format!("{e:#}"), interaction = %answer.id, "cannot record the answer");
    }
}

/// Sends every answer recorded before `started` (this process's start)
/// that Discord was not seen to take, while its token lasts.
pub async fn make_up(app: App, chat: Arc<DiscordChat>, started: DateTime<Utc>) {
    // A minute's margin: a token about to run out may not last the request.
    let since = started - TOKEN_LIFE + Duration::minutes(1);
    let owed = match interactions::unanswered(&app.db, &app.config.home_guild(), since, started).await {
        Ok(owed) => owed,
        Err(e) => {
            tracing::error!(
                error = format!("{e:#}"),
                "cannot read the answers owed from before the restart"
            );
            return;
        }
    };
    tracing::info!(owed = owed.len(), "answers owed from before the restart");
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
