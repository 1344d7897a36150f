//! The satisfaction survey posted when early life support begins: one
//! answer per person from its 1️⃣–5️⃣ reactions, as they come and, after a
//! reconnect, recounted from the platform.

use super::{audit, Ctx};
use crate::db::{self, Tx};
use crate::domain::records::{Actor, Release};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The job that recounts a survey from the platform's reactions.
pub const COUNT_JOB: &str = "survey-count";

/// The payload of a survey-count job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CountJob {
    /// The survey's bot message.
    pub message: i64,
    /// The release's row id.
    pub release: i64,
}

/// A reaction on the satisfaction survey: one answer per person, the latest wins;
/// removing the reaction of the current answer withdraws it.
pub async fn answer(
    mut tx: Tx,
    ctx: Ctx<'_>,
    message_id: i64,
    release_row: i64,
    ev: &super::ReactionEvent,
) -> anyhow::Result<()> {
    let Some(score) = crate::domain::survey::score(&ev.emoji) else {
        return Ok(());
    };
    let release = db::releases::by_row(&mut tx, ctx.guild, release_row).await?;
    let actor = Actor {
        id: ev.user.clone(),
        name: ev.name.clone(),
        roles: ev.roles.clone(),
    };
    if ev.added {
        store(&mut tx, ctx, &actor, &release, message_id, score).await?;
    } else {
        withdraw(&mut tx, ctx, &actor, &release, message_id, score).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Queues a recount of every survey of workspace `guild` of a release in early life support
/// (after a reconnect: answers given while the bot was away count).
pub async fn reconcile(
    db: &crate::db::Db,
    guild: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<usize> {
    let mut tx = db.begin().await?;
    let open = db::incidents::open_surveys(&mut tx, guild).await?;
    for (guild, message, release) in &open {
        let payload = serde_json::to_string(&CountJob {
            message: *message,
            release: *release,
        })?;
        let key = format!("{COUNT_JOB}:{message}:reconcile:{}", crate::db::ts(now));
        db::jobs::schedule(&mut tx, guild, COUNT_JOB, &key, now, &payload).await?;
    }
    tx.commit().await?;
    Ok(open.len())
}

/// The platform's survey reactions: by user, their name and the scores they reacted.
pub type Reacted = BTreeMap<String, (String, BTreeSet<u8>)>;

/// The platform's reactions on a survey, one list per score from 1 to 5,
/// by user (the bot's own dropped).
pub fn reacted(by_score: &[Vec<crate::chat::Reactor>]) -> Reacted {
    let mut reacted = Reacted::new();
    for (score, who) in (1u8..).zip(by_score) {
        for r in who.iter().filter(|r| !r.bot) {
            reacted
                .entry(r.user.clone())
                .or_insert_with(|| (r.name.clone(), BTreeSet::new()))
                .1
                .insert(score);
        }
    }
    reacted
}

/// Brings a survey's answers to the platform's reactions (the job
/// survey-count; the rule is [`crate::domain::survey::recounted`]). `None`: the
/// message can no longer be read, and the answers stay as recorded. The job
/// is marked done in the same transaction.
pub async fn recount(
    ctx: Ctx<'_>,
    job_id: i64,
    job: &CountJob,
    reacted: Option<&Reacted>,
) -> anyhow::Result<()> {
    let mut tx = ctx.begin().await?;
    if !db::jobs::finish(&mut tx, job_id, ctx.now).await? {
        return Ok(());
    }
    let Some(reacted) = reacted else {
        tx.commit().await?;
        return Ok(());
    };
    let release = db::releases::by_row(&mut tx, ctx.guild, job.release).await?;
    let stored: BTreeMap<String, u8> = db::incidents::survey_answers(&mut tx, ctx.guild, job.message)
        .await?
        .into_iter()
        .collect();
    // Who answered or withdrew while the platform was being read: the
    // stored answer is newer than the count for them.
    let since = db::parse_ts(&db::ts(ctx.now))?;
    let busy: BTreeSet<String> = db::audit::for_record(&mut tx, ctx.guild, &release.rid().to_string())
        .await?
        .into_iter()
        .filter(|e| e.action.starts_with("survey.") && e.at >= since)
        .map(|e| e.actor)
        .collect();
    let users: BTreeSet<&String> = stored
        .keys()
        .chain(reacted.keys())
        .filter(|u| !busy.contains(*u))
        .collect();
    for user in users {
        let now_stored = stored.get(user).copied();
        let wanted = crate::domain::survey::recounted(now_stored, reacted.get(user).map(|(_, s)| s));
        if wanted == now_stored {
            continue;
        }
        let actor = Actor {
            id: user.clone(),
            name: reacted
                .get(user)
                .map_or_else(|| user.clone(), |(name, _)| name.clone()),
            roles: Default::default(),
        };
        match (wanted, now_stored) {
            (Some(score), _) => store(&mut tx, ctx, &actor, &release, job.message, score).await?,
            (None, Some(score)) => withdraw(&mut tx, ctx, &actor, &release, job.message, score).await?,
            (None, None) => {}
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Stores `score` as the actor's answer, with its audit entry.
async fn store(
    tx: &mut Tx,
    ctx: Ctx<'_>,
    actor: &Actor,
    release: &Release,
    message: i64,
    score: u8,
) -> anyhow::Result<()> {
    let before =
        db::incidents::answer_survey(tx, ctx.guild, message, release.row, &actor.id, score, ctx.now).await?;
    audit(
        tx,
        ctx,
        actor,
        release.rid(),
        "survey.answer",
        before.map(|b| b.to_string()).map(Into::into),
        Some(score.to_string().into()),
    );
    Ok(())
}

/// Withdraws the actor's answer if it is `score`, with its audit entry.
async fn withdraw(
    tx: &mut Tx,
    ctx: Ctx<'_>,
    actor: &Actor,
    release: &Release,
    message: i64,
    score: u8,
) -> anyhow::Result<()> {
    if db::incidents::withdraw_answer(tx, ctx.guild, message, &actor.id, score).await? {
        audit(
            tx,
            ctx,
            actor,
            release.rid(),
            "survey.withdraw",
            Some(score.to_string().into()),
            None,
        );
    }
    Ok(())
}
