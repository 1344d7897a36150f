//! The HTTP server: the readiness API, pipeline results and the operations
//! endpoints. It serves one workspace and calls the same handlers as chat.

mod api;
mod auth;
mod deploy;
mod docs;
mod github;
mod gitlab;
mod openapi;
mod ops;
mod readiness;
mod results;
pub mod tokens;

use crate::app::App;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// Bodies larger than this are refused (413) before they are read.
const BODY_LIMIT: usize = 64 * 1024;

/// A request still running after this is abandoned (503).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// What the server works with.
pub struct Served {
    /// The application: database, configuration, clock.
    pub app: App,
    /// The workspace whose records the API reads and changes.
    pub guild: String,
    /// The GitHub App, when gating GitHub deployments.
    pub github: Option<github::Credentials>,
}

impl Served {
    /// The server's state for `guild`, without GitHub gating. Whether the
    /// chat is connected is the app's telemetry's to say.
    pub fn new(app: App, guild: String) -> Arc<Served> {
        Arc::new(Served {
            app,
            guild,
            github: None,
        })
    }

    /// The server's state with the GitHub App read from the environment
    /// (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY, GITHUB_WEBHOOK_SECRET).
    pub fn from_env(app: App, guild: String) -> anyhow::Result<Arc<Served>> {
        Ok(Arc::new(Served {
            app,
            guild,
            github: github::Credentials::from_env()?,
        }))
    }
}

/// An error as the API answers it: `{ "error": { "code", "message" } }`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// An error with its status, stable code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad_request(message: String) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    fn internal(e: anyhow::Error) -> ApiError {
        tracing::error!(error = format!("{e:#}"), "api request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            crate::render::readiness::internal(),
        )
    }

    /// The JSON body of the error.
    pub fn body(&self) -> serde_json::Value {
        let doc = docs::ErrorDoc {
            error: docs::ErrorDetail {
                code: self.code.to_string(),
                message: self.message.clone(),
            },
        };
        serde_json::to_value(doc).unwrap_or_default()
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

/// The routes, with the body limit, the timeout and a span per request.
pub fn router(served: Arc<Served>) -> Router {
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/api/v1/openapi.json", get(openapi::openapi))
        .route("/api/v1/readiness", get(readiness::readiness))
        .route("/api/v1/releases/{id}/builds", post(results::builds))
        .route("/api/v1/releases/{id}/tests", post(results::tests))
        .route(
            "/api/v1/releases/{id}/deployments/{env}/start",
            post(deploy::start),
        )
        .route(
            "/api/v1/releases/{id}/deployments/{env}/steps/{n}",
            post(deploy::step),
        )
        .route(
            "/api/v1/releases/{id}/deployments/{env}/verify",
            post(deploy::verify),
        )
        .route(
            "/api/v1/releases/{id}/deployments/{env}/backout",
            post(deploy::backout),
        )
        .route("/webhooks/github", post(github::webhook))
        .route("/webhooks/gitlab", post(gitlab::webhook))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(limits))
        .with_state(served)
}

async fn no_route(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        crate::render::readiness::no_route(req.uri().path()),
    )
}

async fn wrong_method(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} is not allowed on {}", req.method(), req.uri().path()),
    )
}

/// One span per request (method, path, status; never the token), the
/// timeout, and JSON for the errors axum answers by itself (a body too large).
async fn limits(req: Request, next: Next) -> Response {
    let span = tracing::info_span!("http", method = %req.method(), path = req.uri().path(), status = tracing::field::Empty);
    let started = std::time::Instant::now();
    async move {
        let response = match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
            Ok(r) => r,
            Err(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                crate::render::readiness::timed_out(),
            )
            .into_response(),
        };
        let response = if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is larger than {BODY_LIMIT} bytes"),
            )
            .into_response()
        } else {
            response
        };
        tracing::Span::current().record("status", response.status().as_u16());
        tracing::info!(ms = started.elapsed().as_millis() as u64, "request");
        response
    }
    .instrument(span)
    .await
}

/// Serves on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    served: Arc<Served>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, guild = %served.guild, "http server listening");
    axum::serve(listener, router(served))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// A server started by [`start`] (none when no address was given).
pub struct Running(
    Option<(
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<anyhow::Result<()>>,
    )>,
);

impl Running {
    /// Stops the server, letting requests in flight finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        let Some((stop, task)) = self.0 else { return Ok(()) };
        let _ = stop.send(());
        task.await?
    }
}

/// Starts the HTTP server of `app` for `guild` on `addr`, if given (GitHub's
/// App from the environment); it also stops when the [`Running`] is dropped.
pub async fn start(app: &App, guild: &str, addr: Option<std::net::SocketAddr>) -> anyhow::Result<Running> {
    use anyhow::Context;
    let Some(addr) = addr else {
        return Ok(Running(None));
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("the HTTP server cannot listen on {addr}"))?;
    eprintln!("HTTP API on http://{}", listener.local_addr()?);
    let served = Served::from_env(app.clone(), guild.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, served, async move {
        let _ = stopped.await;
    }));
    Ok(Running(Some((stop, task))))
}

type St = State<Arc<Served>>;

/// The client for answers to GitHub and GitLab (rustls, the one TLS stack).
fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .user_agent("release-desk")
        .build()?)
}

// The providers' side of gated pipelines lives here, above github and gitlab, so
// each can answer at once through the one sender without the two depending on each other.
/// Sends answers to the provider each names (GitHub's callback URL with an
/// installation token, GitLab's approval API), with their secrets from the
/// environment at each send.
#[derive(Debug, Clone, Copy, Default)]
pub struct Answers;

#[async_trait::async_trait]
impl crate::handlers::gate::Pipelines for Answers {
    async fn send(
        &self,
        ctx: crate::handlers::Ctx<'_>,
        answer: &crate::handlers::gate::Answer,
    ) -> anyhow::Result<()> {
        match &answer.target {
            crate::handlers::gate::Target::Github { .. } => github::send(ctx, answer).await,
            crate::handlers::gate::Target::Gitlab { .. } => gitlab::send(ctx, answer).await,
        }
    }
}
