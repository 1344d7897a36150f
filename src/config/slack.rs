//! `[slack]`: where the Slack Web API is, how Slack's deliveries come in
//! (Socket Mode or signed HTTP), the served workspace, and the ids Slack
//! needs in `[channels]` and `[roles]`. The secrets are the adapter's,
//! from the environment only.

use super::{Config, ConfigError, ConfigErrors};
use serde::Deserialize;

/// `[slack]` as written in the file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSlack {
    /// `""`: `https://slack.com/api/`.
    pub api_base: String,
    /// `""`: Socket Mode; an address: the HTTP Events API.
    pub listen: String,
    /// The workspace served.
    pub team_id: String,
}

/// How the bot hears Slack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// Socket Mode over `apps.connections.open` (needs `SLACK_APP_TOKEN`).
    Socket,
    /// Signed HTTP deliveries to this address (needs `SLACK_SIGNING_SECRET`).
    Http(std::net::SocketAddr),
}

/// The validated `[slack]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackConfig {
    /// The Web API base, ending in `/` (`https://slack.com/api/` by default).
    pub api_base: String,
    /// Socket Mode or HTTP.
    pub inbound: Inbound,
    /// The served workspace (`T…`); empty: the bot token's own team, learned at start.
    pub team_id: String,
}

/// Slack's own Web API.
pub const SLACK_API: &str = "https://slack.com/api/";

impl SlackConfig {
    /// Checks `raw`, adding one error per bad key to `errs`.
    pub fn validate(raw: RawSlack, errs: &mut Vec<ConfigError>) -> SlackConfig {
        let mut bad = |key: &str, value: &str, expected: &str| {
            errs.push(ConfigError {
                key: key.into(),
                value: format!("{value:?}"),
                expected: expected.into(),
            })
        };
        let base = raw.api_base.trim();
        let api_base = if base.is_empty() {
            SLACK_API.to_string()
        } else if base.starts_with("http://") || base.starts_with("https://") {
            format!("{}/", base.trim_end_matches('/'))
        } else {
            bad("slack.api_base", base, "an http:// or https:// URL, or \"\"");
            SLACK_API.to_string()
        };
        let listen = raw.listen.trim();
        let inbound = if listen.is_empty() {
            Inbound::Socket
        } else {
            match listen.parse() {
                Ok(addr) => Inbound::Http(addr),
                Err(_) => {
                    bad(
                        "slack.listen",
                        listen,
                        "an address such as 0.0.0.0:3000, or \"\" for Socket Mode",
                    );
                    Inbound::Socket
                }
            }
        };
        let team = raw.team_id.trim();
        if !(team.is_empty() || is_id(team, 'T')) {
            bad(
                "slack.team_id",
                team,
                "a Slack team id such as T0123ABCD, or \"\"",
            );
        }
        SlackConfig {
            api_base,
            inbound,
            team_id: team.to_string(),
        }
    }
}

/// Whether `text` looks like a Slack id of the given kind (`C0123ABCD`).
pub fn is_id(text: &str, kind: char) -> bool {
    let mut chars = text.chars();
    chars.next() == Some(kind)
        && text.len() >= 3
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// What Slack needs beyond a valid file: channels as channel ids (`C…`,
/// `G…`) and roles as user-group (`S…`) or user ids (`U…`, `W…`), not the
/// console's names. Checked when the bot starts, naming the key.
pub fn check_ids(config: &Config) -> Result<(), ConfigErrors> {
    let mut errs = Vec::new();
    let c = &config.channels;
    for (key, value) in [
        ("channels.announcements", &c.announcements),
        ("channels.cab", &c.cab),
        ("channels.ecab", &c.ecab),
        ("channels.deployments", &c.deployments),
    ] {
        if !(is_id(value, 'C') || is_id(value, 'G')) {
            errs.push(ConfigError {
                key: key.into(),
                value: format!("{value:?}"),
                expected: "a Slack channel id such as C0123ABCD".into(),
            });
        }
    }
    for (role, mapped) in &config.roles {
        for value in mapped
            .iter()
            .filter(|v| !['S', 'U', 'W'].iter().any(|k| is_id(v, *k)))
        {
            errs.push(ConfigError {
                key: format!("roles.{}", role.key()),
                value: format!("{value:?}"),
                expected: "Slack user-group ids (S…) or user ids (U…)".into(),
            });
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ConfigErrors(errs))
    }
}

#[cfg(test)]
mod id_tests {
    use super::*;

    #[test]
    fn console_names_are_refused_and_slack_ids_taken() {
        let c = Config::defaults();
        let e = super::check_ids(&c).unwrap_err();
        assert!(e.0.iter().any(|x| x.key == "channels.cab"));
        assert!(e.0.iter().any(|x| x.key == "roles.cab_member"));
        let toml = "[channels]\nannouncements = \"C01\"\ncab = \"C02\"\necab = \"G03\"\ndeployments = \"C04\"\n\
                    [roles]\nrelease_manager = [\"S01\"]\nchange_manager = [\"U01\"]\ncab_member = [\"S02\"]\n\
                    ecab_member = [\"S03\"]\nbuild_manager = [\"W01\"]\ndeployment_staff = [\"S04\"]\nels_staff = [\"S05\"]\n";
        let c = Config::from_layers(Some(toml)).unwrap();
        assert_eq!(super::check_ids(&c), Ok(()));
    }
}

#[cfg(test)]
mod validate_tests {
    use super::*;

    fn raw(api_base: &str, listen: &str, team_id: &str) -> RawSlack {
        RawSlack {
            api_base: api_base.into(),
            listen: listen.into(),
            team_id: team_id.into(),
        }
    }

    #[test]
    fn defaults_are_socket_mode_on_slack_com() {
        let mut errs = vec![];
        let c = SlackConfig::validate(RawSlack::default(), &mut errs);
        assert!(errs.is_empty());
        assert_eq!(c.api_base, SLACK_API);
        assert_eq!(c.inbound, Inbound::Socket);
    }

    #[test]
    fn bad_keys_are_each_named() {
        let mut errs = vec![];
        let c = SlackConfig::validate(raw("ftp://x", "nowhere", "team"), &mut errs);
        let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["slack.api_base", "slack.listen", "slack.team_id"]);
        assert_eq!(c.inbound, Inbound::Socket);
    }

    #[test]
    fn a_base_and_an_address_are_taken() {
        let mut errs = vec![];
        let c = SlackConfig::validate(
            raw("http://127.0.0.1:9/api", "127.0.0.1:3000", "T01ABC"),
            &mut errs,
        );
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(c.api_base, "http://127.0.0.1:9/api/");
        assert_eq!(c.inbound, Inbound::Http("127.0.0.1:3000".parse().unwrap()));
    }
}
