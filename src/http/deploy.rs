//! A CD pipeline drives a deployment: `POST …/deployments/{env}/start`,
//! `steps/{n}`, `verify`, `backout` — the `/deploy` lifecycle.

use super::api::{body, call, text, Action};
use super::docs::RecordedAnswers;
use super::{ApiError, St};
use crate::domain::token::Scope;
use crate::render::readiness as words;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;

/// `POST …/deployments/{env}/start`: `/deploy start`, the same gate.
#[utoipa::path(
    post,
    path = "/api/v1/releases/{id}/deployments/{env}/start",
    tag = "pipelines",
    params(
        ("id" = String, Path, description = "The release, REL-n"),
        ("env" = String, Path, description = "The environment"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried POST with this key returns the first answer")
    ),
    security(("token" = ["deploy"])),
    responses(RecordedAnswers)
)]
pub async fn start(
    state: St,
    Path((id, env)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = call(&state, &headers, Scope::Deploy, &id).await?;
    c.run(Action::Start(env)).await
}

/// `{ "failed"?: bool, "note"? }`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    #[serde(default)]
    failed: bool,
    note: Option<String>,
}

/// `POST …/deployments/{env}/steps/{n}`: `/deploy step`.
#[utoipa::path(
    post,
    path = "/api/v1/releases/{id}/deployments/{env}/steps/{n}",
    tag = "pipelines",
    request_body = StepBody,
    params(
        ("id" = String, Path, description = "The release, REL-n"),
        ("env" = String, Path, description = "The environment"),
        ("n" = u32, Path, description = "The step, from 1"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried POST with this key returns the first answer")
    ),
    security(("token" = ["deploy"])),
    responses(RecordedAnswers)
)]
pub async fn step(
    state: St,
    Path((id, env, n)): Path<(String, String, String)>,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let c = call(&state, &headers, Scope::Deploy, &id).await?;
    let n: u32 = n
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::bad_request(words::bad_request("step", "a step number from 1")))?;
    let b: StepBody = body(&raw)?;
    let note = text("note", b.note)?;
    c.run(Action::Step(env, n, b.failed, note)).await
}

/// `{ "confirmed": bool, "notes"? }`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    confirmed: bool,
    notes: Option<String>,
}

/// `POST …/deployments/{env}/verify`: `/deploy verify`.
#[utoipa::path(
    post,
    path = "/api/v1/releases/{id}/deployments/{env}/verify",
    tag = "pipelines",
    request_body = VerifyBody,
    params(
        ("id" = String, Path, description = "The release, REL-n"),
        ("env" = String, Path, description = "The environment"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried POST with this key returns the first answer")
    ),
    security(("token" = ["deploy"])),
    responses(RecordedAnswers)
)]
pub async fn verify(
    state: St,
    Path((id, env)): Path<(String, String)>,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let c = call(&state, &headers, Scope::Deploy, &id).await?;
    let b: VerifyBody = body(&raw)?;
    let notes = text("notes", b.notes)?;
    c.run(Action::Verify(env, b.confirmed, notes)).await
}

/// `{ "reason" }`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BackoutBody {
    reason: Option<String>,
}

/// `POST …/deployments/{env}/backout`: `/deploy backout`.
#[utoipa::path(
    post,
    path = "/api/v1/releases/{id}/deployments/{env}/backout",
    tag = "pipelines",
    request_body = BackoutBody,
    params(
        ("id" = String, Path, description = "The release, REL-n"),
        ("env" = String, Path, description = "The environment"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried POST with this key returns the first answer")
    ),
    security(("token" = ["deploy"])),
    responses(RecordedAnswers)
)]
pub async fn backout(
    state: St,
    Path((id, env)): Path<(String, String)>,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let c = call(&state, &headers, Scope::Deploy, &id).await?;
    let b: BackoutBody = body(&raw)?;
    let reason = text("reason", b.reason)?.ok_or_else(|| {
        ApiError::bad_request(words::bad_request("reason", "why the deployment is backed out"))
    })?;
    c.run(Action::Backout(env, reason)).await
}
