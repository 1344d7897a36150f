//! `GET /api/v1/readiness`: the readiness `/deploy start` acts on, as JSON.

use super::api::{release, release_id};
use super::auth::authorize;
use super::{ApiError, Served, St};
use crate::domain::ids::RecordId;
use crate::domain::token::Scope;
use crate::handlers;
use crate::render::readiness as words;
use axum::extract::Query;
use axum::http::HeaderMap;
use axum::Json;
use std::collections::HashMap;

/// `GET /api/v1/readiness?release=REL-n&env=prod`.
pub async fn readiness(
    state: St,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorize(&state, &headers, Scope::Readiness).await?;
    let id = release_id(q.get("release").map(String::as_str).unwrap_or(""))?;
    let env = q
        .get("env")
        .map(|e| e.trim())
        .filter(|e| !e.is_empty() && e.len() <= 100)
        .ok_or_else(|| ApiError::bad_request(words::bad_request("env", "an environment such as prod")))?;
    let served: &Served = &state;
    Ok(Json(assess(served, id, env).await?))
}

/// The readiness document of `id` for `env`, as `/deploy start` would decide now.
pub async fn assess(served: &Served, id: RecordId, env: &str) -> Result<serde_json::Value, ApiError> {
    let release = release(served, id).await?;
    let ctx = served.app.ctx(&served.guild);
    let env = handlers::readiness::env_name(&release, env);
    let mut conn = served.app.db.pool.acquire().await.map_err(anyhow::Error::from)?;
    let explained = handlers::readiness::explain(&mut conn, ctx, &release, &env).await?;
    let r = &explained.readiness;
    let checks: Vec<serde_json::Value> = r
        .checks
        .iter()
        .zip(&explained.details)
        .map(|(c, detail)| {
            let mut v = serde_json::json!({ "check": c.kind.key(), "ok": c.ok, "detail": detail });
            if let Some(u) = c.until {
                v["until"] = words::api_time(u).into();
            }
            v
        })
        .collect();
    let mut doc = serde_json::json!({
        "ready": r.ready(),
        "release": id.to_string(),
        "env": env,
        "state": release.lifecycle.state.key(),
        "checks": checks,
    });
    if let Some(o) = r.next_opening() {
        doc["next_opening"] = words::api_time(o.start).into();
    }
    Ok(doc)
}
