//! `GET /api/v1/openapi.json`: the API described by utoipa from the
//! handlers' own annotations and the documents they answer with.

use super::St;
use axum::Json;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// Every error: `{ "error": { "code", "message" } }`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDoc {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// An error's stable code and its message for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `unauthorized`, `forbidden`, `not_found`, `bad_request`, `refused`, …
    pub code: String,
    /// What to do about it.
    pub message: String,
}

/// A recorded result or deployment step.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultDoc {
    /// Always true: a refusal is an error (409).
    pub ok: bool,
    /// The release, `REL-n`.
    pub release: String,
    /// Its state afterwards.
    pub state: Option<String>,
    /// What the chat command would have said.
    pub message: String,
}

/// Whether a release may deploy to an environment now, and why not.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessDoc {
    /// Every check passes.
    pub ready: bool,
    /// The release, `REL-n`.
    pub release: String,
    /// The environment, as the release names it.
    pub env: String,
    /// The release's state.
    pub state: String,
    /// The checks, in the order `/deploy start` applies them.
    pub checks: Vec<CheckDoc>,
    /// When the calendar next lets it deploy (RFC 3339), if it blocks now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_opening: Option<String>,
}

/// One check of a readiness.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckDoc {
    /// `cab`, `authorization`, `state`, `window`, `freeze` or `lock`.
    pub check: String,
    /// Whether it passes.
    pub ok: bool,
    /// Why, in the words `/deploy start` uses.
    pub detail: String,
    /// Until when it blocks (RFC 3339), when that is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "release-desk",
        description = "Readiness, pipeline results, deployments and gating webhooks of the release desk"
    ),
    paths(
        super::ops::healthz,
        super::ops::readyz,
        super::ops::metrics,
        openapi,
        super::readiness::readiness,
        super::results::builds,
        super::results::tests,
        super::deploy::start,
        super::deploy::step,
        super::deploy::verify,
        super::deploy::backout,
        super::github::webhook,
        super::gitlab::webhook,
    ),
    modifiers(&Bearer)
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    responses((status = 200, description = "This description (OpenAPI 3.1)", body = Object))
)]
pub async fn openapi(_state: St) -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
