//! Members' roles over the gateway: Request Guild Members (opcode 8) by
//! user ids, up to 100 a request, answered by GUILD_MEMBERS_CHUNK events
//! that carry the request's nonce. Looking members up by id needs no
//! privileged intent, and a recount of a large poll then costs one gateway
//! message per hundred voters instead of one REST call per voter.

use serenity::all::{ChunkGuildFilter, GuildId, GuildMembersChunkEvent, ShardMessenger, UserId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::mpsc;

/// The most user ids Discord takes in one request.
pub const PER_REQUEST: usize = 100;

/// Member requests sent together: Discord takes 120 gateway commands a
/// minute on a connection, heartbeats included.
pub const REQUESTS_AT_ONCE: usize = 10;

/// How long a request waits for its chunks before its users are looked up
/// over REST instead (a socket that dropped meanwhile never answers).
const WAIT: Duration = Duration::from_secs(5);

/// What one request learned: the roles of each member found, and who is
/// not a member (left the server).
#[derive(Debug, Default)]
pub struct Found {
    /// Role ids by member.
    pub roles: HashMap<UserId, Vec<String>>,
    /// Users Discord said are not members.
    pub not_found: Vec<UserId>,
}

/// The gateway side of member look-ups, shared by the event handler (which
/// hands it the shard and the chunks) and the chat adapter (which asks).
#[derive(Default)]
pub struct Members {
    shard: Mutex<Option<ShardMessenger>>,
    pending: Mutex<HashMap<String, mpsc::UnboundedSender<GuildMembersChunkEvent>>>,
    next: AtomicU64,
}

impl std::fmt::Debug for Members {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Members").finish_non_exhaustive()
    }
}

impl Members {
    /// The shard to send requests on (from READY or RESUMED).
    pub fn set_shard(&self, shard: ShardMessenger) {
        *self.shard.lock().unwrap_or_else(|e| e.into_inner()) = Some(shard);
    }

    /// Hands a GUILD_MEMBERS_CHUNK to the request that asked for it.
    pub fn chunk(&self, chunk: GuildMembersChunkEvent) {
        let Some(nonce) = chunk.nonce.clone() else {
            return;
        };
        let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = pending.get(&nonce) {
            let _ = tx.send(chunk);
        }
    }

    /// The roles of `users` (at most [`PER_REQUEST`]) in `guild`, or `None`
    /// when there is no shard yet or the chunks did not all come in time.
    pub async fn roles(&self, guild: GuildId, users: &[UserId]) -> Option<Found> {
        let shard = self.shard.lock().unwrap_or_else(|e| e.into_inner()).clone()?;
        let nonce = format!("members-{}", self.next.fetch_add(1, Ordering::Relaxed));
        let (tx, mut rx) = mpsc::unbounded_channel();
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(nonce.clone(), tx);
        let _forget = Forget(self, &nonce);
        shard.chunk_guild(
            guild,
            u16::try_from(users.len()).ok(),
            false,
            ChunkGuildFilter::UserIds(users.to_vec()),
            Some(nonce.clone()),
        );
        let mut found = Found::default();
        let collect = async {
            let mut seen = 0;
            while let Some(c) = rx.recv().await {
                seen += 1;
                for (id, m) in c.members {
                    found
                        .roles
                        .insert(id, m.roles.iter().map(|r| r.get().to_string()).collect());
                }
                found
                    .not_found
                    .extend(c.not_found.iter().map(|g| UserId::new(g.get())));
                if seen >= c.chunk_count {
                    return true;
                }
            }
            false
        };
        match tokio::time::timeout(WAIT, collect).await {
            Ok(true) => Some(found),
            _ => {
                tracing::warn!(guild = %guild, users = users.len(), "the gateway did not answer a member request in time; asking over REST");
                None
            }
        }
    }
}

/// Drops a request's slot however its wait ends.
struct Forget<'a>(&'a Members, &'a str);

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.0
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(self.1);
    }
}
