//! The outbox worker: delivers queued messages in order, retries with
//! back-off, and records where each posted message lives so it is never
//! posted twice.

use crate::chat::{Chat, ChatError, Posted};
use crate::db::leadership::Leader;
use crate::db::outbox::{Action, Entry};
use crate::db::{self, Db};
use chrono::{DateTime, Duration, Utc};
use futures_util::FutureExt;
use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;

/// Entries read per pass.
const BATCH: i64 = 100;

/// What a delivery pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Entries delivered.
    pub delivered: usize,
    /// Attempts that failed (they will be retried).
    pub failed: usize,
}

/// How long to wait before attempt `attempts + 1`: at least a second,
/// doubling, at most ten minutes, or what the platform asked for if longer
/// — up to [`MAX_ASKED`]: a wait read off the wire must not push a retry
/// past the end of the calendar.
pub fn backoff(attempts: i64, asked: Option<std::time::Duration>) -> Duration {
    let ours = Duration::seconds(1i64 << attempts.clamp(0, 9)).min(Duration::minutes(10));
    let theirs = asked
        .map(|d| Duration::from_std(d).unwrap_or(MAX_ASKED).min(MAX_ASKED))
        .unwrap_or_else(Duration::zero);
    ours.max(theirs)
}

/// The longest wait a platform may ask for before a retry.
pub const MAX_ASKED: Duration = Duration::hours(1);

async fn attempt(chat: &dyn Chat, e: &Entry) -> Result<Option<Posted>, ChatError> {
    let nonce = format!("rd{}", e.id);
    match &e.action {
        Action::Post { channel, body } => chat.post(channel, body, &nonce).await.map(Some),
        Action::Dm { user, body } => chat.direct(user, body, &nonce).await.map(Some),
        Action::Edit { at: Some(at), body } => chat.edit(at, body).await.map(|_| None),
        Action::React { at: Some(at), emoji } => chat.react(at, emoji).await.map(|_| None),
        Action::Edit { at: None, .. } | Action::React { at: None, .. } => Err(ChatError::Retry {
            after: None,
            message: "the message is not posted yet".into(),
        }),
    }
}

/// Where a delivery pass sends: the workspace's outbox, through its chat,
/// while this instance leads.
#[derive(Clone, Copy)]
pub struct To<'a> {
    /// The workspace whose outbox is delivered.
    pub workspace: &'a str,
    /// Its chat platform.
    pub chat: &'a dyn Chat,
    /// Checked before each entry is sent.
    pub leader: &'a Leader,
}

/// Delivers everything of `to.workspace` due at `now`. Entries of a message (or channel) wait
/// behind an earlier one of the same that failed, so order is kept; edits of
/// one message are spaced by `edit_interval`. Stops with an error, before
/// sending, once this instance no longer leads.
pub async fn deliver(
    db: &Db,
    to: To<'_>,
    now: DateTime<Utc>,
    edit_interval: Duration,
) -> anyhow::Result<Report> {
    let workspace = to.workspace;
    let mut report = Report::default();
    loop {
        let mut conn = db.pool.acquire().await?;
        let batch = db::outbox::pending(&mut conn, workspace, now, BATCH).await?;
        drop(conn);
        if batch.is_empty() {
            return Ok(report);
        }
        // What the platform took is recorded once per pass, also when the
        // pass stopped on an error half-way.
        let mut done = Vec::new();
        let before = report.delivered;
        let passed = pass(db, to, &batch, now, edit_interval, &mut done, &mut report).await;
        db::outbox::delivered(db, &done, now).await?;
        let waiting = passed?;
        // A short batch was everything due; a full one may have more behind it.
        if report.delivered == before || (batch.len() < BATCH as usize && !waiting) {
            return Ok(report);
        }
    }
}

