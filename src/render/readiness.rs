//! Readiness and the HTTP API, in words: the detail of each check, the
//! errors an API caller gets, and the token command's output.

use crate::db::tokens::TokenInfo;
use crate::domain::calendar::{CalendarError, Gate};
use crate::domain::readiness::{CheckKind, Readiness, StateBlock};
use crate::domain::records::Release;
use crate::domain::timefmt::show_time;
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;

/// The detail of one check. `calendar`: the gate's refusal when it is closed;
/// `lock`: the lock's refusal when another deployment holds the environment.
pub fn detail(
    kind: CheckKind,
    r: &Readiness,
    release: &Release,
    env: &str,
    calendar: Option<&CalendarError>,
    lock: Option<&str>,
    tz: Tz,
) -> String {
    let ok = r.check(kind).ok;
    let state = &release.lifecycle.state;
    match kind {
        CheckKind::Cab if ok => "approved by the CAB".into(),
        CheckKind::Cab => format!("not approved by the CAB (state {state})"),
        CheckKind::Authorization if ok => "authorized by a change manager".into(),
        CheckKind::Authorization => format!("not authorized by a change manager (state {state})"),
        CheckKind::State => match &r.state {
            Ok(()) => format!("a deployment to {env} is planned and may start"),
            Err(StateBlock::Refused(refusal)) => super::refusal(release.rid(), refusal, tz),
            Err(StateBlock::NotATarget) => super::refusal::not_a_target(release, env),
        },
        CheckKind::Window => match (&r.gate, ok) {
            (Gate::Open { opening }, _) => {
                format!("inside {} until {}", opening.window, show_time(opening.end, tz))
            }
            (
                Gate::Emergency {
                    outside_window: true, ..
                },
                _,
            ) => "outside any release window: bypassed (emergency)".into(),
            (_, true) => format!("inside an opening of a window serving {env}"),
            (_, false) => calendar
                .filter(|e| !matches!(e, CalendarError::InFreeze { .. }))
                .map(|e| super::calendar::error(e, tz))
                .unwrap_or_else(|| format!("no opening of a window serving {env} now")),
        },
        CheckKind::Freeze => match (&r.gate, ok) {
            (Gate::Emergency { freeze: Some(f), .. }, _) => {
                format!("inside the freeze {f}: bypassed (emergency)")
            }
            (_, true) => "no freeze".into(),
            (_, false) => calendar
                .map(|e| super::calendar::error(e, tz))
                .unwrap_or_else(|| "inside a freeze".into()),
        },
        CheckKind::Lock if ok => format!("{env} is free"),
        CheckKind::Lock => lock
            .unwrap_or("another deployment holds the environment")
            .to_string(),
    }
}

/// A time as the API gives it: RFC 3339, UTC, seconds.
pub fn api_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `Authorization` missing or not a bearer token.
pub fn no_token() -> String {
    "an API token is required: send Authorization: Bearer <token> (release-desk token create)".into()
}

/// A token that is unknown or revoked.
pub fn bad_token() -> String {
    "the API token is not valid (unknown or revoked)".into()
}

/// A token without the scope a route needs.
pub fn missing_scope(name: &str, scope: &str) -> String {
    format!("the token {name:?} does not have the scope {scope}")
}

/// No release with that id in the served workspace.
pub fn no_release(id: &str) -> String {
    format!("there is no release {id}")
}

/// A parameter or body that does not parse.
pub fn bad_request(what: &str, expected: &str) -> String {
    format!("{what}: expected {expected}")
}

/// A retried POST whose first attempt is still running.
pub fn in_progress(key: &str) -> String {
    format!("a request with Idempotency-Key {key:?} is still being processed; retry shortly")
}

/// No such route.
pub fn no_route(path: &str) -> String {
    format!("no such endpoint: {path}")
}

/// A request that took too long.
pub fn timed_out() -> String {
    "the request took too long and was abandoned; nothing it did was committed unless its answer says so"
        .into()
}

/// Something went wrong inside.
pub fn internal() -> String {
    "internal error; it has been logged".into()
}

/// `token list`.
pub fn token_list(tokens: &[TokenInfo], tz: Tz) -> String {
    if tokens.is_empty() {
        return "no API tokens (release-desk token create --name NAME --scopes readiness,results,deploy)"
            .into();
    }
    tokens
        .iter()
        .map(|t| {
            format!(
                "{}  scopes {}  created {}{}",
                t.name,
                t.scopes,
                show_time(t.created_at, tz),
                t.revoked_at
                    .map(|r| format!("  REVOKED {}", show_time(r, tz)))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `token create`: the token is the last line, shown this once.
pub fn token_created(name: &str, scopes: &str, token: &str) -> String {
    format!(
        "API token {name:?} created with scopes {scopes}. It is shown only now; store it as a secret:\n{token}"
    )
}
