//! Validation: the raw file's values checked key by key into a `Config`.

use super::raw::Raw;
use super::*;
use crate::domain::tally::Rule;
use crate::domain::timefmt::parse_duration;

impl Config {
    pub(super) fn validate(raw: Raw) -> Result<Config, ConfigErrors> {
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
        let slack = super::slack::SlackConfig::validate(raw.slack, &mut errs);
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
        let http = super::http::validate(&raw.http, &raw.github, &raw.gitlab, &mut errs);
        let takeover = super::ha::validate(&raw.ha, &mut errs);

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
            slack,
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
            http_listen: http.listen,
            github_api_base: http.github_api_base,
            github_release_ref: http.github_release_ref,
            gitlab_url: http.gitlab_url,
            takeover,
        })
    }
}
