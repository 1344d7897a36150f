//! Socket Mode on slack-morphism: the WebSocket URL comes from
//! `apps.connections.open` (app-level token). Every envelope is handed to
//! the [`Inbox`] and acknowledged at once (slack-morphism sends the ack
//! when a callback returns, so the callbacks never wait for the application);
//! each `hello` (a connection, first or again) asks for a recount.

use super::chat::Connector;
use super::inbound::{self, Inbox};
use slack_morphism::prelude::*;
use std::sync::Arc;

type State = SlackClientEventsUserState;

async fn inbox(state: &State) -> Option<Arc<Inbox>> {
    state.read().await.get_user_state::<Arc<Inbox>>().cloned()
}

async fn on_command(
    ev: SlackCommandEvent,
    _client: Arc<SlackClient<Connector>>,
    state: State,
) -> UserCallbackResult<SlackCommandEventResponse> {
    if let Some(inbox) = inbox(&state).await {
        inbox.take(ev.trigger_id.value(), inbound::command(&ev));
    }
    // An empty payload: the answer follows on the response_url.
    Ok(SlackCommandEventResponse::new(SlackMessageContent::new()))
}

async fn on_push(
    ev: SlackPushEventCallback,
    _client: Arc<SlackClient<Connector>>,
    state: State,
) -> UserCallbackResult<()> {
    if let (Some(inbox), Some((id, d))) = (inbox(&state).await, inbound::push(&ev)) {
        inbox.take(&id, d);
    }
    Ok(())
}

async fn on_interaction(
    ev: SlackInteractionEvent,
    _client: Arc<SlackClient<Connector>>,
    state: State,
) -> UserCallbackResult<()> {
    // Read as the JSON Slack sent, as HTTP mode reads it; an empty ack
    // also closes a submitted form.
    let taken = serde_json::to_value(&ev)
        .ok()
        .and_then(|v| super::interact::interaction(&v));
    if let (Some(inbox), Some((id, d))) = (inbox(&state).await, taken) {
        inbox.take(&id, d);
    }
    Ok(())
}

async fn on_hello(state: State) {
    tracing::info!("Slack Socket Mode connected");
    if let Some(inbox) = inbox(&state).await {
        inbox.connected();
    }
}

fn on_error(
    e: Box<dyn std::error::Error + Send + Sync>,
    _c: Arc<SlackClient<Connector>>,
    _s: State,
) -> HttpStatusCode {
    tracing::warn!(error = %e, "Slack Socket Mode");
    HttpStatusCode::OK
}

/// Connects with the app-level token `app_token` and keeps the
/// connection (reconnecting on `disconnect` and drops) until dropped.
pub async fn listen(
    client: Arc<SlackClient<Connector>>,
    app_token: &str,
    inbox: Arc<Inbox>,
) -> anyhow::Result<SlackClientSocketModeListener<Connector>> {
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_hello_events(|_hello, _client, state| on_hello(state))
        .with_command_events(on_command)
        .with_push_events(on_push)
        .with_interaction_events(on_interaction);
    let env = Arc::new(
        SlackClientEventsListenerEnvironment::new(client)
            .with_error_handler(on_error)
            .with_user_state(inbox),
    );
    // One connection: two would deliver each envelope to one of them anyway,
    // and dedupe covers Slack's redeliveries.
    let config = SlackClientSocketModeConfig::new()
        .with_max_connections_count(1)
        .with_initial_backoff_in_seconds(1);
    let listener = SlackClientSocketModeListener::new(&config, env, callbacks);
    let token = SlackApiToken::new(app_token.to_string().into());
    listener.listen_for(&token).await.map_err(|e| {
        anyhow::anyhow!("Slack Socket Mode (apps.connections.open): {e} — check SLACK_APP_TOKEN")
    })?;
    listener.start().await;
    Ok(listener)
}
