//! Operations endpoints: alive, ready, measured.

use super::St;
use axum::http::StatusCode;
use axum::Json;

/// `GET /healthz`: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "Alive", body = Object)))]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`: the database takes a write transaction, and the chat is
/// connected — or this instance is a standby (PostgreSQL), which connects to
/// no chat until it takes over: ready as a standby, and `leader: false` says so.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Database writable; chat connected, or a standby (`leader: false`)", body = Object),
        (status = 503, description = "`{ ready, database, chat, leader }` says which is not", body = Object)
    )
)]
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
    let leader = state.app.leader.leading();
    // A leader without its chat is not serving; a standby is not meant to.
    let ready = database && (chat || !leader);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(serde_json::json!({ "ready": ready, "database": database, "chat": chat, "leader": leader })),
    )
}

/// `GET /metrics`: the process's measures and the workspace's records'
/// counts, in the OpenMetrics text format Prometheus scrapes.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text", body = String))
)]
pub async fn metrics(state: St) -> Result<axum::response::Response, super::ApiError> {
    use axum::response::IntoResponse;
    let mut conn = state.app.db.pool.acquire().await.map_err(anyhow::Error::from)?;
    let counts = crate::db::gauges::counts(&mut conn, &state.guild).await?;
    drop(conn);
    state.app.telemetry.set_leader(state.app.leader.leading());
    let body = state.app.telemetry.encode(&counts);
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response())
}
