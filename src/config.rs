//! Configuration: the embedded `config/default.toml`, a user's file layered
//! over it, and environment variables for secrets and deployment specifics.
//! Every key is validated; a bad one is reported with its value and what was
//! expected, never a panic.

use crate::domain::roles::Role;
use crate::domain::tally::{CabPolicy, Rule};
use crate::domain::timefmt::parse_duration;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_path_to_error::Segment;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The shipped defaults.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

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

/// Discord settings (the token is never here: only `DISCORD_TOKEN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscordConfig {
    /// An HTTP proxy or fake in front of the Discord API.
    pub api_base: Option<String>,
    /// Register commands in one guild (0: globally).
    pub guild_id: u64,
    /// With `guild_id` 0, the server the channels are in, learned at start
    /// (not a config key): what the bot's own records belong to.
    pub home: Option<u64>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The SQLite database URL (`DATABASE_URL` wins).
    pub database_url: String,
    /// Discord settings.
    pub discord: DiscordConfig,
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    database: RawDatabase,
    discord: RawDiscord,
    channels: RawChannels,
    roles: BTreeMap<String, Vec<String>>,
    cab: RawCab,
    calendar: RawCalendar,
    release: RawRelease,
    deployment: RawDeployment,
    els: RawEls,
    authorization: RawAuthorization,
    http: RawHttp,
    github: RawGithub,
    gitlab: RawGitlab,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuthorization {
    segregation: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGithub {
    api_base: String,
    release_ref: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGitlab {
    url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    listen: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDiscord {
    api_base: String,
    guild_id: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannels {
    announcements: String,
    cab: String,
    ecab: String,
    deployments: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCab {
    quorum: u32,
    quorum_high: u32,
    rule: String,
    veto_roles: Vec<String>,
    deadline: String,
    early_approval: u32,
    emergency_quorum: u32,
    emergency_deadline: String,
    standard_preapproved: bool,
    remind_before: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    timezone: String,
    announce_before: Vec<String>,
    #[serde(default)]
    announce_empty: bool,
    #[serde(default)]
    windows: Vec<RawWindow>,
    #[serde(default)]
    freezes: Vec<RawFreeze>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    name: String,
    cron: String,
    duration: String,
    environments: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFreeze {
    name: String,
    from: String,
    to: String,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelease {
    environments: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeployment {
    steps: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEls {
    days: i64,
    attribution_days: i64,
    block_close_severity: i64,
}

/// Overlays `top` on `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Value, top: toml::Value) {
    match (base, top) {
        (toml::Value::Table(b), toml::Value::Table(t)) => {
            for (k, v) in t {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, t) => *b = t,
    }
}

/// `(file)` with the line and column of a TOML syntax error in `text`.
fn syntax_error(text: &str, e: &toml::de::Error) -> ConfigError {
    let at = match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            format!("line {line}, column {column}")
        }
        None => "(no position)".to_string(),
    };
    // toml's message may run over several lines; one problem is one line.
    let message: Vec<&str> = e
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    one("(file)", at, format!("valid TOML ({})", message.join("; ")))
}

/// The dotted key of a path (`calendar.windows[0].cron`).
fn dotted(path: &[Segment]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    out
}

fn lookup<'a>(value: &'a toml::Value, path: &[Segment]) -> Option<&'a toml::Value> {
    path.iter().try_fold(value, |v, seg| match seg {
        Segment::Seq { index } => v.as_array()?.get(*index),
        Segment::Map { key } | Segment::Enum { variant: key } => v.as_table()?.get(key),
        Segment::Unknown => None,
    })
}

fn lookup_mut<'a>(value: &'a mut toml::Value, path: &[Segment]) -> Option<&'a mut toml::Value> {
    path.iter().try_fold(value, |v, seg| match seg {
        Segment::Seq { index } => v.as_array_mut()?.get_mut(*index),
        Segment::Map { key } | Segment::Enum { variant: key } => v.as_table_mut()?.get_mut(key),
        Segment::Unknown => None,
    })
}

/// The name inside serde's first pair of backticks (`unknown field `quorom``).
fn backticked(message: &str) -> Option<&str> {
    let rest = message.split_once('`')?.1;
    Some(rest.split_once('`')?.0)
}

/// Serde's message about `path` in `value` as key, value found and what was
/// expected. Serde phrases type and unknown-key errors as "…, expected X";
/// anything else keeps its whole message as the expectation.
fn shape_error(path: &[Segment], message: &str, value: &toml::Value) -> ConfigError {
    let expected = message.split_once(", expected ").map(|(_, x)| x.to_string());
    if let Some(field) = message.strip_prefix("unknown field ").and_then(backticked) {
        let mut key = path.to_vec();
        // The path names the unknown key itself; a parent path (as another
        // deserializer might report) still gets the key appended.
        if !matches!(path.last(), Some(Segment::Map { key }) if key == field) {
            key.push(Segment::Map {
                key: field.to_string(),
            });
        }
        let expected = expected.unwrap_or_else(|| "no other keys here".to_string());
        return one(&dotted(&key), "(unknown key)", expected);
    }
    if let Some(field) = message.strip_prefix("missing field ").and_then(backticked) {
        let mut key = path.to_vec();
        key.push(Segment::Map {
            key: field.to_string(),
        });
        return one(&dotted(&key), "(missing)", "this key to be set");
    }
    let key = match dotted(path) {
        k if k.is_empty() => "(file)".to_string(),
        k => k,
    };
    let found = lookup(value, path).map_or_else(|| "(not found)".to_string(), |v| v.to_string());
    one(&key, found, expected.unwrap_or_else(|| message.to_string()))
}

/// Removes or resets what serde refused so the next attempt can get past it:
/// an unknown key goes; anything else takes the shipped default for the
/// nearest key above any list (a user's list replaces the default's whole,
/// so its items have no default of their own), or goes when the defaults
/// lack it, since every required key has a default. False when nothing changed.
fn repair(value: &mut toml::Value, defaults: &toml::Value, path: &[Segment], message: &str) -> bool {
    if message.starts_with("unknown field ") {
        let field = backticked(message).unwrap_or_default();
        let (parent, last) = match path.last() {
            Some(Segment::Map { key }) if key == field => (&path[..path.len() - 1], key.as_str()),
            _ => (path, field),
        };
        return lookup_mut(value, parent)
            .and_then(|t| t.as_table_mut())
            .is_some_and(|t| t.remove(last).is_some());
    }
    let end = path
        .iter()
        .position(|s| matches!(s, Segment::Seq { .. }))
        .unwrap_or(path.len());
    let prefix = &path[..end];
    if prefix.is_empty() {
        return false;
    }
    match lookup(defaults, prefix) {
        Some(default) => match lookup_mut(value, prefix) {
            Some(slot) if slot != default => {
                *slot = default.clone();
                true
            }
            _ => false,
        },
        None => match prefix.split_last() {
            Some((Segment::Map { key }, parent)) => lookup_mut(value, parent)
                .and_then(|t| t.as_table_mut())
                .is_some_and(|t| t.remove(key).is_some()),
            _ => false,
        },
    }
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

    fn validate(raw: Raw) -> Result<Config, ConfigErrors> {
        let mut errs = Vec::new();
        let duration = |key: &str, text: &str, errs: &mut Vec<ConfigError>| match parse_duration(text) {
            Ok(d) if d > Duration::zero() && d <= Duration::days(MAX_DURATION_DAYS) => d,
            Ok(d) if d > Duration::zero() => {
                errs.push(one(
                    key,
                    format!("{text:?}"),
                    format!("a duration from 1s to {MAX_DURATION_DAYS}d"),
                ));
                Duration::zero()
            }
            _ => {
                errs.push(one(
                    key,
                    format!("{text:?}"),
                    "a positive duration such as 90m, 4h or 2d",
                ));
                Duration::zero()
            }
        };
        let nonempty = |key: &str, text: &str, errs: &mut Vec<ConfigError>| {
            if text.trim().is_empty() {
                errs.push(one(key, "\"\"", "a non-empty name or id"));
            }
        };

        if raw.database.url.trim().is_empty() {
            errs.push(one(
                "database.url",
                "\"\"",
                "an SQLite URL such as sqlite://release-desk.sqlite",
            ));
        }
        let api_base = raw.discord.api_base.trim().trim_end_matches('/').to_string();
        if !(api_base.is_empty() || api_base.starts_with("http://") || api_base.starts_with("https://")) {
            errs.push(one(
                "discord.api_base",
                format!("{api_base:?}"),
                "an http:// or https:// URL, or \"\"",
            ));
        }
        let ch = raw.channels;
        for (k, v) in [
            ("channels.announcements", &ch.announcements),
            ("channels.cab", &ch.cab),
            ("channels.ecab", &ch.ecab),
            ("channels.deployments", &ch.deployments),
        ] {
            nonempty(k, v, &mut errs);
        }

        let mut roles = BTreeMap::new();
        for (k, v) in raw.roles {
            match Role::from_str(&k) {
                Ok(r) => {
                    if v.iter().any(|s| s.trim().is_empty()) {
                        errs.push(one(
                            &format!("roles.{k}"),
                            format!("{v:?}"),
                            "a list of chat role ids or names",
                        ));
                    }
                    roles.insert(r, v);
                }
                Err(expected) => errs.push(one(&format!("roles.{k}"), "(unknown role)", expected)),
            }
        }

        let c = raw.cab;
        let rule = match c.rule.as_str() {
            "majority" => Rule::Majority,
            "unanimous" => Rule::Unanimous,
            other => {
                errs.push(one(
                    "cab.rule",
                    format!("{other:?}"),
                    "\"majority\" or \"unanimous\"",
                ));
                Rule::Majority
            }
        };
        for (k, v) in [
            ("cab.quorum", c.quorum),
            ("cab.quorum_high", c.quorum_high),
            ("cab.emergency_quorum", c.emergency_quorum),
        ] {
            if !(1..=MAX_COUNT).contains(&v) {
                errs.push(one(k, v, format!("a number of votes from 1 to {MAX_COUNT}")));
            }
        }
        if c.early_approval > MAX_COUNT {
            errs.push(one(
                "cab.early_approval",
                c.early_approval,
                format!("0 (wait for the deadline) or a number of approvals from 1 to {MAX_COUNT}"),
            ));
        }
        let mut veto_roles = Vec::new();
        for v in &c.veto_roles {
            match Role::from_str(v) {
                Ok(r) => veto_roles.push(r),
                Err(expected) => errs.push(one("cab.veto_roles", format!("{v:?}"), expected)),
            }
        }
        let c_standard_preapproved = c.standard_preapproved;
        let cab = CabPolicy {
            quorum: c.quorum,
            quorum_high: c.quorum_high,
            rule,
            veto_roles,
            deadline: duration("cab.deadline", &c.deadline, &mut errs),
            early_approval: c.early_approval,
            emergency_quorum: c.emergency_quorum,
            emergency_deadline: duration("cab.emergency_deadline", &c.emergency_deadline, &mut errs),
        };

        let remind_before = match c.remind_before.trim() {
            "0" => Duration::zero(),
            text => {
                let d = duration("cab.remind_before", text, &mut errs);
                if d > Duration::days(30) {
                    errs.push(one(
                        "cab.remind_before",
                        format!("{text:?}"),
                        "\"0\" (no reminder) or a duration of at most 30d",
                    ));
                }
                d
            }
        };

        let cal = raw.calendar;
        let timezone = Tz::from_str(&cal.timezone).unwrap_or_else(|_| {
            errs.push(one(
                "calendar.timezone",
                format!("{:?}", cal.timezone),
                "an IANA time zone such as Europe/London",
            ));
            Tz::UTC
        });
        let announce_before = cal
            .announce_before
            .iter()
            .map(|a| duration("calendar.announce_before", a, &mut errs))
            .collect();
        let mut windows = Vec::new();
        for (i, w) in cal.windows.into_iter().enumerate() {
            let key = |f: &str| format!("calendar.windows[{i}].{f}");
            nonempty(&key("name"), &w.name, &mut errs);
            if windows
                .iter()
                .any(|x: &WindowConfig| x.name.eq_ignore_ascii_case(&w.name))
            {
                errs.push(one(
                    &key("name"),
                    format!("{:?}", w.name),
                    "a name no other window has",
                ));
            }
            let schedule = match crate::domain::calendar::parse_cron(&w.cron) {
                Ok(s) => Some(s),
                Err(e) => {
                    errs.push(one(
                        &key("cron"),
                        format!("{:?}", w.cron),
                        format!("a cron expression with seconds first, such as \"0 0 22 * * Thu\" ({e})"),
                    ));
                    None
                }
            };
            let d = duration(&key("duration"), &w.duration, &mut errs);
            if w.environments.is_empty() || w.environments.iter().any(|e| e.trim().is_empty()) {
                errs.push(one(
                    &key("environments"),
                    format!("{:?}", w.environments),
                    "a non-empty list of environment names",
                ));
            }
            if let Some(schedule) = schedule {
                windows.push(WindowConfig {
                    name: w.name,
                    cron: w.cron,
                    schedule,
                    duration: d,
                    environments: w.environments,
                });
            }
        }
        let mut freezes = Vec::new();
        for (i, f) in cal.freezes.into_iter().enumerate() {
            let key = |k: &str| format!("calendar.freezes[{i}].{k}");
            nonempty(&key("name"), &f.name, &mut errs);
            let time = |k: &str, v: &str, errs: &mut Vec<ConfigError>| match DateTime::parse_from_rfc3339(v) {
                Ok(t) => Some(t.with_timezone(&Utc)),
                Err(_) => {
                    errs.push(one(
                        &key(k),
                        format!("{v:?}"),
                        "an RFC 3339 time such as 2026-12-21T00:00:00Z",
                    ));
                    None
                }
            };
            if let (Some(from), Some(to)) = (time("from", &f.from, &mut errs), time("to", &f.to, &mut errs)) {
                if from >= to {
                    errs.push(one(&key("to"), &f.to, format!("a time after from ({})", f.from)));
                } else {
                    freezes.push(FreezeConfig {
                        name: f.name,
                        from,
                        to,
                        reason: f.reason,
                    });
                }
            }
        }

        let environments = raw.release.environments;
        if environments.is_empty() || environments.iter().any(|e| e.trim().is_empty()) {
            errs.push(one(
                "release.environments",
                format!("{environments:?}"),
                "a non-empty list of environment names",
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        if environments.iter().any(|e| !seen.insert(e.to_lowercase())) {
            errs.push(one(
                "release.environments",
                format!("{environments:?}"),
                "environment names without repeats",
            ));
        }
        // A window serving an environment no release can target would never be booked.
        for (w, env) in crate::domain::workflow::unknown_window_environments(
            windows
                .iter()
                .map(|w| (w.name.as_str(), w.environments.as_slice())),
            &environments,
        ) {
            let i = windows.iter().position(|x| x.name == w).unwrap_or_default();
            errs.push(one(
                &format!("calendar.windows[{i}].environments"),
                format!("{env:?}"),
                format!(
                    "environments that release.environments names ({})",
                    environments.join(", ")
                ),
            ));
        }
        let deployment_steps = raw.deployment.steps;
        if deployment_steps.is_empty() || deployment_steps.iter().any(|s| s.trim().is_empty()) {
            errs.push(one(
                "deployment.steps",
                format!("{deployment_steps:?}"),
                "a non-empty list of step descriptions",
            ));
        }
        if !(0..=365).contains(&raw.els.days) {
            errs.push(one("els.days", raw.els.days, "a number of days from 0 to 365"));
        }
        if !(1..=3650).contains(&raw.els.attribution_days) {
            errs.push(one(
                "els.attribution_days",
                raw.els.attribution_days,
                "a number of days from 1 to 3650",
            ));
        }
        if !(1..=4).contains(&raw.els.block_close_severity) {
            errs.push(one(
                "els.block_close_severity",
                raw.els.block_close_severity,
                "a severity from 1 (worst) to 4",
            ));
        }

        let listen = raw.http.listen.trim();
        let http_listen = match listen.parse::<std::net::SocketAddr>() {
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
        let github_api_base = url_or_empty("github.api_base", &raw.github.api_base, &mut errs);
        let gitlab_url = url_or_empty("gitlab.url", &raw.gitlab.url, &mut errs);
        let release_ref = raw.github.release_ref.trim().to_string();
        if release_ref.matches("{version}").count() != 1 {
            errs.push(one(
                "github.release_ref",
                format!("{release_ref:?}"),
                "a pattern with {version} once, such as \"v{version}\"",
            ));
        }

        if !errs.is_empty() {
            return Err(ConfigErrors(errs));
        }
        Ok(Config {
            database_url: raw.database.url,
            discord: DiscordConfig {
                api_base: (!api_base.is_empty()).then_some(api_base),
                guild_id: raw.discord.guild_id,
                home: None,
            },
            channels: Channels {
                announcements: ch.announcements,
                cab: ch.cab,
                ecab: ch.ecab,
                deployments: ch.deployments,
            },
            roles,
            cab,
            timezone,
            announce_before,
            announce_empty: cal.announce_empty,
            windows,
            freezes,
            environments,
            deployment_steps,
            els_days: raw.els.days,
            attribution_days: raw.els.attribution_days,
            standard_preapproved: c_standard_preapproved,
            segregation: raw.authorization.segregation,
            block_close_severity: raw.els.block_close_severity as u8,
            remind_before,
            recount_every: Some(crate::domain::tally::RECOUNT_EVERY),
            http_listen,
            github_api_base: if github_api_base.is_empty() {
                "https://api.github.com".to_string()
            } else {
                github_api_base
            },
            github_release_ref: release_ref,
            gitlab_url: (!gitlab_url.is_empty()).then_some(gitlab_url),
        })
    }

    /// What Discord needs beyond a valid file: channels and roles given as
    /// ids (snowflakes), not the names the console uses. Checked when the
    /// bot starts, so a name fails there, naming the key, rather than on
    /// every post.
    pub fn check_discord_ids(&self) -> Result<(), ConfigErrors> {
        let snowflake = |v: &str| v.trim().parse::<u64>().is_ok_and(|n| n > 0);
        let mut errs = Vec::new();
        for (key, value) in [
            ("channels.announcements", &self.channels.announcements),
            ("channels.cab", &self.channels.cab),
            ("channels.ecab", &self.channels.ecab),
            ("channels.deployments", &self.channels.deployments),
        ] {
            if !snowflake(value) {
                errs.push(one(
                    key,
                    format!("{value:?}"),
                    "a Discord channel id such as 1234567890123456789",
                ));
            }
        }
        for (role, mapped) in &self.roles {
            for value in mapped.iter().filter(|v| !snowflake(v)) {
                errs.push(one(
                    &format!("roles.{}", role.key()),
                    format!("{value:?}"),
                    "Discord role ids such as [\"1234567890123456789\"]",
                ));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(errs))
        }
    }

    /// The Discord server the bot's own records (window announcements)
    /// belong to: the configured guild, or the one learned at start. None
    /// when neither is known: the caller (the binary) picks the workspace it serves.
    pub fn discord_guild(&self) -> Option<String> {
        match (self.discord.guild_id, self.discord.home) {
            (0, Some(home)) => Some(home.to_string()),
            (0, None) => None,
            (guild, _) => Some(guild.to_string()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_defaults_are_valid() {
        let c = Config::defaults();
        assert_eq!(c.cab.quorum, 3);
        assert_eq!(c.cab.deadline, Duration::hours(48));
        assert_eq!(c.timezone, chrono_tz::Europe::London);
        assert_eq!(c.windows.len(), 2);
        assert_eq!(c.environments, vec!["staging", "prod"]);
        assert_eq!(c.deployment_steps.len(), 8);
        assert!(c.freezes.is_empty());
        assert_eq!(c.discord.api_base, None);
    }

    #[test]
    fn a_user_file_layers_over_the_defaults() {
        let c = Config::from_layers(Some(
            "[cab]\nquorum = 2\n[[calendar.freezes]]\nname = \"year-end\"\nfrom = \"2026-12-21T00:00:00Z\"\nto = \"2027-01-04T00:00:00Z\"\n",
        ))
        .unwrap();
        assert_eq!(c.cab.quorum, 2);
        assert_eq!(
            c.cab.quorum_high, 5,
            "keys the file does not set keep their defaults"
        );
        assert_eq!(c.freezes.len(), 1);
    }

    #[test]
    fn every_bad_key_is_named_with_value_and_expectation() {
        let errs = Config::from_layers(Some(
            r#"
[cab]
rule = "mostly"
deadline = "soon"
veto_roles = ["boss"]
quorum = 0
[calendar]
timezone = "Mars/Olympus"
[[calendar.windows]]
name = "bad"
cron = "every thursday"
duration = "4h"
environments = []
[[calendar.freezes]]
name = "backwards"
from = "2027-01-04T00:00:00Z"
to = "2026-12-21T00:00:00Z"
[els]
days = -1
"#,
        ))
        .unwrap_err();
        let keys: Vec<&str> = errs.0.iter().map(|e| e.key.as_str()).collect();
        for k in [
            "cab.rule",
            "cab.deadline",
            "cab.veto_roles",
            "cab.quorum",
            "calendar.timezone",
            "calendar.windows[0].cron",
            "calendar.windows[0].environments",
            "calendar.freezes[0].to",
            "els.days",
        ] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
        let tz = errs.0.iter().find(|e| e.key == "calendar.timezone").unwrap();
        assert_eq!(
            tz.to_string(),
            "calendar.timezone: \"Mars/Olympus\" — expected an IANA time zone such as Europe/London"
        );
    }

    /// `from_layers` relies on the path naming the unknown key itself, not
    /// only its table.
    #[test]
    fn the_path_of_an_unknown_field_ends_with_that_field() {
        let mut value: toml::Value = toml::from_str(DEFAULT_TOML).unwrap();
        merge(&mut value, toml::from_str("[cab]\nquorom = 3\n").unwrap());
        let e = serde_path_to_error::deserialize::<_, Raw>(value).err().unwrap();
        assert_eq!(e.path().to_string(), "cab.quorom");
        assert!(e
            .inner()
            .message()
            .starts_with("unknown field `quorom`, expected one of "));
    }

    fn messages(user: &str) -> Vec<String> {
        Config::from_layers(Some(user))
            .unwrap_err()
            .0
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn durations_and_counts_are_bounded() {
        let c = Config::from_layers(Some(
            "[cab]\ndeadline = \"366d\"\nquorum = 1000\nearly_approval = 1000\n[calendar]\nannounce_before = [\"52w2d\"]\n",
        ))
        .unwrap();
        assert_eq!(c.cab.deadline, Duration::days(MAX_DURATION_DAYS));
        assert_eq!(c.announce_before, [Duration::days(366)]);
        assert_eq!((c.cab.quorum, c.cab.early_approval), (MAX_COUNT, MAX_COUNT));
        assert_eq!(
            messages("[cab]\ndeadline = \"100000w\"\nquorum = 4000000000\nquorum_high = 0\nearly_approval = 1001\n"),
            [
                "cab.quorum: 4000000000 — expected a number of votes from 1 to 1000",
                "cab.quorum_high: 0 — expected a number of votes from 1 to 1000",
                "cab.early_approval: 1001 — expected 0 (wait for the deadline) or a number of approvals from 1 to 1000",
                "cab.deadline: \"100000w\" — expected a duration from 1s to 366d",
            ]
        );
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_refused() {
        assert_eq!(
            messages("[cab]\nquorom = 3\n"),
            [
                "cab.quorom: (unknown key) — expected one of `quorum`, `quorum_high`, `rule`, `veto_roles`, \
              `deadline`, `early_approval`, `emergency_quorum`, `emergency_deadline`, `standard_preapproved`, `remind_before`"
            ]
        );
        assert_eq!(
            messages("[cab]\nquorum = \"three\"\n"),
            ["cab.quorum: \"three\" — expected u32"]
        );
        assert_eq!(
            messages("[calendar]\nannounce_before = [\"1h\", 30]\n"),
            ["calendar.announce_before[1]: 30 — expected a string"]
        );
        assert_eq!(
            messages("[[calendar.windows]]\nname = \"w\"\nduration = \"1h\"\nenvironments = [\"prod\"]\n"),
            ["calendar.windows[0].cron: (missing) — expected this key to be set"]
        );
        assert_eq!(
            messages("[discord]\nguild_id = -1\n"),
            ["discord.guild_id: -1 — expected u64"]
        );
    }

    #[test]
    fn governance_keys_have_defaults_and_ranges() {
        let c = Config::defaults();
        assert!(c.standard_preapproved && c.segregation);
        assert_eq!(c.block_close_severity, 2);
        for bad in ["0", "5"] {
            assert_eq!(
                messages(&format!("[els]\nblock_close_severity = {bad}\n")),
                [format!(
                    "els.block_close_severity: {bad} — expected a severity from 1 (worst) to 4"
                )]
            );
        }
        let c = Config::from_layers(Some(
            "[els]\nblock_close_severity = 1\n[authorization]\nsegregation = false\n[cab]\nstandard_preapproved = false\n",
        ))
        .unwrap();
        assert_eq!(
            (c.block_close_severity, c.segregation, c.standard_preapproved),
            (1, false, false)
        );
    }

    #[test]
    fn a_syntax_error_names_its_line_and_column() {
        let e = Config::from_layers(Some("[cab]\nquorum = 3\nrule = majority\n")).unwrap_err();
        assert_eq!(e.0.len(), 1);
        assert_eq!(
            (e.0[0].key.as_str(), e.0[0].value.as_str()),
            ("(file)", "line 3, column 8")
        );
        assert_eq!(e.0[0].expected, "valid TOML (invalid string; expected `\"`, `'`)");
    }

    #[test]
    fn type_errors_unknown_keys_and_bad_values_are_all_named_in_one_run() {
        assert_eq!(
            messages(
                "[cab]\nquorum = \"three\"\nquorom = 3\ndeadline = \"soon\"\n\
                 [calendar]\ntimezone = \"Mars/Olympus\"\n[roles]\nbuild_manager = \"build\"\n"
            ),
            [
                "cab.quorom: (unknown key) — expected one of `quorum`, `quorum_high`, `rule`, `veto_roles`, \
                 `deadline`, `early_approval`, `emergency_quorum`, `emergency_deadline`, `standard_preapproved`, `remind_before`",
                "cab.quorum: \"three\" — expected u32",
                "roles.build_manager: \"build\" — expected a sequence",
                "cab.deadline: \"soon\" — expected a positive duration such as 90m, 4h or 2d",
                "calendar.timezone: \"Mars/Olympus\" — expected an IANA time zone such as Europe/London",
            ]
        );
    }

    #[test]
    fn chat_roles_map_to_itil_roles() {
        let c = Config::defaults();
        let r = c.itil_roles(["release-manager", "cab", "other"]);
        assert_eq!(r, [Role::ReleaseManager, Role::CabMember].into());
        assert_eq!(c.itil_roles(["build_manager"]), [Role::BuildManager].into());
    }

    #[test]
    fn http_listen_is_an_address_or_nothing() {
        assert_eq!(Config::from_layers(None).unwrap().http_listen, None);
        let c = Config::from_layers(Some("[http]\nlisten = \"127.0.0.1:8080\"\n")).unwrap();
        assert_eq!(c.http_listen, Some("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(
            messages("[http]\nlisten = \"localhost\"\n"),
            ["http.listen: \"localhost\" — expected an address and port such as \"127.0.0.1:8080\", or \"\" for no HTTP server"]
        );
    }
}
