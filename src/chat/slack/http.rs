//! HTTP mode (`[slack] listen`): slash commands, interactivity and Events
//! API deliveries on one path, each verified with the signing secret
//! ([`super::signature`]) against the clock before anything is read, and
//! acknowledged at once. Slack's retries (`X-Slack-Retry-Num`) carry the
//! same ids, so the [`Inbox`] acknowledges them without redoing the work.

use super::inbound::{self, Inbox};
use super::signature;
use crate::clock::Clock;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;

/// What the endpoint needs.
#[derive(Clone)]
pub struct Endpoint {
    /// The signing secret.
    pub secret: super::config::Secret,
    /// For the five-minute window.
    pub clock: Arc<dyn Clock>,
    /// Where deliveries go.
    pub inbox: Arc<Inbox>,
}

/// The router: `POST /slack/events`.
pub fn router(endpoint: Endpoint) -> axum::Router {
    axum::Router::new()
        .route(super::manifest::EVENTS_PATH, axum::routing::post(deliver))
        .with_state(endpoint)
}

/// Serves `router` on `addr` until the process ends.
pub async fn serve(addr: std::net::SocketAddr, endpoint: Endpoint) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("slack.listen {addr}: {e}"))?;
    axum::serve(listener, router(endpoint)).await?;
    Ok(())
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn deliver(State(e): State<Endpoint>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(why) = signature::verify(
        e.secret.expose(),
        header(&headers, "x-slack-request-timestamp"),
        header(&headers, "x-slack-signature"),
        &body,
        e.clock.now(),
    ) {
        tracing::warn!(reason = %why, "Slack delivery refused");
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if let Some(n) = header(&headers, "x-slack-retry-num") {
        tracing::debug!(
            retry = n,
            reason = header(&headers, "x-slack-retry-reason"),
            "Slack retried a delivery"
        );
    }
    let json = header(&headers, "content-type").is_some_and(|c| c.starts_with("application/json"));
    if json {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        if v["type"] == "url_verification" {
            return v["challenge"].as_str().unwrap_or("").to_string().into_response();
        }
        if v["type"] == "event_callback" {
            match serde_json::from_value::<slack_morphism::prelude::SlackPushEventCallback>(v) {
                Ok(ev) => {
                    if let Some((id, d)) = inbound::push(&ev) {
                        e.inbox.take(&id, d);
                    }
                }
                Err(err) => tracing::warn!(error = %err, "an event that does not read; acknowledged"),
            }
        }
        return StatusCode::OK.into_response();
    }
    let Ok(form) = serde_urlencoded::from_bytes::<HashMap<String, String>>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if let Some(payload) = form.get("payload") {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(payload) else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        if let Some((id, d)) = super::interact::interaction(&v) {
            e.inbox.take(&id, d);
        }
        // An empty 200 also closes a submitted form.
        return StatusCode::OK.into_response();
    }
    let Ok(value) = serde_json::to_value(&form) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    match serde_json::from_value::<slack_morphism::prelude::SlackCommandEvent>(value) {
        Ok(ev) => {
            e.inbox.take(
                slack_morphism::prelude::ValueStruct::value(&ev.trigger_id),
                inbound::command(&ev),
            );
            StatusCode::OK.into_response()
        }
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}
