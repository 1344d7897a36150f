//! GitLab: deployments waiting for approval in a protected environment.
//! The webhook carries GITLAB_WEBHOOK_TOKEN in X-Gitlab-Token; the answer is
//! `POST /projects/:id/deployments/:deployment_id/approval` as GITLAB_TOKEN.

use super::docs::ErrorDoc;
use super::{ApiError, St};
use crate::db;
use crate::handlers::gate::{self, Answer, Asked, Target};
use crate::handlers::Ctx;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use subtle::ConstantTimeEq;

#[derive(Deserialize)]
struct Event {
    object_kind: String,
    status: Option<String>,
    deployment_id: Option<i64>,
    environment: Option<String>,
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    project: Option<Project>,
}

#[derive(Deserialize)]
struct Project {
    id: i64,
}

/// `POST /webhooks/gitlab`: a deployment event whose status is `blocked`
/// (waiting for approval) is decided and answered.
#[utoipa::path(
    post,
    path = "/webhooks/gitlab",
    tag = "webhooks",
    request_body(content = Object, description = "A GitLab deployment event"),
    params(
        ("X-Gitlab-Token" = String, Header, description = "GITLAB_WEBHOOK_TOKEN")
    ),
    responses(
        (status = 200, description = "Decided (`{ decision }`: approved, rejected, waiting) or a redelivery ignored", body = Object),
        (status = 202, description = "Another event or action, ignored", body = Object),
        (status = 400, description = "Not such an event", body = ErrorDoc),
        (status = 401, description = "A wrong X-Gitlab-Token", body = ErrorDoc),
        (status = 404, description = "gitlab gating is not configured", body = ErrorDoc)
    )
)]
pub async fn webhook(
    state: St,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let secret = std::env::var("GITLAB_WEBHOOK_TOKEN")
        .ok()
        .filter(|s| !s.is_empty());
    let (Some(secret), Some(_)) = (secret, state.app.config.gitlab_url.as_ref()) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "GitLab gating is not configured (gitlab.url, GITLAB_WEBHOOK_TOKEN)",
        ));
    };
    let given = headers
        .get("x-gitlab-token")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !bool::from(given.ct_eq(secret.as_bytes())) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "X-Gitlab-Token is not GITLAB_WEBHOOK_TOKEN",
        ));
    }
    let ev: Event = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("not a GitLab event: {e}")))?;
    let (Some(deployment), Some(env), Some(git_ref), Some(project)) =
        (ev.deployment_id, ev.environment, ev.git_ref, ev.project)
    else {
        return Ok((
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "ignored": format!("{} event", ev.object_kind) })),
        ));
    };
    if ev.object_kind != "deployment" || ev.status.as_deref() != Some("blocked") {
        return Ok((
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "ignored": "not a deployment waiting for approval" })),
        ));
    }
    let delivery = headers
        .get("x-gitlab-event-uuid")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}:{deployment}", project.id));
    let ctx = state.app.ctx(&state.guild);
    let mut tx = state.app.db.begin().await?;
    if !db::gate::take_delivery(&mut tx, ctx.guild, "gitlab", &delivery, ctx.now).await? {
        return Ok((
            StatusCode::OK,
            Json(serde_json::json!({ "ignored": "repeated delivery" })),
        ));
    }
    let source = format!("gitlab:{delivery}");
    let asked = Asked {
        target: Target::Gitlab {
            project: project.id,
            deployment,
        },
        env: &env,
        git_ref: &git_ref,
        source: &source,
    };
    let (decision, key) = gate::decide(&mut tx, ctx, &asked).await?;
    tx.commit().await?;
    gate::answer_now(ctx, &key, &super::Answers).await;
    Ok((
        StatusCode::OK,
        Json(serde_json::json!({ "decision": crate::render::gate::decision_key(&decision) })),
    ))
}

/// Sends `answer`; GitLab has no status comment, so a wait sends nothing yet.
pub async fn send(ctx: Ctx<'_>, answer: &Answer) -> anyhow::Result<()> {
    let Target::Gitlab { project, deployment } = &answer.target else {
        anyhow::bail!("not a GitLab answer");
    };
    let Some(state) = &answer.state else {
        return Ok(());
    };
    let url = ctx
        .config
        .gitlab_url
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("gitlab.url is not set"))?;
    let token = std::env::var("GITLAB_TOKEN").map_err(|_| anyhow::anyhow!("GITLAB_TOKEN is not set"))?;
    super::client()?
        .post(format!(
            "{url}/api/v4/projects/{project}/deployments/{deployment}/approval"
        ))
        .header("PRIVATE-TOKEN", token)
        .json(&serde_json::json!({ "status": state, "comment": answer.comment }))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}
