//! CAB polls and the vote ledger.

use super::{changed_one, parse_ts, parse_ts_opt, ts};
use super::{query, query_scalar, Conn, Row};
use crate::domain::roles::{Role, Roles};
use crate::domain::tally::{PollRules, Rule, Vote};
use chrono::{DateTime, Utc};
use std::str::FromStr;

pub use crate::domain::poll::{Poll, PollClose, PollDecision, Settled, VoteAction, VoteEvent};

fn roles_text(r: &Roles) -> String {
    r.iter().map(|r| r.key()).collect::<Vec<_>>().join(",")
}

fn parse_roles(s: &str) -> Roles {
    s.split(',').filter_map(|r| Role::from_str(r).ok()).collect()
}

fn decode(r: Row) -> anyhow::Result<Poll> {
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
            emergency: r.flag("emergency")?,
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
pub async fn open(conn: &mut Conn, guild: &str, p: &NewPoll<'_>, now: DateTime<Utc>) -> anyhow::Result<i64> {
    let veto: Roles = p.rules.veto_roles.iter().copied().collect();
    let id: Option<i64> = query_scalar(
        "INSERT INTO polls (guild, release_id, revision, message_id, emergency, voting_role, quorum, rule, veto_roles,
            early_approval, submitter, notify_channel, opened_at, deadline)
         SELECT guild, id, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM releases WHERE id = $13 AND guild = $14 RETURNING id",
    )
    .bind(p.revision)
    .bind(p.message_id)
    .bind(i64::from(p.rules.emergency))
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
pub async fn get(conn: &mut Conn, guild: &str, id: i64) -> anyhow::Result<Option<Poll>> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM polls WHERE id = $1 AND guild = $2"
    ))
    .bind(id)
    .bind(guild)
    .fetch_optional(conn)
    .await?;
    row.map(decode).transpose()
}

/// The poll of `guild` carried by a bot message.
pub async fn by_message(conn: &mut Conn, guild: &str, message_id: i64) -> anyhow::Result<Option<Poll>> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM polls WHERE message_id = $1 AND guild = $2"
    ))
    .bind(message_id)
    .bind(guild)
    .fetch_optional(conn)
    .await?;
    row.map(decode).transpose()
}

/// The latest poll of a release of `guild`, open or closed.
pub async fn latest_for_release(
    conn: &mut Conn,
    guild: &str,
    release_row: i64,
) -> anyhow::Result<Option<Poll>> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM polls WHERE release_id = $1 AND guild = $2 ORDER BY id DESC LIMIT 1"
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
    conn: &mut Conn,
    guild: &str,
    id: i64,
    decision: Option<PollDecision>,
    by: &Settled,
) -> anyhow::Result<bool> {
    let done = query(
        "UPDATE polls SET decision = $1, settled_by = $2, settled_by_name = $3, settled_reason = $4, settled_at = $5
         WHERE id = $6 AND guild = $7 AND settled_by IS NULL",
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
    conn: &mut Conn,
    guild: &str,
    release_row: i64,
) -> anyhow::Result<Option<Poll>> {
    let row = query(&format!(
        "SELECT {COLUMNS} FROM polls WHERE release_id = $1 AND guild = $2 AND closed_at IS NULL ORDER BY id DESC LIMIT 1"
    ))
    .bind(release_row)
    .bind(guild)
    .fetch_optional(conn)
    .await?;
    row.map(decode).transpose()
}

/// Every open poll of `guild` (reconciled after a reconnect).
pub async fn open_polls(conn: &mut Conn, guild: &str) -> anyhow::Result<Vec<Poll>> {
    let rows = query(&format!(
        "SELECT {COLUMNS} FROM polls WHERE guild = $1 AND closed_at IS NULL ORDER BY id"
    ))
    .bind(guild)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(decode).collect()
}

/// Closes a poll with its outcome; false if it was already closed.
pub async fn close(
    conn: &mut Conn,
    guild: &str,
    id: i64,
    outcome: PollClose,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = query(
        "UPDATE polls SET closed_at = $1, outcome = $2 WHERE id = $3 AND guild = $4 AND closed_at IS NULL",
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
pub async fn record_vote(conn: &mut Conn, guild: &str, poll: i64, e: &VoteEvent) -> anyhow::Result<()> {
    let done = query(
        "INSERT INTO votes (poll_id, \"user\", user_name, roles, vote, action, at, counted, reason, note)
         SELECT id, $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM polls WHERE id = $10 AND guild = $11",
    )
    .bind(&e.user)
    .bind(&e.user_name)
    .bind(roles_text(&e.roles))
    .bind(e.vote.key())
    .bind(e.action.key())
    .bind(ts(e.at))
    .bind(i64::from(e.counted))
    .bind(&e.reason)
    .bind(&e.note)
    .bind(poll)
    .bind(guild)
    .execute(conn)
    .await?;
    changed_one(done.rows_affected(), "poll", poll, guild)
}

/// The ledger of a poll of `guild`, oldest first.
pub async fn ledger(conn: &mut Conn, guild: &str, poll: i64) -> anyhow::Result<Vec<VoteEvent>> {
    let rows = query(
        "SELECT \"user\", user_name, roles, vote, action, at, counted, reason, note FROM votes
         WHERE poll_id = $1 AND poll_id IN (SELECT id FROM polls WHERE guild = $2) ORDER BY id",
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
                counted: r.flag("counted")?,
                reason: r.try_get("reason")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}
