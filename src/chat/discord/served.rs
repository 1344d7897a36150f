//! The one server this desk serves: `discord.guild_id`, or with
//! `guild_id = 0` the server of `channels.announcements`, learned at start.
//! Whatever another server sends changes nothing here.

use serenity::all::GuildId;
use std::collections::HashSet;
use std::sync::Mutex;

/// The served server, and the other servers already logged.
pub struct Served {
    guild: u64,
    logged: Mutex<HashSet<u64>>,
}

impl Served {
    /// The server `config` serves (`home` learned at start when `guild_id` is 0).
    pub fn new(config: &crate::config::Config) -> Served {
        let guild = match (config.discord.guild_id, config.discord.home) {
            (0, Some(home)) => home,
            (guild, _) => guild,
        };
        Served {
            guild,
            logged: Mutex::new(HashSet::new()),
        }
    }

    /// Whether an event (`what`, with its interaction or message `id`) from
    /// `guild` is another server's, not to be handled (outside any server,
    /// it is not). One from another server is logged at info the first time
    /// that server is seen, and at debug every time.
    pub fn refuses(&self, guild: Option<GuildId>, what: &str, id: u64) -> bool {
        let Some(guild) = guild.filter(|g| g.get() != self.guild) else {
            return false;
        };
        let first = self
            .logged
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(guild.get());
        if first {
            tracing::info!(guild = %guild, served = self.guild, "a server this release desk does not serve is using it; its events are ignored (logged once per server)");
        }
        tracing::debug!(guild = %guild, what, id, "event from a server not served; ignored");
        true
    }
}