/// Tries each entry of `batch`, noting the delivered ones in `done` (entry,
/// bot message, where a post now lives); true when an edit or reaction
/// waits for a post of this pass.
async fn pass(
    db: &Db,
    to: To<'_>,
    batch: &[Entry],
    now: DateTime<Utc>,
    edit_interval: Duration,
    done: &mut Vec<(i64, i64, Option<Posted>)>,
    report: &mut Report,
) -> anyhow::Result<bool> {
    let To { chat, leader, .. } = to;
    let mut blocked_messages = BTreeSet::new();
    let mut blocked_channels = BTreeSet::new();
    // Edits and reactions waiting for a post delivered in this pass go in the next one.
    let mut waiting = false;
    for e in batch {
        // Posts keep their order per channel, direct messages per user.
        let channel = match &e.action {
            Action::Post { channel, .. } => Some(channel.clone()),
            Action::Dm { user, .. } => Some(format!("dm:{user}")),
            _ => None,
        };
        if blocked_messages.contains(&e.message_id)
            || channel.as_ref().is_some_and(|c| blocked_channels.contains(c))
        {
            continue;
        }
        // An edit or reaction waits for its message's post; the next pass sees it posted.
        if matches!(
            e.action,
            Action::Edit { at: None, .. } | Action::React { at: None, .. }
        ) {
            waiting = true;
            blocked_messages.insert(e.message_id);
            continue;
        }
        if matches!(e.action, Action::Edit { .. }) && edit_interval > Duration::zero() {
            let mut conn = db.pool.acquire().await?;
            if let Some(last) = db::outbox::last_edit(&mut conn, e.message_id).await? {
                if now < last + edit_interval {
                    db::outbox::postpone(&mut conn, e.id, last + edit_interval).await?;
                    blocked_messages.insert(e.message_id);
                    continue;
                }
            }
        }
        // Sent only while leading; what was sent before stays recorded.
        leader.check().await?;
        // On PostgreSQL the entry is claimed first: one another instance
        // holds, or sent meanwhile, waits (and what follows it) for the next pass.
        let claim = if db.backend() == db::Backend::Postgres {
            match db::claim::claim(db, e.id).await? {
                Some(c) => Some(c),
                None => {
                    blocked_messages.insert(e.message_id);
                    if let Some(c) = channel {
                        blocked_channels.insert(c);
                    }
                    continue;
                }
            }
        } else {
            None
        };
        // A delivery that panics fails like one the platform refused.
        let tried = AssertUnwindSafe(attempt(chat, e)).catch_unwind().await;
        let tried = tried.unwrap_or_else(|panic| {
            Err(ChatError::Permanent(format!(
                "delivery panicked: {}",
                super::panic_message(&*panic)
            )))
        });
        match tried {
            Ok(posted) => {
                match claim {
                    Some(c) => c.delivered(e.id, e.message_id, posted.as_ref(), now).await?,
                    None => done.push((e.id, e.message_id, posted)),
                }
                report.delivered += 1;
            }
            Err(err) => {
                if let Some(c) = claim {
                    c.give_back().await?;
                }
                let asked = match &err {
                    ChatError::Retry { after, .. } => *after,
                    ChatError::Permanent(_) => None,
                };
                if matches!(err, ChatError::Permanent(_)) {
                    tracing::error!(entry = e.id, error = %err, "delivery failed; it will be retried");
                } else {
                    tracing::warn!(entry = e.id, error = %err, "delivery will be retried");
                }
                let mut conn = db.pool.acquire().await?;
                db::outbox::failed(
                    &mut conn,
                    e.id,
                    &err.to_string(),
                    now + backoff(e.attempts, asked),
                    matches!(err, ChatError::Retry { .. }),
                )
                .await?;
                report.failed += 1;
                blocked_messages.insert(e.message_id);
                if let Some(c) = channel {
                    blocked_channels.insert(c);
                }
            }
        }
    }
    Ok(waiting)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_ten_minutes_and_honours_a_platform_wait_up_to_an_hour() {
        assert_eq!(backoff(0, None), Duration::seconds(1));
        assert_eq!(backoff(3, None), Duration::seconds(8));
        assert_eq!(backoff(50, None), Duration::seconds(512));
        let asked = |s: u64| Some(std::time::Duration::from_secs(s));
        assert_eq!(backoff(0, asked(5)), Duration::seconds(5));
        assert_eq!(backoff(0, asked(86_400)), MAX_ASKED);
        // Past what a Duration holds: no panic, the longest wait.
        assert_eq!(backoff(0, Some(std::time::Duration::MAX)), MAX_ASKED);
    }
}
