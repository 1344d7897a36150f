//! CAB and ECAB polls: submission, reactions, and the decision.

use super::{apply, audit, load_release, notify, system_actor, Ctx, Handled, Invoker, Reply, Tell};
use crate::db::polls::{Poll, VoteEvent};
use crate::db::{self, Tx};
use crate::domain::ids::RecordId;
use crate::domain::records::{Actor, Release, Rfc};
use crate::domain::release::{Event, ReleaseState};
use crate::domain::rfc::Risk;
use crate::domain::roles::Roles;
use crate::domain::tally::{decide, next_recount, tally, Ballot, Outcome, Tally, Vote, RECOUNT_EVERY};
use crate::render;
use std::collections::{BTreeMap, BTreeSet};

/// The job kind that decides a poll.
pub const CLOSE_JOB: &str = "poll-close";
/// The part of a `poll-close` job's key that marks a periodic recount.
const RECOUNT_KEY: &str = "recount";

/// A reaction added or removed on a bot message.
#[derive(Debug, Clone)]
pub struct ReactionEvent {
    /// The platform's id of the message.
    pub message: String,
    /// Who reacted.
    pub user: String,
    /// Their name.
    pub name: String,
    /// Their ITIL roles now.
    pub roles: Roles,
    /// The emoji.
    pub emoji: String,
    /// Added (true) or removed.
    pub added: bool,
    /// The bot's own reaction.
    pub bot: bool,
}

/// People who may not approve: the submitter and the RFC requesters.
fn own(poll: &Poll, rfcs: &[Rfc]) -> BTreeSet<String> {
    let mut s: BTreeSet<String> = rfcs.iter().map(|r| r.requester.clone()).collect();
    s.insert(poll.submitter.clone());
    s
}

/// `/release submit`: checks the plan and opens the poll with the rules that apply.
pub async fn submit(ctx: Ctx<'_>, who: &Invoker, id: RecordId) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    release.submitter = Some(who.actor.id.clone());
    apply(
        &mut tx,
        ctx,
        &who.actor,
        &mut release,
        Event::Submit,
        Tell::Subscribers {
            what: "submitted to the CAB",
            said_in: Some(&who.channel),
        },
    )
    .await?;
    let rfcs = db::rfcs::for_release(&mut tx, release.row).await?;
    let high = rfcs.iter().any(|r| r.risk == Risk::High);
    let rules = ctx.config.cab.rules_for(release.emergency, high);
    let channel = if release.emergency {
        &ctx.config.channels.ecab
    } else {
        &ctx.config.channels.cab
    };
    let message_id = db::outbox::post(
        &mut tx,
        ctx.guild,
        channel,
        "poll",
        &crate::chat::Outgoing::default(),
        ctx.now,
    )
    .await?;
    let new_poll = db::polls::NewPoll {
        release_row: release.row,
        revision: release.lifecycle.revision,
        message_id,
        rules: &rules,
        submitter: &who.actor.id,
        notify_channel: &who.channel,
    };
    let poll_id = db::polls::open(&mut tx, ctx.guild, &new_poll, ctx.now).await?;
    let poll = db::polls::get(&mut tx, poll_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("poll {poll_id} vanished"))?;
    // The post was queued empty so the poll could name its message; fill it in.
    let body = poll_message(
        ctx,
        &release,
        &rfcs,
        &poll,
        &Tally::default(),
        None,
        &BTreeMap::new(),
    );
    db::outbox::set_body(&mut tx, message_id, &body).await?;
    for v in Vote::ALL {
        db::outbox::react(&mut tx, ctx.guild, message_id, v.emoji(), ctx.now).await?;
    }
    let payload = serde_json::json!({ "poll": poll_id }).to_string();
    db::jobs::schedule(
        &mut tx,
        ctx.guild,
        CLOSE_JOB,
        &format!("{CLOSE_JOB}:{poll_id}:deadline"),
        poll.deadline,
        &payload,
    )
    .await?;
    schedule_recount(&mut tx, ctx.guild, &poll, ctx.now).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "poll.open",
        None,
        Some(format!(
            "{} poll, {} quorum {}, deadline {}",
            if rules.emergency { "ECAB" } else { "CAB" },
            rules.rule.key(),
            rules.quorum,
            poll.deadline.to_rfc3339()
        )),
    );
    tx.commit().await?;
    Ok(Reply::Public(render::submitted(
        &release,
        channel,
        rules.emergency,
    )))
}

