//! Discord's section of the configuration and the checks only Discord needs.

use super::{one, Config, ConfigErrors};

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

impl Config {
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
}
