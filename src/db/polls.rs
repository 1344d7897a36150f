//! CAB polls and the vote ledger.

use super::{changed_one, parse_ts, parse_ts_opt, ts};
use crate::domain::roles::{Role, Roles};
use crate::domain::tally::{PollRules, Rule, Vote};
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use std::str::FromStr;

pub use crate::domain::poll::{Poll, PollClose, PollDecision, Settled, VoteAction, VoteEvent};

fn roles_text(r: &Roles) -> String {
    r.iter().map(|r| r.key()).collect::<Vec<_>>().join(",")
}

fn parse_roles(s: &str) -> Roles {
    s.split(',').filter_map(|r| Role::from_str(r).ok()).collect()
}

fn decode(r: SqliteRow) -> anyhow::Result<Poll> {
    let rule = match r.try_get::<String, _>("rule")?.as_str() {
        "majority" => Rule::Majority,
        "unanimous" => Rule::Unanimous,
        other => anyhow::bail!("stored poll rule {other:?}"),
    };
    let opened_at = parse_ts(r.try_get("opened_at")?)?;
    let deadline = parse_ts(r.try_get("deadline")?)?;
    let closed_at = parse_ts_opt(r.try_get("closed_at")?)?;
    let outcome = match r.try_get::<Option<String>, _>("outcome")? {
        None => None,
        Some(k) => Some(PollClose::from_key(&k).ok_or_else(|| anyhow::anyhow!("stored poll outcome {k:?}"))?),
    };
    let decision = match r.try_get::<Option<String>, _>("decision")? {
        None => None,
        Some(k) => {
            Some(PollDecision::from_key(&k).ok_or_else(|| anyhow::anyhow!("stored poll decision {k:?}"))?)
        }
    };
    let settled_by: Option<String> = r.try_get("settled_by")?;
    let settled_at = parse_ts_opt(r.try_get("settled_at")?)?;
    let settled = match (settled_by, settled_at) {
        (Some(by), Some(at)) => Some(Settled {
            by_name: r
                .try_get::<Option<String>, _>("settled_by_name")?
                .unwrap_or_else(|| by.clone()),
            by,
            reason: r.try_get("settled_reason")?,
            at,
        }),
        _ => None,
    };
    Ok(Poll {
        id: r.try_get("id")?,
        guild: r.try_get("guild")?,
        release_row: r.try_get("release_id")?,
        revision: r.try_get("revision")?,
        message_id: r.try_get("message_id")?,
        rules: PollRules {
            emergency: r.try_get("emergency")?,
            voting_role: Role::from_str(&r.try_get::<String, _>("voting_role")?)
                .map_err(anyhow::Error::msg)?,
            quorum: r.try_get::<i64, _>("quorum")? as u32,
            rule,
            veto_roles: parse_roles(&r.try_get::<String, _>("veto_roles")?)
                .into_iter()
                .collect(),
            early_approval: r.try_get::<i64, _>("early_approval")? as u32,
            deadline: deadline - opened_at,
        },
        submitter: r.try_get("submitter")?,
        notify_channel: r.try_get("notify_channel")?,
        opened_at,
        deadline,
        closed: closed_at.zip(outcome),
        decision,
        settled,
    })
}

const COLUMNS: &str =
    "id, guild, release_id, revision, message_id, emergency, voting_role, quorum, rule, veto_roles, early_approval,
    submitter, notify_channel, opened_at, deadline, closed_at, outcome, decision, settled_by, settled_by_name,
    settled_reason, settled_at";

/// What a new poll is made of.
pub struct NewPoll<'a> {
    /// The release's row id.
    pub release_row: i64,
    /// The plan revision voted on.
    pub revision: i64,
    /// The bot message carrying it.
    pub message_id: i64,
    /// Its rules.
    pub rules: &'a PollRules,
    /// Who submitted.
    pub submitter: &'a str,
    /// Where the outcome is announced.
    pub notify_channel: &'a str,
}

/// Opens a poll; returns its id.
pub async fn open(
    conn: &mut SqliteConnection,
    guild: &str,
    p: &NewPoll<'_>,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let veto: Roles = p.rules.veto_roles.iter().copied().collect();
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO polls (guild, release_id, revision, message_id, emergency, voting_role, quorum, rule, veto_roles,
            early_approval, submitter, notify_channel, opened_at, deadline)
         SELECT guild, id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM releases WHERE id = ? AND guild = ? RETURNING id",
    )
    .bind(p.revision)
    .bind(p.message_id)
    .bind(p.rules.emergency)
    .bind(p.rules.voting_role.key())
    .bind(p.rules.quorum as i64)
    .bind(p.rules.rule.key())
    .bind(roles_text(&veto))
    .bind(p.rules.early_approval as i64)
    .bind(p.submitter)
    .bind(p.notify_channel)
    .bind(ts(now))
    .bind(ts(now
        .checked_add_signed(p.rules.deadline)
        .ok_or_else(|| anyhow::anyhow!("a poll deadline past the calendar's end"))?))
    .bind(p.release_row)
    .bind(guild)
    .fetch_optional(conn)
    .await?;
    changed_one(id.is_some() as u64, "release", p.release_row, guild)?;
    Ok(id.unwrap_or_default())
}