fn poll_message(
    ctx: Ctx<'_>,
    release: &Release,
    rfcs: &[Rfc],
    poll: &Poll,
    t: &Tally,
    outcome: Option<&Outcome>,
    names: &BTreeMap<String, String>,
) -> crate::chat::Outgoing {
    let lookup = |u: &str| names.get(u).cloned().unwrap_or_else(|| u.to_string());
    render::poll(&render::PollView {
        release,
        rfcs,
        poll,
        tally: t,
        outcome,
        names: &lookup,
        tz: ctx.config.timezone,
    })
}

/// The ballots as the ledger's add and remove events leave them.
fn ballots_from_ledger(ledger: &[VoteEvent]) -> (Vec<Ballot>, BTreeMap<String, String>) {
    let mut by_user: BTreeMap<String, Ballot> = BTreeMap::new();
    let mut names = BTreeMap::new();
    for e in ledger.iter().filter(|e| e.action != "count") {
        names.insert(e.user.clone(), e.user_name.clone());
        let b = by_user.entry(e.user.clone()).or_insert_with(|| Ballot {
            user: e.user.clone(),
            roles: Roles::new(),
            votes: BTreeSet::new(),
        });
        b.roles = e.roles.clone();
        if e.action == "add" {
            b.votes.insert(e.vote);
        } else {
            b.votes.remove(&e.vote);
        }
    }
    (by_user.into_values().collect(), names)
}

fn status_of(t: &Tally, user: &str) -> (bool, Option<String>) {
    if let Some((_, why)) = t.ignored.iter().find(|(u, _)| u == user) {
        return (false, Some(why.key().to_string()));
    }
    let counted = t
        .approve
        .iter()
        .chain(&t.reject)
        .chain(&t.abstain)
        .any(|u| u == user);
    (counted, None)
}

