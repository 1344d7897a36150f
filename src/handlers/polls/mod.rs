//! CAB and ECAB polls: submission, reactions, and the decision.

use super::{
    apply, audit, load_release, notify, refuse, system_actor, Ctx, Handled, Invoker, ReactionEvent, Reply,
    Tell,
};
use crate::db::{self, Tx};
use crate::domain::audit::Fact;
use crate::domain::happened::Happened;
use crate::domain::ids::RecordId;
pub use crate::domain::ledger::Count;
pub(super) use crate::domain::ledger::{ballots_from_ledger, own, status_of};
use crate::domain::ledger::{catch_up, reaction_ballots, reasons, standing};
use crate::domain::poll::{Poll, PollClose, VoteAction, VoteEvent};
use crate::domain::records::{Actor, Release, Rfc};
use crate::domain::release::{Event, ReleaseState};
use crate::domain::rfc::Risk;
use crate::domain::roles::Roles;
use crate::domain::tally::{decide, next_recount, tally, Ballot, Outcome, Tally, Vote};
use crate::domain::workflow::{
    closes_after_window_opens, may_submit, reminder_at, with_command_votes, LastPoll, PollEnd,
};
use crate::render;
use std::collections::{BTreeMap, BTreeSet};

mod close;
mod reactions;

pub(super) use reactions::standing_on as not_votes_on;

pub use close::close;

/// The job kind that reminds a poll's channel before its deadline.
pub const REMIND_JOB: &str = "poll-remind";
/// The job kind that decides a poll.
pub const CLOSE_JOB: &str = "poll-close";
/// The part of a `poll-close` job's key that marks a periodic recount.
const RECOUNT_KEY: &str = "recount";

/// `/release submit`: checks the plan and opens the poll with the rules that apply.
pub async fn submit(ctx: Ctx<'_>, who: &Invoker, id: RecordId) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    let last = db::polls::latest_for_release(&mut tx, ctx.guild, release.row).await?;
    let last = last.map(|p| LastPoll {
        end: PollEnd::of(p.closed.map(|c| c.1), p.decision),
        revision: p.revision,
    });
    if release.lifecycle.state == ReleaseState::Planning {
        if let Err(e) = may_submit(last, release.lifecycle.revision) {
            return refuse(render::workflow::resubmit_refused(id, &e));
        }
    }
    if let Some(reply) = super::governance::preapprove(&mut tx, ctx, who, &mut release).await? {
        return ctx.commit(tx, reply).await;
    }
    release.submitter = Some(who.actor.id.clone());
    apply(
        &mut tx,
        ctx,
        &who.actor,
        &mut release,
        Event::Submit,
        Tell::Subscribers {
            what: &Happened::Submitted,
            said_in: Some(&who.channel),
        },
    )
    .await?;
    let rfcs = db::rfcs::for_release(&mut tx, ctx.guild, release.row).await?;
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
        &crate::domain::survey::Purpose::Poll.key(),
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
    let poll = db::polls::get(&mut tx, ctx.guild, poll_id)
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
        &[],
        &[],
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
    if let Some(at) = reminder_at(ctx.now, poll.deadline, ctx.config.remind_before) {
        db::jobs::schedule(
            &mut tx,
            ctx.guild,
            REMIND_JOB,
            &format!("{}:{poll_id}", REMIND_JOB),
            at,
            &payload,
        )
        .await?;
    }
    schedule_recount(&mut tx, ctx, &poll).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "poll.open",
        None,
        Some(
            Fact::PollOpened {
                emergency: rules.emergency,
                rule: rules.rule,
                quorum: rules.quorum,
                deadline: poll.deadline,
            }
            .into(),
        ),
    );
    let mut reply = render::submitted(&release, channel, rules.emergency);
    if let Some(b) = release
        .booking
        .as_ref()
        .filter(|b| closes_after_window_opens(poll.deadline, Some(b.start)))
    {
        reply.push_str(&render::workflow::poll_outlives_window(
            poll.deadline,
            &b.window,
            b.start,
            ctx.config.timezone,
        ));
    }
    ctx.commit(tx, Reply::Public(reply)).await
}

