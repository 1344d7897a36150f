//! The REST client. With `discord.api_base` set, requests go to that proxy
//! (or a fake) and serenity's own rate limiter is off: it would otherwise
//! ask discord.com for buckets regardless of the proxy. The outbox's
//! back-off then handles 429s (see [`super::chat::classify`]).

use serenity::http::{Http, HttpBuilder};

/// A client for `token` (never logged), through `api_base` if given.
pub fn build(token: &str, api_base: Option<&str>) -> Http {
    let builder = HttpBuilder::new(token);
    match api_base {
        Some(base) => builder
            .proxy(base.trim_end_matches('/'))
            .ratelimiter_disabled(true)
            .build(),
        None => builder.build(),
    }
}
