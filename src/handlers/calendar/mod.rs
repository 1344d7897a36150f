//! The release calendar: booking releases into windows, freezes, the
//! calendar view, window announcements and the deployment gate.

use super::{audit, load_release, notify, refuse, system_actor, Ctx, Failure, Handled, Invoker, Reply};
use crate::command::ScheduleAt;
use crate::config::Config;
use crate::db::Conn;
use crate::db::{self, Db, Tx};
use crate::domain::audit::Fact;
use crate::domain::calendar::{Calendar, Freeze, Gate, Opening, Window};
use crate::domain::ids::RecordId;
use crate::domain::records::{Booking, Release};
use crate::domain::release::Closure;
use crate::render::{self, calendar::Phase};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

mod windows;

pub use windows::{announce, materialise, WindowJob, WindowPhase};

/// The job kind that announces a window.
pub const WINDOW_JOB: &str = "window";

/// How far ahead window jobs are materialised.
pub const HORIZON_DAYS: i64 = 30;

/// The calendar: windows and freezes from config, plus freezes declared in chat.
pub async fn load(
    conn: &mut Conn,
    config: &Config,
    guild: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Calendar> {
    let windows = config
        .windows
        .iter()
        .map(|w| Window {
            name: w.name.clone(),
            schedule: w.schedule.clone(),
            duration: w.duration,
            environments: w.environments.clone(),
        })
        .collect();
    let mut freezes: Vec<Freeze> = config.freezes.iter().map(|f| f.freeze()).collect();
    // Freezes that ended a year ago no longer matter to any opening we look at.
    freezes.extend(db::calendar::freezes(conn, guild, now - Duration::days(366)).await?);
    Ok(Calendar {
        tz: config.timezone,
        windows,
        freezes,
    })
}

/// May a deployment to `env` start now? The one gate every deployment passes.
pub async fn gate(conn: &mut Conn, ctx: Ctx<'_>, env: &str, emergency: bool) -> anyhow::Result<Gate> {
    let cal = load(conn, ctx.config, ctx.guild, ctx.now).await?;
    Ok(cal.gate(env, ctx.now, emergency))
}

fn last_env(r: &Release) -> &str {
    r.environments.last().map(String::as_str).unwrap_or("prod")
}

/// `/release schedule`: books the release into an opening of a window serving its last environment.
pub async fn schedule(ctx: Ctx<'_>, who: &Invoker, id: RecordId, at: ScheduleAt) -> Handled {
    let tz = ctx.config.timezone;
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    if !release.lifecycle.state.can_schedule() {
        return refuse(render::refusal::cannot_reschedule(id, &release.lifecycle.state));
    }
    let cal = load(&mut tx, ctx.config, ctx.guild, ctx.now).await?;
    let env = last_env(&release).to_string();
    let cal_err = |e: crate::domain::calendar::CalendarError| Failure::User(render::calendar::error(&e, tz));
    let (opening, skipped) = match at {
        ScheduleAt::Window(name) => {
            let window = cal.window(&name).ok_or_else(|| {
                cal_err(crate::domain::calendar::CalendarError::UnknownWindow {
                    name: name.clone(),
                    known: cal.windows.iter().map(|w| w.name.clone()).collect(),
                })
            })?;
            if !window.serves(&env) {
                return refuse(render::calendar::wrong_window(
                    &window.name,
                    &env,
                    &window.environments,
                ));
            }
            let booking = cal.next_free_opening(&window.name, ctx.now).map_err(cal_err)?;
            (booking.opening, booking.skipped)
        }
        ScheduleAt::At(t) => {
            if t < ctx.now {
                return refuse(render::refusal::in_the_past(t, tz));
            }
            (cal.check_at(&env, t).map_err(cal_err)?, vec![])
        }
    };
    if release
        .booking
        .as_ref()
        .is_some_and(|b| b.window == opening.window && b.start == opening.start)
    {
        return refuse(render::refusal::already_scheduled(id));
    }
    let before = release
        .booking
        .as_ref()
        .map(|b| Fact::booking(&b.window, b.start).into());
    release.booking = Some(Booking {
        window: opening.window.clone(),
        start: opening.start,
        end: opening.end,
    });
    release.updated_at = ctx.now;
    db::releases::save(&mut tx, ctx.guild, &release).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "release.schedule",
        before,
        Some(Fact::booking(&opening.window, opening.start).into()),
    );
    let conflicts = conflicts(&mut tx, ctx.guild, &release, &opening).await?;
    // Both release managers hear of each conflict, in one message each however
    // many conflicts and subscriptions lead to them (and not whoever scheduled).
    let mut notes: Vec<(String, crate::chat::Outgoing)> = Vec::new();
    for (other, items) in &conflicts {
        let mut told = std::collections::BTreeSet::new();
        for (to, mine, theirs) in [
            (&release.manager, &release, other),
            (&other.manager, other, &release),
        ] {
            if told.insert(to.clone()) {
                let note = render::calendar::conflict(mine, theirs, items, &opening, tz);
                match notes.iter_mut().find(|(u, _)| u == to) {
                    Some((_, m)) => *m = render::calendar::joined(m, &note),
                    None => notes.push((to.clone(), note)),
                }
            }
        }
    }
    let reply = render::calendar::scheduled(&release, &opening, &skipped, &conflicts, tz);
    let mut audience = super::Audience::by(&who.actor, Some(&who.channel));
    for (to, note) in &notes {
        audience = audience.also(to, note);
    }
    notify(&mut tx, ctx, &release, &reply, audience).await?;
    ctx.commit(tx, Reply::Public(reply)).await
}

