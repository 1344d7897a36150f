//! Operations endpoints: alive, ready.

use super::St;
use axum::http::StatusCode;
use axum::Json;

/// `GET /healthz`: the process answers.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`: the database takes a write transaction and the chat is connected.
pub async fn readyz(state: St) -> (StatusCode, Json<serde_json::Value>) {
    // A write transaction taken and rolled back: proves the database is writable.
    let database = match state.app.db.begin().await {
        Ok(tx) => {
            drop(tx);
            true
        }
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "readyz: database not writable");
            false
        }
    };
    let chat = state.app.telemetry.connected();
    let status = if database && chat {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(serde_json::json!({ "ready": database && chat, "database": database, "chat": chat })),
    )
}
