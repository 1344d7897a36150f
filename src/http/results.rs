//! Pipeline results: `POST …/builds` and `POST …/tests` record what
//! `/release build` and `/release test` record.

use super::api::{body, call, text, with_url, Action};
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

/// `{ "notes", "url"? }`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildBody {
    notes: Option<String>,
    url: Option<String>,
}

/// `POST /api/v1/releases/{id}/builds`: what `/release build` records.
#[utoipa::path(
    post,
    path = "/api/v1/releases/{id}/builds",
    tag = "pipelines",
    request_body = BuildBody,
    params(
        ("id" = String, Path, description = "The release, REL-n"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried POST with this key returns the first answer")
    ),
    security(("token" = ["results"])),
    responses(RecordedAnswers)
)]
pub async fn builds(
    state: St,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let c = call(&state, &headers, Scope::Results, &id).await?;
    let b: BuildBody = body(&raw)?;
    let notes = with_url(text("notes", b.notes)?, b.url)?;
    c.run(Action::Build(notes)).await
}

/// `{ "result": "pass" | "fail", "notes", "url"? }`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestBody {
    result: String,
    notes: Option<String>,
    url: Option<String>,
}

/// `POST /api/v1/releases/{id}/tests`: what `/release test` records.
#[utoipa::path(
    post,
    path = "/api/v1/releases/{id}/tests",
    tag = "pipelines",
    request_body = TestBody,
    params(
        ("id" = String, Path, description = "The release, REL-n"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried POST with this key returns the first answer")
    ),
    security(("token" = ["results"])),
    responses(RecordedAnswers)
)]
pub async fn tests(
    state: St,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let c = call(&state, &headers, Scope::Results, &id).await?;
    let b: TestBody = body(&raw)?;
    let passed = match b.result.as_str() {
        "pass" => true,
        "fail" => false,
        _ => {
            return Err(ApiError::bad_request(words::bad_request(
                "result",
                "\"pass\" or \"fail\"",
            )))
        }
    };
    let notes = with_url(text("notes", b.notes)?, b.url)?;
    c.run(Action::Test(passed, notes)).await
}
