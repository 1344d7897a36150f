//! Configuration: the embedded `config/default.toml`, a user's file layered
//! over it, and environment variables for secrets and deployment specifics.
//! Every key is validated; a bad one is reported with its value and what was
//! expected, never a panic.

mod discord;
mod ha;
mod http;
mod raw;
/// `[slack]`.
pub mod slack;
#[cfg(test)]
mod tests;
mod validate;

pub use discord::DiscordConfig;
pub use ha::{MAX_TAKEOVER, MIN_TAKEOVER};
use raw::{merge, repair, shape_error, syntax_error, Raw};

use crate::domain::roles::Role;
use crate::domain::tally::CabPolicy;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde_path_to_error::Segment;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The shipped defaults.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

/// The longest duration a key may give (`cab.deadline`, windows,
/// announcements): a year and a day, so date arithmetic on it never comes
/// near chrono's limits.
pub const MAX_DURATION_DAYS: i64 = 366;
/// The largest count a key may give (quorums, early approval): no CAB
/// reaches a thousand voters.
pub const MAX_COUNT: u32 = 1000;

/// One problem with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The dotted key (`cab.deadline`).
    pub key: String,
    /// The value found.
    pub value: String,
    /// What was expected.
    pub expected: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} — expected {}", self.key, self.value, self.expected)
    }
}

/// Every problem found, so a user can fix them all at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "configuration has {} problem(s):", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// A release window from config.
#[derive(Debug, Clone)]
pub struct WindowConfig {
    /// Its name (`weekly-prod`).
    pub name: String,
    /// The cron text as written.
    pub cron: String,
    /// The parsed schedule (opening times, in the calendar's zone).
    pub schedule: cron::Schedule,
    /// How long each opening lasts.
    pub duration: Duration,
    /// The environments it serves.
    pub environments: Vec<String>,
}

/// A freeze from config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreezeConfig {
    /// Its name.
    pub name: String,
    /// Start.
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    /// Why.
    pub reason: Option<String>,
}

impl FreezeConfig {
    /// The freeze as the calendar's rules see it.
    pub fn freeze(&self) -> crate::domain::calendar::Freeze {
        crate::domain::calendar::Freeze {
            name: self.name.clone(),
            from: self.from,
            to: self.to,
            reason: self.reason.clone(),
        }
    }
}

/// Where the bot posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channels {
    /// Window announcements and notices.
    pub announcements: String,
    /// CAB polls.
    pub cab: String,
    /// ECAB polls.
    pub ecab: String,
    /// Deployment progress.
    pub deployments: String,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The database URL: an SQLite file, or `postgres://…` for a
    /// PostgreSQL server (`DATABASE_URL` wins).
    pub database_url: String,
    /// Discord settings.
    pub discord: DiscordConfig,
    /// Slack settings (`[slack]`).
    pub slack: slack::SlackConfig,
    /// Channels.
    pub channels: Channels,
    /// ITIL role → chat roles.
    pub roles: BTreeMap<Role, Vec<String>>,
    /// CAB policy.
    pub cab: CabPolicy,
    /// The calendar's time zone.
    pub timezone: Tz,
    /// When windows are announced ahead of opening.
    pub announce_before: Vec<Duration>,
    /// Whether windows with nothing booked are announced too.
    pub announce_empty: bool,
    /// Release windows.
    pub windows: Vec<WindowConfig>,
    /// Freezes from config.
    pub freezes: Vec<FreezeConfig>,
    /// Default target environments, in order.
    pub environments: Vec<String>,
    /// Default deployment steps.
    pub deployment_steps: Vec<String>,
    /// Early life support, in days.
    pub els_days: i64,
    /// Incidents within this many days of a deployment are attributed to it.
    pub attribution_days: i64,
    /// A release of standard RFCs only skips the CAB (`cab.standard_preapproved`).
    pub standard_preapproved: bool,
    /// The authorizer may not be the release manager nor an RFC requester
    /// (`authorization.segregation`).
    pub segregation: bool,
    /// Open incidents of this severity or worse block `/release close`
    /// (`els.block_close_severity`; 1 is the worst).
    pub block_close_severity: u8,
    /// How long before a poll's deadline its channel is reminded (zero: never).
    pub remind_before: Duration,
    /// How often an open poll is recounted from the platform while open, to
    /// correct a stale or lost reaction event. Not read from the file: the
    /// adapter decides (None in the console, whose reactions are its own
    /// records and cannot be missed).
    pub recount_every: Option<Duration>,
    /// Where the HTTP server listens (`[http] listen`); None: no server.
    pub http_listen: Option<std::net::SocketAddr>,
    /// The GitHub API (`[github] api_base`, no trailing slash).
    pub github_api_base: String,
    /// How a GitHub deployment's ref names a release's version (`[github] release_ref`).
    pub github_release_ref: String,
    /// The GitLab instance (`[gitlab] url`); None: GitLab gating off.
    pub gitlab_url: Option<String>,
    /// How soon a standby takes over after the leader's session ends
    /// (`[ha] takeover`; PostgreSQL only).
    pub takeover: std::time::Duration,
}

