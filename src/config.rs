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
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The shipped defaults.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    timezone: String,
    announce_before: Vec<String>,
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
        let mut value: toml::Value = toml::from_str(DEFAULT_TOML)
            .map_err(|e| ConfigErrors(vec![one("(defaults)", "", e.to_string())]))?;
        if let Some(text) = user {
            let top: toml::Value = toml::from_str(text)
                .map_err(|e| ConfigErrors(vec![one("(file)", "not valid TOML", e.message().to_string())]))?;
            merge(&mut value, top);
        }
        let raw: Raw = value.try_into().map_err(|e: toml::de::Error| {
            ConfigErrors(vec![one("(file)", "a key or type", e.message().to_string())])
        })?;
        Self::validate(raw)
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
            Ok(d) if d > Duration::zero() => d,
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
            if v == 0 {
                errs.push(one(k, v, "at least 1"));
            }
        }
        let mut veto_roles = Vec::new();
        for v in &c.veto_roles {
            match Role::from_str(v) {
                Ok(r) => veto_roles.push(r),
                Err(expected) => errs.push(one("cab.veto_roles", format!("{v:?}"), expected)),
            }
        }
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
            windows,
            freezes,
            environments,
            deployment_steps,
            els_days: raw.els.days,
            attribution_days: raw.els.attribution_days,
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

    /// The workspace the bot's own records (window announcements) belong to:
    /// the configured Discord guild, the one learned at start, or the console's.
    pub fn home_guild(&self) -> String {
        match (self.discord.guild_id, self.discord.home) {
            (0, Some(home)) => home.to_string(),
            (0, None) => crate::chat::console::GUILD.to_string(),
            (guild, _) => guild.to_string(),
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

    #[test]
    fn unknown_keys_and_wrong_types_are_refused() {
        let e = Config::from_layers(Some("[cab]\nquorom = 3\n")).unwrap_err();
        assert!(e.to_string().contains("quorom"), "{e}");
        let e = Config::from_layers(Some("[cab]\nquorum = \"three\"\n")).unwrap_err();
        assert!(
            e.to_string().contains("quorum") || e.to_string().contains("u32"),
            "{e}"
        );
        let e = Config::from_layers(Some("not toml at all [")).unwrap_err();
        assert!(e.to_string().contains("TOML"), "{e}");
    }

    #[test]
    fn chat_roles_map_to_itil_roles() {
        let c = Config::defaults();
        let r = c.itil_roles(["release-manager", "cab", "other"]);
        assert_eq!(r, [Role::ReleaseManager, Role::CabMember].into());
        assert_eq!(c.itil_roles(["build_manager"]), [Role::BuildManager].into());
    }
}
