//! What the API's writes share: a token's call of the same handlers as the
//! chat commands, with the token's name as the actor, once per
//! Idempotency-Key.

use super::auth::authorize;
use super::{ApiError, Served};
use crate::db;
use crate::domain::ids::{RecordId, RecordKind};
use crate::domain::records::{Actor, Release};
use crate::domain::token::Scope;
use crate::handlers::{self, Ctx, Failure, Invoker, Reply};
use crate::render::readiness as words;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;

/// Longest accepted notes, reasons and URLs: what a chat option allows.
const MAX_TEXT: usize = 1000;
/// Longest accepted Idempotency-Key.
const MAX_KEY: usize = 200;

pub(super) fn release_id(text: &str) -> Result<RecordId, ApiError> {
    RecordId::parse_as(RecordKind::Release, text)
        .ok_or_else(|| ApiError::bad_request(words::bad_request("release", "a release id such as REL-1")))
}

pub(super) async fn release(served: &Served, id: RecordId) -> Result<Release, ApiError> {
    let mut conn = served.app.db.pool.acquire().await.map_err(anyhow::Error::from)?;
    db::releases::get(&mut conn, &served.guild, id.n)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                words::no_release(&id.to_string()),
            )
        })
}

pub(super) fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.is_empty() { b"{}" } else { bytes };
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("the JSON body: {e}")))
}

pub(super) fn text(what: &str, v: Option<String>) -> Result<Option<String>, ApiError> {
    match v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > MAX_TEXT || s.chars().any(char::is_control) => {
            Err(ApiError::bad_request(words::bad_request(
                what,
                &format!("one line of at most {MAX_TEXT} characters"),
            )))
        }
        other => Ok(other),
    }
}

pub(super) fn with_url(notes: Option<String>, url: Option<String>) -> Result<Option<String>, ApiError> {
    let url = text("url", url)?;
    if let Some(u) = &url {
        if !(u.starts_with("https://") || u.starts_with("http://")) || u.contains(char::is_whitespace) {
            return Err(ApiError::bad_request(words::bad_request(
                "url",
                "an http:// or https:// URL",
            )));
        }
    }
    Ok(match (notes, url) {
        (Some(n), Some(u)) => Some(format!("{n} ({u})")),
        (n, u) => n.or(u),
    })
}

/// What a handler call needs from the request, once authorized.
pub(super) struct Call<'a> {
    served: &'a Served,
    token: String,
    key: Option<String>,
    id: RecordId,
}

impl Call<'_> {
    /// Runs `run` as the token, once per Idempotency-Key: the first answer
    /// is kept and returned to every retry.
    pub(super) async fn run(self, action: Action) -> Result<Response, ApiError> {
        let served = self.served;
        let guild = served.guild.as_str();
        let mut conn = served.app.db.pool.acquire().await.map_err(anyhow::Error::from)?;
        if let Some(key) = &self.key {
            if let Some(kept) = db::tokens::answer(&mut conn, guild, &self.token, key).await? {
                return Ok(kept_response(kept));
            }
        }
        drop(conn);
        release(served, self.id).await?;
        let claim = self
            .key
            .as_ref()
            .map(|k| format!("api:{guild}:{}:{k}", self.token));
        let ctx = Ctx {
            key: claim.as_deref(),
            ..served.app.ctx(guild)
        };
        let who = Invoker {
            actor: Actor {
                id: format!("token:{}", self.token),
                name: self.token.clone(),
                roles: Default::default(),
            },
            channel: served.app.config.channels.deployments.clone(),
        };
        let (status, doc) = match action.run(ctx, &who, self.id).await {
            Ok(reply) => {
                let (Reply::Public(out) | Reply::Private(out)) = &reply;
                if let Reply::Public(out) = &reply {
                    // Said where the chat command would have said it: the deployments channel.
                    served
                        .app
                        .post(guild, &served.app.config.channels.deployments, out)
                        .await?;
                }
                let mut conn = served.app.db.pool.acquire().await.map_err(anyhow::Error::from)?;
                let after = db::releases::get(&mut conn, guild, self.id.n).await?;
                let doc = super::docs::ResultDoc {
                    ok: true,
                    release: self.id.to_string(),
                    state: after.map(|r| r.lifecycle.state.key().to_string()),
                    message: out.plain(),
                };
                (
                    StatusCode::OK,
                    serde_json::to_value(doc).map_err(anyhow::Error::from)?,
                )
            }
            Err(Failure::User(msg)) => {
                let e = ApiError::new(StatusCode::CONFLICT, "refused", msg);
                (e.status(), e.body())
            }
            Err(Failure::Internal(e)) => return Err(ApiError::internal(e)),
            Err(Failure::Duplicate) => {
                let key = self.key.clone().unwrap_or_default();
                let mut conn = served.app.db.pool.acquire().await.map_err(anyhow::Error::from)?;
                return match db::tokens::answer(&mut conn, guild, &self.token, &key).await? {
                    Some(kept) => Ok(kept_response(kept)),
                    None => Err(ApiError::new(
                        StatusCode::CONFLICT,
                        "in_progress",
                        words::in_progress(&key),
                    )),
                };
            }
        };
        let body = doc.to_string();
        if let Some(key) = &self.key {
            db::tokens::keep_answer(
                &served.app.db,
                guild,
                &self.token,
                key,
                status.as_u16(),
                &body,
                served.app.clock.now(),
            )
            .await?;
        }
        Ok((status, Json(doc)).into_response())
    }
}

/// What a POST asks the handlers to do.
pub(super) enum Action {
    Build(Option<String>),
    Test(bool, Option<String>),
    Start(String),
    Step(String, u32, bool, Option<String>),
    Verify(String, bool, Option<String>),
    Backout(String, String),
}

impl Action {
    async fn run(self, ctx: Ctx<'_>, who: &Invoker, id: RecordId) -> handlers::Handled {
        use handlers::{deploy, release};
        match self {
            Action::Build(notes) => release::build(ctx, who, id, notes).await,
            Action::Test(passed, notes) => release::test(ctx, who, id, passed, notes).await,
            Action::Start(env) => deploy::start(ctx, who, id, env).await,
            Action::Step(env, n, failed, note) => deploy::step(ctx, who, id, env, n, failed, note).await,
            Action::Verify(env, confirmed, notes) => {
                deploy::verify(ctx, who, id, env, confirmed, notes).await
            }
            Action::Backout(env, reason) => deploy::backout(ctx, who, id, env, reason).await,
        }
    }
}

fn kept_response((status, body): (u16, String)) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
    (status, Json(doc)).into_response()
}

pub(super) async fn call<'a>(
    served: &'a Served,
    headers: &HeaderMap,
    scope: Scope,
    id: &str,
) -> Result<Call<'a>, ApiError> {
    let token = authorize(served, headers, scope).await?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= MAX_KEY)
                .ok_or_else(|| {
                    ApiError::bad_request(words::bad_request(
                        "Idempotency-Key",
                        &format!("1 to {MAX_KEY} visible ASCII characters"),
                    ))
                })?
                .to_string(),
        ),
    };
    Ok(Call {
        served,
        token: token.name,
        key,
        id: release_id(id)?,
    })
}