/// A poll of `guild` by id.
pub async fn get(conn: &mut SqliteConnection, guild: &str, id: i64) -> anyhow::Result<Option<Poll>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM polls WHERE id = ? AND guild = ?"))
        .bind(id)
        .bind(guild)
        .fetch_optional(conn)
        .await?;
    row.map(decode).transpose()
}

/// The poll of `guild` carried by a bot message.
pub async fn by_message(
    conn: &mut SqliteConnection,
    guild: &str,
    message_id: i64,
) -> anyhow::Result<Option<Poll>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM polls WHERE message_id = ? AND guild = ?"
    ))
    .bind(message_id)
    .bind(guild)
    .fetch_optional(conn)
    .await?;
    row.map(decode).transpose()
}

/// The latest poll of a release of `guild`, open or closed.
pub async fn latest_for_release(
    conn: &mut SqliteConnection,
    guild: &str,
    release_row: i64,
) -> anyhow::Result<Option<Poll>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM polls WHERE release_id = ? AND guild = ? ORDER BY id DESC LIMIT 1"
    ))
    .bind(release_row)
    .bind(guild)
    .fetch_optional(conn)
    .await?;
    row.map(decode).transpose()
}

/// Records who recalled or decided a poll of `guild` and why; `decision` for a
/// change manager's decision after an expiry. False if it was settled before.
pub async fn settle(
    conn: &mut SqliteConnection,
    guild: &str,
    id: i64,
    decision: Option<PollDecision>,
    by: &Settled,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE polls SET decision = ?, settled_by = ?, settled_by_name = ?, settled_reason = ?, settled_at = ?
         WHERE id = ? AND guild = ? AND settled_by IS NULL",
    )
    .bind(decision.map(PollDecision::key))
    .bind(&by.by)
    .bind(&by.by_name)
    .bind(&by.reason)
    .bind(ts(by.at))
    .bind(id)
    .bind(guild)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The open poll of a release of `guild`, if any.
pub async fn open_for_release(
    conn: &mut SqliteConnection,
    guild: &str,
    release_row: i64,
) -> anyhow::Result<Option<Poll>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM polls WHERE release_id = ? AND guild = ? AND closed_at IS NULL ORDER BY id DESC LIMIT 1"
    ))
    .bind(release_row)
    .bind(guild)
    .fetch_optional(conn)
    .await?;
    row.map(decode).transpose()
}

/// Every open poll of `guild` (reconciled after a reconnect).
pub async fn open_polls(conn: &mut SqliteConnection, guild: &str) -> anyhow::Result<Vec<Poll>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM polls WHERE guild = ? AND closed_at IS NULL ORDER BY id"
    ))
    .bind(guild)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(decode).collect()
}

/// Closes a poll with its outcome; false if it was already closed.
pub async fn close(
    conn: &mut SqliteConnection,
    guild: &str,
    id: i64,
    outcome: PollClose,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE polls SET closed_at = ?, outcome = ? WHERE id = ? AND guild = ? AND closed_at IS NULL",
    )
    .bind(ts(now))
    .bind(outcome.key())
    .bind(id)
    .bind(guild)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Appends to the vote ledger of a poll of `guild`.
pub async fn record_vote(
    conn: &mut SqliteConnection,
    guild: &str,
    poll: i64,
    e: &VoteEvent,
) -> anyhow::Result<()> {
    let done = sqlx::query(
        "INSERT INTO votes (poll_id, user, user_name, roles, vote, action, at, counted, reason, note)
         SELECT id, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM polls WHERE id = ? AND guild = ?",
    )
    .bind(&e.user)
    .bind(&e.user_name)
    .bind(roles_text(&e.roles))
    .bind(e.vote.key())
    .bind(e.action.key())
    .bind(ts(e.at))
    .bind(e.counted)
    .bind(&e.reason)
    .bind(&e.note)
    .bind(poll)
    .bind(guild)
    .execute(conn)
    .await?;
    changed_one(done.rows_affected(), "poll", poll, guild)
}

/// The ledger of a poll of `guild`, oldest first.
pub async fn ledger(conn: &mut SqliteConnection, guild: &str, poll: i64) -> anyhow::Result<Vec<VoteEvent>> {
    let rows = sqlx::query(
        "SELECT user, user_name, roles, vote, action, at, counted, reason, note FROM votes
         WHERE poll_id = ? AND poll_id IN (SELECT id FROM polls WHERE guild = ?) ORDER BY id",
    )
    .bind(poll)
    .bind(guild)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(VoteEvent {
                user: r.try_get("user")?,
                user_name: r.try_get("user_name")?,
                roles: parse_roles(&r.try_get::<String, _>("roles")?),
                vote: Vote::from_key(&r.try_get::<String, _>("vote")?)
                    .ok_or_else(|| anyhow::anyhow!("stored vote"))?,
                action: VoteAction::from_key(&r.try_get::<String, _>("action")?)
                    .ok_or_else(|| anyhow::anyhow!("stored vote action"))?,
                at: parse_ts(r.try_get("at")?)?,
                counted: r.try_get("counted")?,
                reason: r.try_get("reason")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}
