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
    // Answers described by `docs::RecordedAnswers` name the result document
    // by reference only; utoipa collects the schemas of `body = …` alone.
    components(schemas(super::docs::ResultDoc)),
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

#[cfg(test)]
mod tests {
    use super::ApiDoc;
    use serde_json::{json, Value};
    use utoipa::OpenApi;

    /// Every route that records a result or a deployment step describes the
    /// same six answers: the result document, or the error document with the
    /// reason a pipeline acts on.
    #[test]
    fn recording_routes_describe_the_result_and_every_refusal() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let result = json!({"$ref": "#/components/schemas/ResultDoc"});
        let error = json!({"$ref": "#/components/schemas/ErrorDoc"});
        let expected = [
            ("200", "Recorded", &result),
            ("400", "A bad parameter or body", &error),
            ("401", "No live token", &error),
            ("403", "The token lacks the scope", &error),
            ("404", "No such release", &error),
            (
                "409",
                "Refused by the same rules as the chat command (nothing changed)",
                &error,
            ),
        ];
        for path in [
            "/api/v1/releases/{id}/builds",
            "/api/v1/releases/{id}/tests",
            "/api/v1/releases/{id}/deployments/{env}/start",
            "/api/v1/releases/{id}/deployments/{env}/steps/{n}",
            "/api/v1/releases/{id}/deployments/{env}/verify",
            "/api/v1/releases/{id}/deployments/{env}/backout",
        ] {
            let responses = &doc["paths"][path]["post"]["responses"];
            let listed: Vec<&String> = responses.as_object().expect(path).keys().collect();
            assert_eq!(listed.len(), expected.len(), "{path}: {listed:?}");
            for (status, description, schema) in expected {
                let answer = &responses[status];
                assert_eq!(answer["description"], description, "{path} {status}");
                let body: &Value = &answer["content"]["application/json"]["schema"];
                assert_eq!(body, schema, "{path} {status}: {answer}");
                let named = body["$ref"].as_str().unwrap();
                let name = named.trim_start_matches("#/components/schemas/");
                assert!(
                    doc["components"]["schemas"][name].is_object(),
                    "{path} {status}: {named} is not described"
                );
            }
        }
    }
}
