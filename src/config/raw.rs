//! The raw shape of the TOML (what serde reads) and the layering of a
//! user's file over the defaults, with the repairs that let one run name
//! every bad key.

use super::{one, ConfigError};
use serde::Deserialize;
use serde_path_to_error::Segment;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    pub(super) database: RawDatabase,
    pub(super) discord: RawDiscord,
    #[serde(default)]
    pub(super) slack: super::slack::RawSlack,
    pub(super) channels: RawChannels,
    pub(super) roles: BTreeMap<String, Vec<String>>,
    pub(super) cab: RawCab,
    pub(super) calendar: RawCalendar,
    pub(super) release: RawRelease,
    pub(super) deployment: RawDeployment,
    pub(super) els: RawEls,
    pub(super) authorization: RawAuthorization,
    pub(super) http: super::http::RawHttp,
    pub(super) github: super::http::RawGithub,
    pub(super) gitlab: super::http::RawGitlab,
    pub(super) ha: super::ha::RawHa,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuthorization {
    pub(super) segregation: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    pub(super) url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDiscord {
    pub(super) api_base: String,
    pub(super) guild_id: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChannels {
    pub(super) announcements: String,
    pub(super) cab: String,
    pub(super) ecab: String,
    pub(super) deployments: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCab {
    pub(super) quorum: u32,
    pub(super) quorum_high: u32,
    pub(super) rule: String,
    pub(super) veto_roles: Vec<String>,
    pub(super) deadline: String,
    pub(super) early_approval: u32,
    pub(super) emergency_quorum: u32,
    pub(super) emergency_deadline: String,
    pub(super) standard_preapproved: bool,
    pub(super) remind_before: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCalendar {
    pub(super) timezone: String,
    pub(super) announce_before: Vec<String>,
    #[serde(default)]
    pub(super) announce_empty: bool,
    #[serde(default)]
    pub(super) windows: Vec<RawWindow>,
    #[serde(default)]
    pub(super) freezes: Vec<RawFreeze>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWindow {
    pub(super) name: String,
    pub(super) cron: String,
    pub(super) duration: String,
    pub(super) environments: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFreeze {
    pub(super) name: String,
    pub(super) from: String,
    pub(super) to: String,
    #[serde(default)]
    pub(super) reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRelease {
    pub(super) environments: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDeployment {
    pub(super) steps: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEls {
    pub(super) days: i64,
    pub(super) attribution_days: i64,
    pub(super) block_close_severity: i64,
}

/// Overlays `top` on `base`: tables merge key by key, anything else replaces.
pub(super) fn merge(base: &mut toml::Value, top: toml::Value) {
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
pub(super) fn syntax_error(text: &str, e: &toml::de::Error) -> ConfigError {
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
pub(super) fn dotted(path: &[Segment]) -> String {
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

pub(super) fn lookup<'a>(value: &'a toml::Value, path: &[Segment]) -> Option<&'a toml::Value> {
    path.iter().try_fold(value, |v, seg| match seg {
        Segment::Seq { index } => v.as_array()?.get(*index),
        Segment::Map { key } | Segment::Enum { variant: key } => v.as_table()?.get(key),
        Segment::Unknown => None,
    })
}

pub(super) fn lookup_mut<'a>(value: &'a mut toml::Value, path: &[Segment]) -> Option<&'a mut toml::Value> {
    path.iter().try_fold(value, |v, seg| match seg {
        Segment::Seq { index } => v.as_array_mut()?.get_mut(*index),
        Segment::Map { key } | Segment::Enum { variant: key } => v.as_table_mut()?.get_mut(key),
        Segment::Unknown => None,
    })
}

/// The name inside serde's first pair of backticks (`unknown field `quorom``).
pub(super) fn backticked(message: &str) -> Option<&str> {
    let rest = message.split_once('`')?.1;
    Some(rest.split_once('`')?.0)
}

/// Serde's message about `path` in `value` as key, value found and what was
/// expected. Serde phrases type and unknown-key errors as "…, expected X";
/// anything else keeps its whole message as the expectation.
pub(super) fn shape_error(path: &[Segment], message: &str, value: &toml::Value) -> ConfigError {
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
pub(super) fn repair(
    value: &mut toml::Value,
    defaults: &toml::Value,
    path: &[Segment],
    message: &str,
) -> bool {
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