/// The poll message: the tally, then the reasons given with the votes that stand.
#[allow(clippy::too_many_arguments)]
pub(super) fn poll_message(
    ctx: Ctx<'_>,
    release: &Release,
    rfcs: &[Rfc],
    poll: &Poll,
    t: &Tally,
    outcome: Option<&Outcome>,
    names: &BTreeMap<String, String>,
    ledger: &[VoteEvent],
    not_votes: &[(String, Vec<String>)],
) -> crate::chat::Outgoing {
    let mut names = names.clone();
    for e in ledger {
        names.entry(e.user.clone()).or_insert_with(|| e.user_name.clone());
    }
    let lookup = |u: &str| names.get(u).cloned().unwrap_or_else(|| u.to_string());
    let mut out = render::poll(&render::PollView {
        release,
        rfcs,
        poll,
        tally: t,
        outcome,
        names: &lookup,
        not_votes,
        tz: ctx.config.timezone,
    });
    out.push_str(&render::workflow::vote_reasons(&reasons(ledger)));
    out
}

/// A reaction on a poll: a vote event goes to the ledger, the live tally
/// is shown, and a decisive event asks for an early count.
pub(super) async fn vote(
    mut tx: Tx,
    ctx: Ctx<'_>,
    message_id: i64,
    ev: &ReactionEvent,
) -> anyhow::Result<()> {
    let Some(vote) = Vote::from_emoji(&ev.emoji) else {
        return reactions::not_a_vote(tx, ctx, message_id, ev).await;
    };
    let Some(poll) = db::polls::by_message(&mut tx, ctx.guild, message_id).await? else {
        return Ok(());
    };
    if poll.closed.is_some() {
        return Ok(());
    }
    let release = db::releases::by_row(&mut tx, ctx.guild, poll.release_row).await?;
    let rfcs = db::rfcs::for_release(&mut tx, ctx.guild, release.row).await?;
    let mut ledger = db::polls::ledger(&mut tx, ctx.guild, poll.id).await?;
    let mut event = VoteEvent {
        user: ev.user.clone(),
        user_name: ev.name.clone(),
        roles: ev.roles.clone(),
        vote,
        action: if ev.added {
            VoteAction::Add
        } else {
            VoteAction::Remove
        },
        at: ctx.now,
        counted: false,
        reason: None,
        note: None,
    };
    ledger.push(event.clone());
    let (ballots, names) = ballots_from_ledger(&ledger);
    let live = tally(&ballots, &poll.rules, &own(&poll, &rfcs));
    let (counted, reason) = status_of(&live, &ev.user);
    event.counted = counted && ev.added;
    event.reason = if ev.added { reason } else { Some("removed".into()) };
    db::polls::record_vote(&mut tx, ctx.guild, poll.id, &event).await?;
    let not_votes = reactions::standing_on(&mut tx, ctx, poll.id).await?;
    let body = poll_message(
        ctx, &release, &rfcs, &poll, &live, None, &names, &ledger, &not_votes,
    );
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

/// Queues an immediate count of every open poll of workspace `guild`; returns how many.
pub async fn reconcile(
    db: &crate::db::Db,
    guild: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<usize> {
    let mut tx = db.begin().await?;
    let open = db::polls::open_polls(&mut tx, guild).await?;
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
async fn schedule_recount(tx: &mut Tx, ctx: Ctx<'_>, poll: &Poll) -> anyhow::Result<()> {
    let (guild, now) = (ctx.guild, ctx.now);
    let Some(every) = ctx.config.recount_every else {
        return Ok(());
    };
    let Some(due) = next_recount(now, poll.deadline, every) else {
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
    let Some(poll) = db::polls::open_for_release(tx, ctx.guild, release.row).await? else {
        return Ok(());
    };
    db::polls::close(tx, ctx.guild, poll.id, PollClose::Cancelled, ctx.now).await?;
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
pub async fn count_from_ledger(
    conn: &mut crate::db::Conn,
    guild: &str,
    poll_id: i64,
) -> anyhow::Result<Count> {
    // Reactions only: the close adds the standing command votes itself.
    let (ballots, names) = reaction_ballots(&db::polls::ledger(conn, guild, poll_id).await?);
    Ok(Count { ballots, names })
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
