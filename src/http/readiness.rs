//! `GET /api/v1/readiness`: the readiness `/deploy start` acts on, as JSON.

use super::api::{release, release_id};
use super::auth::authorize;
use super::docs::{CheckDoc, ErrorDoc, ReadinessDoc};
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
#[utoipa::path(
    get,
    path = "/api/v1/readiness",
    tag = "pipelines",
    params(
        ("release" = String, Query, description = "The release, REL-n"),
        ("env" = String, Query, description = "The environment")
    ),
    security(("token" = ["readiness"])),
    responses(
        (status = 200, description = "The checks /deploy start applies, now", body = ReadinessDoc),
        (status = 400, description = "A bad parameter or body", body = ErrorDoc),
        (status = 401, description = "No live token", body = ErrorDoc),
        (status = 403, description = "The token lacks the scope", body = ErrorDoc),
        (status = 404, description = "No such release", body = ErrorDoc)
    )
)]
pub async fn readiness(
    state: St,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<ReadinessDoc>, ApiError> {
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
pub async fn assess(served: &Served, id: RecordId, env: &str) -> Result<ReadinessDoc, ApiError> {
    let release = release(served, id).await?;
    let ctx = served.app.ctx(&served.guild);
    let env = handlers::readiness::env_name(&release, env);
    let mut conn = served.app.db.pool.acquire().await.map_err(anyhow::Error::from)?;
    let explained = handlers::readiness::explain(&mut conn, ctx, &release, &env).await?;
    let r = &explained.readiness;
    let checks = r
        .checks
        .iter()
        .zip(&explained.details)
        .map(|(c, detail)| CheckDoc {
            check: c.kind.key().to_string(),
            ok: c.ok,
            detail: detail.clone(),
            until: c.until.map(words::api_time),
        })
        .collect();
    Ok(ReadinessDoc {
        ready: r.ready(),
        release: id.to_string(),
        env,
        state: release.lifecycle.state.key().to_string(),
        checks,
        next_opening: r.next_opening().map(|o| words::api_time(o.start)),
    })
}
