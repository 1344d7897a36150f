//! The documents the API answers with, as the OpenAPI description names
//! them (a module of their own so the handlers and the description both
//! use them without depending on each other).

use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

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

/// The answers of every route that records a pipeline result or a
/// deployment step, described once. Never built: the handlers answer with
/// [`ResultDoc`] or an error, and this only tells utoipa which.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum RecordedAnswers {
    #[response(status = 200, description = "Recorded")]
    Recorded(ResultDoc),
    #[response(status = 400, description = "A bad parameter or body")]
    BadRequest(ErrorDoc),
    #[response(status = 401, description = "No live token")]
    Unauthorized(ErrorDoc),
    #[response(status = 403, description = "The token lacks the scope")]
    Forbidden(ErrorDoc),
    #[response(status = 404, description = "No such release")]
    NotFound(ErrorDoc),
    #[response(
        status = 409,
        description = "Refused by the same rules as the chat command (nothing changed)"
    )]
    Refused(ErrorDoc),
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