/// A reaction on a bot message: a survey answer is recorded; a vote event on a poll goes to the ledger,
/// the live tally is shown, and a decisive event asks for an early count.
pub async fn reaction(ctx: Ctx<'_>, ev: &ReactionEvent) -> anyhow::Result<()> {
    if ev.bot {
        return Ok(());
    }
    let mut tx = ctx.begin().await?;
    let Some((message_id, purpose)) = db::outbox::by_platform_id(&mut tx, &ev.message).await? else {
        return Ok(());
    };
    if let Some(release) = purpose
        .strip_prefix("survey:")
        .and_then(|r| r.parse::<i64>().ok())
    {
        return super::survey::answer(tx, ctx, message_id, release, ev).await;
    }
    let Some(vote) = Vote::from_emoji(&ev.emoji) else {
        return Ok(());
    };
    if purpose != "poll" {
        return Ok(());
    }
    let Some(poll) = db::polls::by_message(&mut tx, message_id).await? else {
        return Ok(());
    };
    if poll.closed.is_some() {
        return Ok(());
    }
    let release = db::releases::by_row(&mut tx, poll.release_row).await?;
    let rfcs = db::rfcs::for_release(&mut tx, release.row).await?;
    let mut ledger = db::polls::ledger(&mut tx, poll.id).await?;
    let mut event = VoteEvent {
        user: ev.user.clone(),
        user_name: ev.name.clone(),
        roles: ev.roles.clone(),
        vote,
        action: if ev.added { "add" } else { "remove" }.into(),
        at: ctx.now,
        counted: false,
        reason: None,
    };
    ledger.push(event.clone());
    let (ballots, names) = ballots_from_ledger(&ledger);
    let live = tally(&ballots, &poll.rules, &own(&poll, &rfcs));
    let (counted, reason) = status_of(&live, &ev.user);
    event.counted = counted && ev.added;
    event.reason = if ev.added { reason } else { Some("removed".into()) };
    db::polls::record_vote(&mut tx, poll.id, &event).await?;
    let body = poll_message(ctx, &release, &rfcs, &poll, &live, None, &names);
    db::outbox::edit(&mut tx, ctx.guild, poll.message_id, &body, ctx.now).await?;
    if decide(&live, &poll.rules, false).is_some() {
        let n = ledger.len();
        let payload = serde_json::json!({ "poll": poll.id }).to_string();
        db::jobs::schedule(
            &mut tx,
            ctx.guild,
            CLOSE_JOB,
            &format!("{CLOSE_JOB}:{}:early:{n}", poll.id),
            ctx.now,
            &payload,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The reactions on a poll message as the platform reports them when counted.
#[derive(Debug, Clone, Default)]
pub struct Count {
    /// One ballot per person.
    pub ballots: Vec<Ballot>,
    /// Names by user id.
    pub names: BTreeMap<String, String>,
}

/// Decides a poll from the platform's reactions (the job `poll-close`). The
/// job is marked done in the same transaction, so the outcome happens once.
pub async fn close(ctx: Ctx<'_>, job_id: i64, poll_id: i64, count: &Count) -> anyhow::Result<()> {
    let mut tx = ctx.begin().await?;
    if !db::jobs::finish(&mut tx, job_id, ctx.now).await? {
        return Ok(());
    }
    let Some(poll) = db::polls::get(&mut tx, poll_id).await? else {
        tx.commit().await?;
        return Ok(());
    };
    if poll.closed.is_some() {
        tx.commit().await?;
        return Ok(());
    }
    let mut release = db::releases::by_row(&mut tx, poll.release_row).await?;
    let rfcs = db::rfcs::for_release(&mut tx, release.row).await?;
    let final_tally = tally(&count.ballots, &poll.rules, &own(&poll, &rfcs));
    let deadline_passed = ctx.now >= poll.deadline;
    let Some(outcome) = decide(&final_tally, &poll.rules, deadline_passed) else {
        // Not decided (a recount after a reconnect, or an early decision the
        // platform's count no longer supports): stay open, and bring the
        // ledger to what the platform shows, so the votes cast while the bot
        // was away stay in the live tally and in later early decisions.
        let ledger = db::polls::ledger(&mut tx, poll.id).await?;
        let (recorded, _) = ballots_from_ledger(&ledger);
        // Who reacted while the platform was being read: the ledger is newer
        // than the count for them.
        let since = db::parse_ts(&db::ts(ctx.now))?;
        let busy: BTreeSet<&str> = ledger
            .iter()
            .filter(|e| e.at >= since)
            .map(|e| e.user.as_str())
            .collect();
        let mut caught_up = 0;
        for e in catch_up(&recorded, count, &final_tally, ctx.now) {
            if !busy.contains(e.user.as_str()) {
                db::polls::record_vote(&mut tx, poll.id, &e).await?;
                caught_up += 1;
            }
        }
        // A recount that found the ledger right leaves the message alone: it
        // shows that tally already, and edits cost rate limit.
        if caught_up > 0 {
            let body = poll_message(ctx, &release, &rfcs, &poll, &final_tally, None, &count.names);
            db::outbox::edit(&mut tx, ctx.guild, poll.message_id, &body, ctx.now).await?;
        }
        schedule_recount(&mut tx, ctx.guild, &poll, ctx.now).await?;
        tx.commit().await?;
        return Ok(());
    };
    for b in &count.ballots {
        let (counted, reason) = status_of(&final_tally, &b.user);
        for v in &b.votes {
            let e = VoteEvent {
                user: b.user.clone(),
                user_name: count
                    .names
                    .get(&b.user)
                    .cloned()
                    .unwrap_or_else(|| b.user.clone()),
                roles: b.roles.clone(),
                vote: *v,
                action: "count".into(),
                at: ctx.now,
                counted,
                reason: reason.clone(),
            };
            db::polls::record_vote(&mut tx, poll.id, &e).await?;
        }
    }
    db::polls::close(&mut tx, poll.id, outcome.key(), ctx.now).await?;
    let poll = db::polls::get(&mut tx, poll.id).await?.unwrap_or(poll);
    let system = system_actor();
    let event = match outcome {
        Outcome::Approved { .. } => Event::CabApproved,
        Outcome::Rejected { .. } => Event::CabRejected,
        Outcome::Expired => Event::CabExpired,
    };
    audit(
        &mut tx,
        ctx,
        &system,
        release.rid(),
        "poll.close",
        Some("open".into()),
        Some(format!(
            "{} — ✅ {} ❌ {} 🤷 {} (ignored {})",
            outcome.key(),
            final_tally.approve.len(),
            final_tally.reject.len(),
            final_tally.abstain.len(),
            final_tally.ignored.len()
        )),
    );
    if release.lifecycle.state == ReleaseState::PlanReview {
        apply(&mut tx, ctx, &system, &mut release, event, Tell::Nobody)
            .await
            .map_err(|f| match f {
                super::Failure::User(m) => {
                    anyhow::anyhow!("the lifecycle refused the poll outcome: {m}")
                }
                super::Failure::Internal(e) => e,
                super::Failure::Duplicate => anyhow::anyhow!("a poll close has no idempotency key"),
            })?;
    }
    let body = poll_message(
        ctx,
        &release,
        &rfcs,
        &poll,
        &final_tally,
        Some(&outcome),
        &count.names,
    );
    db::outbox::edit(&mut tx, ctx.guild, poll.message_id, &body, ctx.now).await?;
    let notice = render::poll_outcome(
        &release,
        &outcome,
        &final_tally,
        poll.rules.quorum,
        poll.rules.emergency,
    );
    db::outbox::post(
        &mut tx,
        ctx.guild,
        &poll.notify_channel,
        "notice",
        &notice,
        ctx.now,
    )
    .await?;
    notify(&mut tx, ctx, &release, &notice, Some(&poll.notify_channel)).await?;
    if outcome == Outcome::Expired {
        let channel = if poll.rules.emergency {
            &ctx.config.channels.ecab
        } else {
            &ctx.config.channels.cab
        };
        let note = render::expired_for_change_managers(&release, &final_tally, poll.rules.quorum);
        db::outbox::post(&mut tx, ctx.guild, channel, "notice", &note, ctx.now).await?;
    }
    let mut told = BTreeSet::new();
    for rfc in &rfcs {
        if told.insert(rfc.requester.clone()) {
            let dm = render::requester_decision(&release, rfc, &outcome, poll.rules.emergency);
            db::outbox::dm(&mut tx, ctx.guild, &rfc.requester, "notice", &dm, ctx.now).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Queues an immediate count of every open poll; returns how many.
pub async fn reconcile(db: &crate::db::Db, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<usize> {
    let mut tx = db.begin().await?;
    let open = db::polls::open_polls(&mut tx).await?;
    for p in &open {
        let payload = serde_json::json!({ "poll": p.id }).to_string();
        let key = format!("{CLOSE_JOB}:{}:reconcile:{}", p.id, crate::db::ts(now));
        db::jobs::schedule(&mut tx, &p.guild, CLOSE_JOB, &key, now, &payload).await?;
    }
    tx.commit().await?;
    Ok(open.len())
}

/// Queues the next periodic recount of an open poll (one job per poll and
/// instant, whoever asks), unless its deadline comes first.
async fn schedule_recount(
    tx: &mut Tx,
    guild: &str,
    poll: &Poll,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let Some(due) = next_recount(now, poll.deadline, RECOUNT_EVERY) else {
        return Ok(());
    };
    let payload = serde_json::json!({ "poll": poll.id }).to_string();
    let key = format!("{CLOSE_JOB}:{}:{RECOUNT_KEY}:{}", poll.id, crate::db::ts(due));
    db::jobs::schedule(tx, guild, CLOSE_JOB, &key, due, &payload).await?;
    Ok(())
}

/// Closes the open poll of a cancelled release and shows it on the message.
pub async fn cancel_open_poll(
    tx: &mut Tx,
    ctx: Ctx<'_>,
    actor: &Actor,
    release: &Release,
) -> anyhow::Result<()> {
    let Some(poll) = db::polls::open_for_release(tx, release.row).await? else {
        return Ok(());
    };
    db::polls::close(tx, poll.id, "cancelled", ctx.now).await?;
    audit(
        tx,
        ctx,
        actor,
        release.rid(),
        "poll.close",
        Some("open".into()),
        Some("cancelled".into()),
    );
    let note = render::poll_cancelled(release, poll.rules.emergency);
    db::outbox::edit(tx, ctx.guild, poll.message_id, &note, ctx.now).await
}

/// The ballots the reaction events recorded: what decides a poll whose
/// message can no longer be read.
pub async fn count_from_ledger(conn: &mut sqlx::SqliteConnection, poll_id: i64) -> anyhow::Result<Count> {
    let (ballots, names) = ballots_from_ledger(&db::polls::ledger(conn, poll_id).await?);
    Ok(Count { ballots, names })
}

/// The add and remove events that take the ledger's ballots (`recorded`) to
/// the platform's (`count`), each marked counted or not by `t`.
fn catch_up(
    recorded: &[Ballot],
    count: &Count,
    t: &Tally,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<VoteEvent> {
    let none = BTreeSet::new();
    let votes_in = |ballots: &[Ballot], user: &str| {
        ballots
            .iter()
            .find(|b| b.user == user)
            .map(|b| b.votes.clone())
            .unwrap_or_else(|| none.clone())
    };
    let name = |b: &Ballot| {
        count
            .names
            .get(&b.user)
            .cloned()
            .unwrap_or_else(|| b.user.clone())
    };
    let mut events = Vec::new();
    for b in &count.ballots {
        let (counted, reason) = status_of(t, &b.user);
        for v in b.votes.difference(&votes_in(recorded, &b.user)) {
            events.push(VoteEvent {
                user: b.user.clone(),
                user_name: name(b),
                roles: b.roles.clone(),
                vote: *v,
                action: "add".into(),
                at: now,
                counted,
                reason: reason.clone(),
            });
        }
    }
    for b in recorded {
        for v in b.votes.difference(&votes_in(&count.ballots, &b.user)) {
            events.push(VoteEvent {
                user: b.user.clone(),
                user_name: name(b),
                roles: b.roles.clone(),
                vote: *v,
                action: "remove".into(),
                at: now,
                counted: false,
                reason: Some("removed".into()),
            });
        }
    }
    events
}

/// Turns the platform's reactions into ballots (the bot's own are dropped).
pub fn count_from_reactions(
    reactions: &[(Vote, Vec<crate::chat::Reactor>)],
    roles_of: &dyn Fn(&[String]) -> Roles,
) -> Count {
    let mut ballots: BTreeMap<String, Ballot> = BTreeMap::new();
    let mut names = BTreeMap::new();
    for (vote, reactors) in reactions {
        for r in reactors.iter().filter(|r| !r.bot) {
            names.insert(r.user.clone(), r.name.clone());
            ballots
                .entry(r.user.clone())
                .or_insert_with(|| Ballot {
                    user: r.user.clone(),
                    roles: roles_of(&r.chat_roles),
                    votes: BTreeSet::new(),
                })
                .votes
                .insert(*vote);
        }
    }
    Count {
        ballots: ballots.into_values().collect(),
        names,
    }
}
