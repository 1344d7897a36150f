//! Window announcements: the jobs of each opening, made once, and their posts.

use super::*;
use crate::domain::audit::Fact;

/// What a window job announces.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WindowJob {
    /// The window.
    pub window: String,
    /// The opening's start.
    pub start: DateTime<Utc>,
    /// The opening's end.
    pub end: DateTime<Utc>,
    /// Which announcement.
    pub phase: WindowPhase,
    /// For `before`: how long ahead, in seconds.
    #[serde(default)]
    pub ahead_secs: i64,
}

/// Which announcement of an opening a window job makes (stored as
/// `before`, `open` or `close`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum WindowPhase {
    /// Ahead of the opening, by the job's `ahead_secs`.
    Before,
    /// The opening starts.
    Open,
    /// The opening ends.
    Close,
}

/// Creates the announcement jobs of every opening up to the horizon, once.
/// Announcements already due when an opening is first seen are skipped: the
/// calendar never announces late what it never knew about.
pub async fn materialise(db: &Db, config: &Config, guild: &str, now: DateTime<Utc>) -> anyhow::Result<usize> {
    // Most calls find the horizon already covered: known without a read
    // (every job poll asks), else checked without taking the write lock.
    let covered = |done: DateTime<Utc>| done >= now + Duration::days(HORIZON_DAYS) - Duration::hours(1);
    if db.materialised_known(guild).is_some_and(covered) {
        return Ok(0);
    }
    let mut conn = db.pool.acquire().await?;
    if let Some(done) = db::calendar::materialised_to(&mut conn, guild).await? {
        if covered(done) {
            db.note_materialised(guild, done);
            return Ok(0);
        }
    }
    drop(conn);
    let mut tx = db.begin().await?;
    let from = db::calendar::materialised_to(&mut tx, guild)
        .await?
        .unwrap_or(now)
        .max(now - Duration::days(1));
    let to = now + Duration::days(HORIZON_DAYS);
    if to <= from {
        return Ok(0);
    }
    let cal = load(&mut tx, config, guild, now).await?;
    let mut created = 0;
    for o in cal.openings(from, to) {
        let mut phases: Vec<(String, WindowPhase, DateTime<Utc>, i64)> = config
            .announce_before
            .iter()
            // Validation bounds these; an announcement before the first
            // representable time could never be due anyway.
            .filter_map(|d| {
                Some((
                    format!("before-{}", crate::domain::timefmt::format_duration(*d)),
                    WindowPhase::Before,
                    o.start.checked_sub_signed(*d)?,
                    d.num_seconds(),
                ))
            })
            .collect();
        phases.push(("open".into(), WindowPhase::Open, o.start, 0));
        phases.push(("close".into(), WindowPhase::Close, o.end, 0));
        for (phase_key, phase, due, ahead) in phases {
            if due < now {
                continue;
            }
            // Keys are unique across workspaces: two serving the same windows each get theirs.
            let key = format!(
                "{WINDOW_JOB}:{guild}:{}:{}:{phase_key}",
                o.window,
                db::ts(o.start)
            );
            let job = WindowJob {
                window: o.window.clone(),
                start: o.start,
                end: o.end,
                phase,
                ahead_secs: ahead,
            };
            if db::jobs::schedule(
                &mut tx,
                guild,
                WINDOW_JOB,
                &key,
                due,
                &serde_json::to_string(&job)?,
            )
            .await?
            {
                created += 1;
            }
        }
    }
    db::calendar::set_materialised_to(&mut tx, guild, to).await?;
    tx.commit().await?;
    db.note_materialised(guild, to);
    Ok(created)
}

/// Runs one window job: the announcement, and at closing the missed windows.
pub async fn announce(ctx: Ctx<'_>, job_id: i64, job: &WindowJob) -> anyhow::Result<()> {
    let tz = ctx.config.timezone;
    let mut tx = ctx.begin().await?;
    if !db::jobs::finish(&mut tx, job_id, ctx.now).await? {
        return Ok(());
    }
    let cal = load(&mut tx, ctx.config, ctx.guild, ctx.now).await?;
    let serves = cal
        .window(&job.window)
        .map(|w| w.environments.clone())
        .unwrap_or_default();
    let opening = Opening {
        window: job.window.clone(),
        start: job.start,
        end: job.end,
    };
    let booked: Vec<Release> = db::releases::booked_in(&mut tx, ctx.guild, &job.window, job.start)
        .await?
        .into_iter()
        .filter(|r| {
            r.lifecycle.state.closure() != Some(Closure::Cancelled)
                && r.lifecycle.state.closure() != Some(Closure::Rejected)
        })
        .collect();
    // Releases waiting for an environment this window serves belong in its announcements too.
    let mut listed = booked.clone();
    for env in &serves {
        for r in db::releases::active_in(&mut tx, ctx.guild, env).await? {
            if !listed.iter().any(|b| b.row == r.row) {
                listed.push(r);
            }
        }
    }
    let phase = match job.phase {
        WindowPhase::Before => Phase::Before(Duration::seconds(job.ahead_secs)),
        WindowPhase::Open => Phase::Open,
        WindowPhase::Close => Phase::Close,
    };
    let mut missed = Vec::new();
    if phase == Phase::Close {
        let system = system_actor();
        for r in booked.iter().filter(|r| !r.lifecycle.state.reached(last_env(r))) {
            if db::calendar::record_missed(&mut tx, ctx.guild, r.row, &job.window, job.start, ctx.now).await?
            {
                audit(
                    &mut tx,
                    ctx,
                    &system,
                    r.rid(),
                    "release.missed-window",
                    None,
                    Some(Fact::booking(&job.window, job.start).into()),
                );
                notify(
                    &mut tx,
                    ctx,
                    r,
                    &render::calendar::missed(r, &opening, tz),
                    crate::handlers::Audience::system(Some(&ctx.config.channels.announcements)),
                )
                .await?;
            }
            missed.push(r.clone());
        }
    }
    // An empty window is on /calendar show; announcing it only trains people to mute the channel.
    if listed.is_empty() && missed.is_empty() && !ctx.config.announce_empty {
        tx.commit().await?;
        return Ok(());
    }
    let freeze = cal
        .freezes
        .iter()
        .find(|f| f.overlaps(job.start, job.end))
        .map(|f| f.name.clone());
    let message =
        render::calendar::announcement(phase, &opening, &serves, &listed, &missed, freeze.as_deref(), tz);
    db::outbox::post(
        &mut tx,
        ctx.guild,
        &ctx.config.channels.announcements,
        "announcement",
        &message,
        ctx.now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Jobs stored before the enum keep decoding: the phase is the same word.
    #[test]
    fn a_phase_is_stored_as_the_word_it_always_was() {
        for (phase, word) in [
            (WindowPhase::Before, "\"before\""),
            (WindowPhase::Open, "\"open\""),
            (WindowPhase::Close, "\"close\""),
        ] {
            assert_eq!(serde_json::to_string(&phase).unwrap(), word);
            assert_eq!(serde_json::from_str::<WindowPhase>(word).unwrap(), phase);
        }
        assert!(serde_json::from_str::<WindowPhase>("\"Before\"").is_err());
        let stored = r#"{"window":"w","start":"2026-12-03T22:00:00Z","end":"2026-12-04T02:00:00Z","phase":"before","ahead_secs":3600}"#;
        let job: WindowJob = serde_json::from_str(stored).unwrap();
        assert_eq!((job.phase, job.ahead_secs), (WindowPhase::Before, 3600));
    }
}
