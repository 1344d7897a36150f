//! The three Slack secrets, which come only from the environment and are
//! never printed (their `Debug` says `<redacted>`); the `[slack]` section
//! itself is [`crate::config::slack`], re-exported here.

pub use crate::config::slack::*;

/// A secret from the environment: never shown by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `SLACK_BOT_TOKEN`, `SLACK_APP_TOKEN` and `SLACK_SIGNING_SECRET`.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The bot token (`xoxb-…`), for the Web API.
    pub bot: Secret,
    /// The app-level token (`xapp-…`), for Socket Mode.
    pub app: Option<Secret>,
    /// The signing secret, for HTTP mode.
    pub signing: Option<Secret>,
}

impl Tokens {
    /// The tokens from `get` (the environment in the binary); None without a bot token.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Option<Tokens> {
        let read = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .map(Secret)
        };
        Some(Tokens {
            bot: read("SLACK_BOT_TOKEN")?,
            app: read("SLACK_APP_TOKEN"),
            signing: read("SLACK_SIGNING_SECRET"),
        })
    }

    /// What is missing for `inbound`, said so a person can fix it.
    pub fn check(&self, inbound: &Inbound) -> Result<(), String> {
        match inbound {
            Inbound::Socket if self.app.is_none() => Err(
                "SLACK_APP_TOKEN (xapp-…) is not set: Socket Mode needs it; or set [slack] listen for the HTTP Events API"
                    .into(),
            ),
            Inbound::Http(_) if self.signing.is_none() => {
                Err("SLACK_SIGNING_SECRET is not set: HTTP mode ([slack] listen) verifies every request with it".into())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug() {
        let env = |k: &str| Some(format!("{k}-secret-value"));
        let t = Tokens::from_env(env).unwrap();
        let shown = format!("{t:?}");
        assert!(!shown.contains("secret-value"), "{shown}");
        assert_eq!(t.bot.expose(), "SLACK_BOT_TOKEN-secret-value");
        assert!(Tokens::from_env(|_| None).is_none());
    }

    #[test]
    fn each_mode_names_its_missing_secret() {
        let t = Tokens::from_env(|k| (k == "SLACK_BOT_TOKEN").then(|| "xoxb-1".into())).unwrap();
        assert!(t.check(&Inbound::Socket).unwrap_err().contains("SLACK_APP_TOKEN"));
        let http = Inbound::Http("127.0.0.1:1".parse().unwrap());
        assert!(t.check(&http).unwrap_err().contains("SLACK_SIGNING_SECRET"));
    }
}
