//! `GET /api/v1/openapi.json`: the API described by utoipa from the
//! handlers' own annotations and the documents they answer with.

use super::St;
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
