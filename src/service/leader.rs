//! Leader and standby on PostgreSQL. Several instances may run on one
//! database; the one holding the workspace's advisory lock
//! ([`crate::db::leadership`]) leads: it alone connects to the chat
//! platform, delivers the outbox and runs jobs. The others wait as
//! standbys, trying for the lock every quarter of `[ha] takeover`, and the
//! first to get it after the leader's session ends takes over — connects,
//! recounts the open polls and surveys from the platform and runs what fell
//! due meanwhile, as any start does, once.
//!
//! A leader that loses its lock stops sending at once (every delivery and
//! job run checks it first) and then exits with an error: its supervisor
//! starts it again, and it comes back as a standby. Exiting rather than
//! stepping down in place leaves no half-closed gateway session or stale
//! in-memory state behind, and it is what the logs and the supervisor's
//! restart counter show an on-call engineer.

use crate::config::Config;
use crate::db::leadership::{Leader, Lost};
use std::time::Duration;

/// How often a standby tries for the lock: four tries within `takeover`.
pub fn attempt_every(takeover: Duration) -> Duration {
    (takeover / 4).max(Duration::from_millis(250))
}

/// How often the leader checks its lock between deliveries and job runs
/// (six times within `takeover`), so a cut connection stops it well before
/// a standby can take over.
pub fn check_every(takeover: Duration) -> Duration {
    (takeover / 6).max(Duration::from_millis(200))
}

/// How long one check may take before the lock counts as lost: a leader
/// that cannot reach its lock's session cannot know a standby has not
/// taken over. At least a second, so a busy database is not a failover.
pub fn check_within(takeover: Duration) -> Duration {
    (takeover / 6).max(Duration::from_secs(1))
}

/// How long the server lets the lock's connection be silent before it
/// probes for a leader whose machine vanished without closing it (then
/// two probes a second apart, and the session ends): a third of
/// `takeover`, leaving the rest for a standby's next try.
pub fn keepalive_idle(takeover: Duration) -> Duration {
    (takeover / 3).max(Duration::from_secs(1))
}

/// The leadership of the configured database: contended on PostgreSQL,
/// the only instance otherwise.
pub fn for_config(config: &Config) -> anyhow::Result<Leader> {
    let t = config.takeover;
    Leader::for_database(&config.database_url, check_within(t), keepalive_idle(t))
}

/// Waits, as a standby, until this instance leads `workspace`: true
/// then; false when the process was told to stop first. At once on SQLite.
pub async fn lead(leader: &Leader, workspace: &str, takeover: Duration) -> anyhow::Result<bool> {
    if !leader.contended() {
        return Ok(true);
    }
    let every = attempt_every(takeover);
    let stop = super::shutdown_signal();
    tokio::pin!(stop);
    let mut said = false;
    loop {
        match leader.try_take(workspace).await {
            Ok(true) => {
                tracing::warn!(
                    workspace = %workspace,
                    "leader: this instance holds the leader's lock; connecting to the chat platform"
                );
                return Ok(true);
            }
            Ok(false) if !said => {
                said = true;
                tracing::warn!(
                    workspace = %workspace,
                    takeover_ms = takeover.as_millis() as u64,
                    "standby: another instance leads this workspace; this one takes over within [ha] takeover of its session ending"
                );
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(
                error = format!("{e:#}"),
                "standby: cannot ask for the leader's lock; trying again"
            ),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = &mut stop => {
                tracing::info!("shutting down (standby)");
                return Ok(false);
            }
        }
    }
}

/// Checks the lock every [`check_every`] (and whenever a delivery's or a
/// job's check found it gone); resolves with why once it is lost. Never on
/// SQLite.
pub async fn watch(leader: &Leader, workspace: &str, takeover: Duration) -> Lost {
    if !leader.contended() {
        return std::future::pending().await;
    }
    let every = check_every(takeover);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = leader.lost() => {}
        }
        if let Err(lost) = leader.check().await {
            tracing::error!(
                workspace = %workspace,
                why = %lost.0,
                "leader: lost the leader's lock; sent nothing more and stopping, so that only the new leader sends (restarted, this instance comes back as a standby)"
            );
            return lost;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vanished_leader_is_replaced_within_takeover_from_five_seconds() {
        let secs = Duration::from_secs;
        assert_eq!(attempt_every(secs(15)), Duration::from_millis(3750));
        assert_eq!(check_every(secs(15)), Duration::from_millis(2500));
        assert_eq!(check_within(secs(2)), secs(1));
        for t in (5..=3600).map(secs) {
            // The server's probes (idle, then two a second apart), then a standby's next try.
            let replaced = keepalive_idle(t) + secs(2) + attempt_every(t);
            assert!(replaced <= t, "{t:?}: {replaced:?}");
            // The leader notices a dead connection before the server lets a standby in.
            assert!(
                check_every(t) + check_within(t) <= keepalive_idle(t) + secs(2),
                "{t:?}"
            );
        }
    }
}
