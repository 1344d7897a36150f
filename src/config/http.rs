//! The HTTP server's and the gated pipelines' sections: `[http]`,
//! `[github]`, `[gitlab]` (their secrets come only from the environment).

use super::{one, ConfigError};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHttp {
    pub(super) listen: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGithub {
    pub(super) api_base: String,
    pub(super) release_ref: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGitlab {
    pub(super) url: String,
}

/// The three sections, checked.
pub(super) struct Http {
    pub(super) listen: Option<SocketAddr>,
    pub(super) github_api_base: String,
    pub(super) github_release_ref: String,
    pub(super) gitlab_url: Option<String>,
}

/// Checks the sections, each bad key into `errs`.
pub(super) fn validate(
    http: &RawHttp,
    github: &RawGithub,
    gitlab: &RawGitlab,
    errs: &mut Vec<ConfigError>,
) -> Http {
    let listen = http.listen.trim();
    let listen = match listen.parse::<SocketAddr>() {
        Ok(a) => Some(a),
        Err(_) if listen.is_empty() => None,
        Err(_) => {
            errs.push(one(
                "http.listen",
                format!("{listen:?}"),
                "an address and port such as \"127.0.0.1:8080\", or \"\" for no HTTP server",
            ));
            None
        }
    };
    let url_or_empty = |key: &str, v: &str, errs: &mut Vec<ConfigError>| {
        let v = v.trim().trim_end_matches('/').to_string();
        if !(v.is_empty() || v.starts_with("http://") || v.starts_with("https://")) {
            errs.push(one(key, format!("{v:?}"), "an http:// or https:// URL, or \"\""));
        }
        v
    };
    let github_api_base = url_or_empty("github.api_base", &github.api_base, errs);
    let gitlab_url = url_or_empty("gitlab.url", &gitlab.url, errs);
    let release_ref = github.release_ref.trim().to_string();
    if release_ref.matches("{version}").count() != 1 {
        errs.push(one(
            "github.release_ref",
            format!("{release_ref:?}"),
            "a pattern with {version} once, such as \"v{version}\"",
        ));
    }
    Http {
        listen,
        github_api_base: if github_api_base.is_empty() {
            "https://api.github.com".to_string()
        } else {
            github_api_base
        },
        github_release_ref: release_ref,
        gitlab_url: (!gitlab_url.is_empty()).then_some(gitlab_url),
    }
}
