//! Bearer tokens: who is calling, and may they.

use super::{ApiError, Served};
use crate::db::tokens::{self, TokenInfo};
use crate::domain::token::{self, Scope};
use crate::render::readiness as words;
use axum::http::{header, HeaderMap, StatusCode};

/// The live token in `Authorization: Bearer …` holding `scope`: 401 when it
/// is missing, unknown or revoked, 403 when it lacks the scope.
pub async fn authorize(served: &Served, headers: &HeaderMap, scope: Scope) -> Result<TokenInfo, ApiError> {
    let unauthorized = |m: String| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m);
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized(words::no_token()))?;
    let mut conn = served.app.db.pool.acquire().await.map_err(anyhow::Error::from)?;
    let found = tokens::find(&mut conn, &served.guild, &token::digest(presented))
        .await?
        .ok_or_else(|| unauthorized(words::bad_token()))?;
    if !found.scopes.split(',').any(|s| Scope::parse(s) == Some(scope)) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            words::missing_scope(&found.name, scope.key()),
        ));
    }
    Ok(found)
}
