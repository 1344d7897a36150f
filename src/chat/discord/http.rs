//! The REST client. With `discord.api_base` set, requests go to that proxy
//! (or a fake) and serenity's own rate limiter is off: it would otherwise
//! ask discord.com for buckets regardless of the proxy. Serenity's error
//! for a refused request drops the response's headers and any body field
//! but `code` and `message`, so a 429's wait would be lost: the outbox's
//! requests go out through [`send`], which keeps it (see [`refusal`]).

use super::chat::route;
use crate::chat::ChatError;
use serenity::http::{Http, HttpBuilder, Request};
use std::time::Duration;

/// The longest wait a 429 is taken at its word for; past it the outbox's own
/// back-off (at most ten minutes between tries) goes on.
const LONGEST_WAIT: Duration = Duration::from_secs(3600);

/// A client for `token` (never logged), through `api_base` if given, and
/// the connection pool it uses (shared with [`send`]).
pub fn build(token: &str, api_base: Option<&str>) -> (Http, reqwest::Client) {
    let client = reqwest::Client::new();
    let builder = HttpBuilder::new(token).client(client.clone());
    let http = match api_base {
        Some(base) => builder
            .proxy(base.trim_end_matches('/'))
            .ratelimiter_disabled(true)
            .build(),
        None => builder.build(),
    };
    (http, client)
}

/// Sends `req` with `http`'s token and proxy on `client`; the body of a
/// success, or the refusal with the wait Discord asked for.
pub async fn send(http: &Http, client: &reqwest::Client, req: Request<'_>) -> Result<Vec<u8>, ChatError> {
    let cannot = |e: &dyn std::fmt::Display| ChatError::Permanent(format!("cannot build the request: {e}"));
    let built = req
        .build(client, http.token(), http.proxy.as_deref())
        .map_err(|e| cannot(&e))?
        .build()
        .map_err(|e| cannot(&e.without_url()))?;
    let method = built.method().to_string();
    let url = built.url().to_string();
    let response = client.execute(built).await.map_err(|e| ChatError::Retry {
        after: None,
        message: format!("network: {}", e.without_url()),
    })?;
    let status = response.status().as_u16();
    let header = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response.bytes().await.map_err(|e| ChatError::Retry {
        after: None,
        message: format!("network: {}", e.without_url()),
    })?;
    if (200..300).contains(&status) {
        return Ok(body.to_vec());
    }
    Err(refusal(status, &method, &route(&url), header.as_deref(), &body))
}

/// A refused request as the outbox handles it: 429, 408 and 5xx again later
/// (a 429 after `retry_after` from the body or `Retry-After`, whichever is
/// longer), any other status never.
pub fn refusal(status: u16, method: &str, route: &str, retry_after: Option<&str>, body: &[u8]) -> ChatError {
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let message = json["message"].as_str().unwrap_or("").to_string();
    if status == 429 || status == 408 || status >= 500 {
        let seconds = [
            json["retry_after"].as_f64(),
            retry_after.and_then(|h| h.trim().parse::<f64>().ok()),
        ];
        let after = seconds
            .into_iter()
            .flatten()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .filter_map(|s| Duration::try_from_secs_f64(s.min(LONGEST_WAIT.as_secs_f64())).ok())
            .max();
        return ChatError::Retry {
            after,
            message: format!("HTTP {status} {method} {route}"),
        };
    }
    ChatError::Permanent(format!("HTTP {status} {method} {route}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(e: ChatError) -> Option<Duration> {
        match e {
            ChatError::Retry { after, .. } => after,
            ChatError::Permanent(m) => panic!("permanent: {m}"),
        }
    }

    #[test]
    fn a_429_waits_the_longer_of_body_and_header() {
        let body = br#"{"message": "You are being rate limited.", "retry_after": 5.2, "global": false}"#;
        assert_eq!(
            after(refusal(429, "POST", "/x", Some("6"), body)),
            Some(Duration::from_secs(6))
        );
        assert_eq!(
            after(refusal(429, "POST", "/x", Some("5"), body)),
            Some(Duration::from_millis(5200))
        );
        assert_eq!(
            after(refusal(429, "POST", "/x", None, body)),
            Some(Duration::from_millis(5200))
        );
        assert_eq!(
            after(refusal(429, "POST", "/x", Some("2"), b"")),
            Some(Duration::from_secs(2))
        );
        assert_eq!(after(refusal(503, "POST", "/x", None, b"")), None);
    }

    #[test]
    fn a_wait_that_cannot_be_one_is_bounded_or_ignored() {
        let huge = br#"{"retry_after": 1e300}"#;
        assert_eq!(after(refusal(429, "GET", "/x", None, huge)), Some(LONGEST_WAIT));
        assert_eq!(
            after(refusal(
                429,
                "GET",
                "/x",
                Some("-3"),
                br#"{"retry_after": "soon"}"#
            )),
            None
        );
    }

    #[test]
    fn other_refusals_are_permanent_with_discords_message() {
        let e = refusal(
            403,
            "POST",
            "/channels/1/messages",
            None,
            br#"{"message": "Missing Access", "code": 50001}"#,
        );
        assert_eq!(
            e,
            ChatError::Permanent("HTTP 403 POST /channels/1/messages: Missing Access".into())
        );
    }
}
