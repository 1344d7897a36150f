//! GitHub: a custom deployment protection rule (a GitHub App). The webhook
//! is verified (HMAC-SHA256 of the raw body, constant time), a redelivery is
//! ignored, and the answer goes to `deployment_callback_url` with an
//! installation token made from the App's JWT (RS256).

use super::docs::ErrorDoc;
use super::{ApiError, St};
use crate::db;
use crate::handlers::gate::{self, Answer, Asked, Target};
use crate::handlers::Ctx;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The App's secrets, only from the environment.
pub struct Credentials {
    app_id: String,
    key: jsonwebtoken::EncodingKey,
    webhook_secret: Vec<u8>,
}

impl Credentials {
    /// From GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY (PEM) and
    /// GITHUB_WEBHOOK_SECRET; None when GITHUB_APP_ID is unset (gating off).
    pub fn from_env() -> anyhow::Result<Option<Credentials>> {
        let var = |k: &str| {
            std::env::var(k)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let Some(app_id) = var("GITHUB_APP_ID") else {
            return Ok(None);
        };
        let pem = var("GITHUB_APP_PRIVATE_KEY")
            .ok_or_else(|| anyhow::anyhow!("GITHUB_APP_ID is set but GITHUB_APP_PRIVATE_KEY is not"))?
            .replace("\\n", "\n");
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|e| anyhow::anyhow!("GITHUB_APP_PRIVATE_KEY: not an RSA private key in PEM ({e})"))?;
        let webhook_secret = var("GITHUB_WEBHOOK_SECRET")
            .ok_or_else(|| anyhow::anyhow!("GITHUB_APP_ID is set but GITHUB_WEBHOOK_SECRET is not"))?
            .into_bytes();
        Ok(Some(Credentials {
            app_id,
            key,
            webhook_secret,
        }))
    }
}

/// Whether `header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under `secret`.
pub fn signed(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(sig) = header
        .and_then(|h| h.strip_prefix("sha256="))
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    // verify_slice compares in constant time.
    mac.verify_slice(&sig).is_ok()
}

#[derive(Deserialize)]
struct Event {
    action: String,
    environment: String,
    deployment_callback_url: String,
    deployment: Deployment,
    installation: Installation,
}

#[derive(Deserialize)]
struct Deployment {
    #[serde(rename = "ref")]
    git_ref: String,
}

#[derive(Deserialize)]
struct Installation {
    id: i64,
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `POST /webhooks/github`.
#[utoipa::path(
    post,
    path = "/webhooks/github",
    tag = "webhooks",
    request_body(content = Object, description = "A GitHub App webhook event (deployment_protection_rule)"),
    params(
        ("X-Hub-Signature-256" = String, Header, description = "sha256=HMAC of the body"),
        ("X-GitHub-Event" = String, Header, description = "deployment_protection_rule or ping"),
        ("X-GitHub-Delivery" = String, Header, description = "Taken once")
    ),
    responses(
        (status = 200, description = "Decided (`{ decision }`: approved, rejected, waiting) or a redelivery ignored", body = Object),
        (status = 202, description = "Another event or action, ignored", body = Object),
        (status = 400, description = "Not such an event", body = ErrorDoc),
        (status = 401, description = "A bad X-Hub-Signature-256", body = ErrorDoc),
        (status = 404, description = "github gating is not configured", body = ErrorDoc)
    )
)]
pub async fn webhook(
    state: St,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let Some(creds) = state.github.as_ref() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "GitHub gating is not configured (GITHUB_APP_ID)",
        ));
    };
    if !signed(
        &creds.webhook_secret,
        &body,
        header(&headers, "x-hub-signature-256"),
    ) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "X-Hub-Signature-256 does not match the body under GITHUB_WEBHOOK_SECRET",
        ));
    }
    let event = header(&headers, "x-github-event").unwrap_or_default();
    if event == "ping" {
        return Ok((StatusCode::OK, Json(serde_json::json!({ "ok": true }))));
    }
    if event != "deployment_protection_rule" {
        return Ok((
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "ignored": format!("event {event:?}") })),
        ));
    }
    let delivery = header(&headers, "x-github-delivery")
        .filter(|d| !d.is_empty() && d.len() <= 100)
        .ok_or_else(|| ApiError::bad_request("X-GitHub-Delivery is missing".into()))?
        .to_string();
    let ev: Event = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("not a deployment_protection_rule event: {e}")))?;
    if ev.action != "requested" {
        return Ok((
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "ignored": format!("action {:?}", ev.action) })),
        ));
    }
    let config = &state.app.config;
    // The installation token goes only to the configured GitHub.
    if !ev
        .deployment_callback_url
        .starts_with(&format!("{}/", config.github_api_base))
    {
        return Err(ApiError::bad_request(format!(
            "deployment_callback_url is not under github.api_base ({})",
            config.github_api_base
        )));
    }
    let ctx = state.app.ctx(&state.guild);
    let mut tx = state.app.db.begin().await?;
    if !db::gate::take_delivery(&mut tx, ctx.guild, "github", &delivery, ctx.now).await? {
        return Ok((
            StatusCode::OK,
            Json(serde_json::json!({ "ignored": "repeated delivery" })),
        ));
    }
    let source = format!("github:{delivery}");
    let asked = Asked {
        target: Target::Github {
            installation: ev.installation.id,
            callback_url: ev.deployment_callback_url.clone(),
            environment: ev.environment.clone(),
        },
        env: &ev.environment,
        git_ref: &ev.deployment.git_ref,
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

#[derive(Serialize)]
struct Claims {
    iat: i64,
    exp: i64,
    iss: String,
}

#[derive(Deserialize)]
struct AccessToken {
    token: String,
}

/// Sends `answer` to its callback URL: an App JWT buys an installation token.
pub async fn send(ctx: Ctx<'_>, answer: &Answer) -> anyhow::Result<()> {
    let Target::Github {
        installation,
        callback_url,
        environment,
    } = &answer.target
    else {
        anyhow::bail!("not a GitHub answer");
    };
    let creds = Credentials::from_env()?.ok_or_else(|| anyhow::anyhow!("GITHUB_APP_ID is not set"))?;
    let now = ctx.now.timestamp();
    // GitHub allows ten minutes; a minute back covers clock drift.
    let claims = Claims {
        iat: now - 60,
        exp: now + 540,
        iss: creds.app_id.clone(),
    };
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &creds.key,
    )?;
    let client = super::client()?;
    let api = &ctx.config.github_api_base;
    let token: AccessToken = client
        .post(format!("{api}/app/installations/{installation}/access_tokens"))
        .bearer_auth(jwt)
        .header("Accept", "application/vnd.github+json")
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let mut body = serde_json::json!({ "environment_name": environment, "comment": answer.comment });
    if let Some(state) = &answer.state {
        body["state"] = state.clone().into();
    }
    client
        .post(callback_url)
        .bearer_auth(token.token)
        .header("Accept", "application/vnd.github+json")
        .json(&body)
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}