/// Other open releases in the same opening whose packages change the same items.
async fn conflicts(
    tx: &mut Tx,
    guild: &str,
    release: &Release,
    o: &Opening,
) -> anyhow::Result<Vec<(Release, Vec<String>)>> {
    let mine = db::packages::items(tx, guild, release.row).await?;
    let mut out = Vec::new();
    for other in db::releases::booked_in(tx, guild, &o.window, o.start).await? {
        if other.row == release.row || other.lifecycle.state.closure().is_some() {
            continue;
        }
        let theirs = db::packages::items(tx, guild, other.row).await?;
        let shared: Vec<String> = mine
            .iter()
            .filter(|i| theirs.iter().any(|t| t.name.eq_ignore_ascii_case(&i.name)))
            .map(|i| i.name.clone())
            .collect();
        if !shared.is_empty() {
            out.push((other, shared));
        }
    }
    Ok(out)
}

/// `/calendar freeze`.
pub async fn freeze(ctx: Ctx<'_>, who: &Invoker, f: Freeze) -> Handled {
    let tz = ctx.config.timezone;
    if let Err(e) = Calendar::validate_freeze(f.from, f.to) {
        return refuse(render::calendar::error(&e, tz));
    }
    let mut tx = ctx.begin().await?;
    let existing = load(&mut tx, ctx.config, ctx.guild, ctx.now).await?.freezes;
    if let Err(e) = crate::domain::workflow::may_freeze(&f, &existing, ctx.now) {
        return refuse(render::workflow::freeze_refused(&e, tz));
    }
    db::calendar::add_freeze(&mut tx, ctx.guild, &f, &who.actor.id, ctx.now).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        format!("freeze:{}", f.name),
        "calendar.freeze",
        None,
        Some(Fact::freeze(f.from, f.to, f.reason.clone()).into()),
    );
    let booked: Vec<Release> =
        db::releases::booked_between(&mut tx, ctx.guild, f.from - Duration::days(2), f.to)
            .await?
            .into_iter()
            .filter(|r| r.booking.as_ref().is_some_and(|b| f.overlaps(b.start, b.end)))
            .collect();
    ctx.commit(
        tx,
        Reply::Public(render::calendar::freeze_declared(
            &f,
            &who.actor.name,
            &booked,
            tz,
        )),
    )
    .await
}

type Listing = Vec<(Opening, Vec<String>, Vec<Release>)>;

async fn listing(ctx: Ctx<'_>, days: u32) -> anyhow::Result<(Listing, Vec<Freeze>)> {
    let mut conn = ctx.db.pool.acquire().await?;
    let cal = load(&mut conn, ctx.config, ctx.guild, ctx.now).await?;
    let to = ctx.now + Duration::days(days as i64);
    let mut out = Vec::new();
    for o in cal.openings(ctx.now, to) {
        let serves = cal
            .window(&o.window)
            .map(|w| w.environments.clone())
            .unwrap_or_default();
        let booked: Vec<Release> = db::releases::booked_in(&mut conn, ctx.guild, &o.window, o.start)
            .await?
            .into_iter()
            .filter(|r| r.lifecycle.state.closure().is_none())
            .collect();
        out.push((o, serves, booked));
    }
    let freezes = cal
        .freezes
        .into_iter()
        .filter(|f| f.to > ctx.now && f.from < to)
        .collect();
    Ok((out, freezes))
}

/// `/calendar show`.
pub async fn show(ctx: Ctx<'_>, days: u32) -> Handled {
    let (openings, freezes) = listing(ctx, days).await?;
    Ok(Reply::Private(render::calendar::show(
        days,
        &openings,
        &freezes,
        ctx.config.timezone,
    )))
}

/// `/calendar ics`.
pub async fn ics(ctx: Ctx<'_>, days: u32) -> Handled {
    let (openings, freezes) = listing(ctx, days).await?;
    Ok(Reply::Private(render::calendar::ics(
        days,
        &openings,
        &freezes,
        ctx.now,
        ctx.config.timezone,
    )))
}