fn one(key: &str, value: impl fmt::Display, expected: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        value: value.to_string(),
        expected: expected.into(),
    }
}

impl Config {
    /// The embedded defaults alone.
    pub fn defaults() -> Config {
        Self::from_layers(None).unwrap_or_else(|e| panic!("the embedded default config is invalid: {e}"))
    }

    /// Loads the defaults with the file at `path` (if any) layered over them.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigErrors> {
        match path {
            None => Self::from_layers(None),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    ConfigErrors(vec![one(
                        "(file)",
                        p.display(),
                        format!("a readable TOML file ({e})"),
                    )])
                })?;
                Self::from_layers(Some(&text))
            }
        }
    }

    /// The defaults with `user` TOML text layered over them.
    pub fn from_layers(user: Option<&str>) -> Result<Config, ConfigErrors> {
        let defaults: toml::Value = toml::from_str(DEFAULT_TOML)
            .map_err(|e| ConfigErrors(vec![one("(defaults)", "", e.to_string())]))?;
        let mut value = defaults.clone();
        if let Some(text) = user {
            let top: toml::Value =
                toml::from_str(text).map_err(|e| ConfigErrors(vec![syntax_error(text, &e)]))?;
            merge(&mut value, top);
        }
        let mut errs: Vec<ConfigError> = Vec::new();
        // Serde stops at the first problem; repairing it and trying again lets
        // one run name every bad key, as `check-config` promises. The bound
        // only guards against a repair that does not take.
        for _ in 0..64 {
            match serde_path_to_error::deserialize::<_, Raw>(value.clone()) {
                Ok(raw) => {
                    return match Self::validate(raw) {
                        Ok(config) if errs.is_empty() => Ok(config),
                        Ok(_) => Err(ConfigErrors(errs)),
                        Err(ConfigErrors(more)) => {
                            errs.extend(more);
                            Err(ConfigErrors(errs))
                        }
                    };
                }
                Err(e) => {
                    let path: Vec<Segment> = e.path().iter().cloned().collect();
                    let message = e.inner().message().to_string();
                    let found = shape_error(&path, &message, &value);
                    let repeated = errs.iter().any(|x| x.key == found.key);
                    if !repeated {
                        errs.push(found);
                    }
                    if repeated || !repair(&mut value, &defaults, &path, &message) {
                        return Err(ConfigErrors(errs));
                    }
                }
            }
        }
        Err(ConfigErrors(errs))
    }

    /// Applies `DATABASE_URL` (it wins over the file).
    pub fn apply_env(&mut self) {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            if !url.trim().is_empty() {
                self.database_url = url;
            }
        }
    }

    /// The ITIL roles granted by a set of chat roles (ids or names). An ITIL
    /// role's own name (`release_manager`) also grants it, which the console
    /// uses; it never matches a Discord role id.
    pub fn itil_roles<'a>(
        &self,
        chat_roles: impl IntoIterator<Item = &'a str>,
    ) -> crate::domain::roles::Roles {
        let chat: Vec<&str> = chat_roles.into_iter().collect();
        let mut roles: crate::domain::roles::Roles = self
            .roles
            .iter()
            .filter(|(_, mapped)| mapped.iter().any(|m| chat.iter().any(|c| c == m)))
            .map(|(r, _)| *r)
            .collect();
        roles.extend(chat.iter().filter_map(|c| Role::from_str(c).ok()));
        roles
    }
}
