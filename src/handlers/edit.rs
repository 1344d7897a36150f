//! Changing records after the fact: `/rfc edit`, `/release edit`,
//! `/release unschedule`, `/calendar unfreeze`, and `/audit log` to read
//! the trail every change leaves.

use super::{audit, check, load_release, refuse, Ctx, Failure, Handled, Invoker, Reply};
use crate::db::{self, Tx};
use crate::domain::audit::Fact;
use crate::domain::calendar::Freeze;
use crate::domain::ids::RecordId;
use crate::domain::records::{Actor, Release, Rfc};
use crate::domain::release::{Event, ReleaseState};
use crate::domain::rfc::{RfcStatus, Risk};
use crate::domain::roles::Role;
use crate::domain::workflow::{revision_after_change, rfc_mix, target_environments, unfreeze_target};
use crate::render;
use crate::render::workflow::NotEditable;
use semver::Version;

/// Whether RFCs make an emergency release, and its environments (as
/// `release.environments` spells them; default all), or the refusal:
/// emergency RFCs do not mix with others, and environments keep the
/// promotion order.
pub(super) fn shape(
    ctx: Ctx<'_>,
    rfcs: &[Rfc],
    environments: Option<&[String]>,
) -> Result<(bool, Vec<String>), Failure> {
    let kinds: Vec<_> = rfcs.iter().map(|r| (r.rid(), r.rfc_type)).collect();
    let emergency = rfc_mix(&kinds).map_err(|e| Failure::User(render::workflow::shape_refused(&e)))?;
    let known = &ctx.config.environments;
    let environments = match environments {
        None => known.clone(),
        Some(given) => target_environments(given, known)
            .map_err(|e| Failure::User(render::workflow::shape_refused(&e)))?,
    };
    Ok((emergency, environments))
}

/// The revision a change of `release` starts: the next one once a poll has seen this one.
pub(super) async fn next_revision(tx: &mut db::Tx, guild: &str, release: &Release) -> anyhow::Result<i64> {
    let last = db::polls::latest_for_release(tx, guild, release.row).await?;
    Ok(revision_after_change(
        release.lifecycle.revision,
        last.map(|p| p.revision),
    ))
}

/// What `/rfc edit` changes.
pub struct RfcEdit {
    /// New title.
    pub title: Option<String>,
    /// New risk.
    pub risk: Option<Risk>,
    /// New impact.
    pub impact: Option<String>,
    /// New description.
    pub description: Option<String>,
}

/// `/rfc edit`: while the RFC is open, or in a release still in Planning
/// (whose revision the change then raises); by its requester or a release manager.
pub async fn rfc_edit(ctx: Ctx<'_>, who: &Invoker, id: RecordId, e: RfcEdit) -> Handled {
    let mut tx = ctx.begin().await?;
    let Some(mut rfc) = db::rfcs::get(&mut tx, ctx.guild, id.n).await? else {
        return refuse(render::not_found(id));
    };
    if rfc.requester != who.actor.id && !who.actor.roles.contains(&Role::ReleaseManager) {
        return refuse(render::workflow::rfc_not_yours(id, &rfc.requester_name));
    }
    let mut release: Option<Release> = None;
    match rfc.status {
        RfcStatus::Open => {}
        RfcStatus::InRelease => {
            for n in db::rfcs::releases_of(&mut tx, ctx.guild, rfc.row).await? {
                if let Some(r) = db::releases::get(&mut tx, ctx.guild, n).await? {
                    if r.lifecycle.state.closure().is_none() {
                        release = Some(r);
                    }
                }
            }
            if let Some(r) = release
                .as_ref()
                .filter(|r| r.lifecycle.state != ReleaseState::Planning)
            {
                return refuse(render::workflow::rfc_not_editable(
                    id,
                    NotEditable::ReleaseMoved(r),
                ));
            }
        }
        other => return refuse(render::workflow::rfc_not_editable(id, NotEditable::Status(other))),
    }
    let before = render::summary::rfc_fields(&rfc);
    let mut changed = Vec::new();
    if let Some(t) = e.title.filter(|t| *t != rfc.title) {
        rfc.title = t;
        changed.push("title");
    }
    if let Some(r) = e.risk.filter(|r| *r != rfc.risk) {
        rfc.risk = r;
        changed.push("risk");
    }
    if let Some(i) = e.impact.filter(|i| *i != rfc.impact) {
        rfc.impact = i;
        changed.push("impact");
    }
    if let Some(d) = e.description.filter(|d| Some(d) != rfc.description.as_ref()) {
        rfc.description = Some(d);
        changed.push("description");
    }
    if changed.is_empty() {
        return refuse(render::workflow::nothing_to_change(id));
    }
    db::workflow::save_rfc_text(&mut tx, ctx.guild, &rfc).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "rfc.edit",
        Some(before.into()),
        Some(render::summary::rfc_fields(&rfc).into()),
    );
    if let Some(mut r) = release {
        raise_revision(&mut tx, ctx, who, &mut r).await?;
    }
    ctx.commit(tx, Reply::Public(render::workflow::rfc_edited(&rfc, &changed)))
        .await
}

/// Starts the next revision if a poll has seen this one, with its audit entry.
async fn raise_revision(tx: &mut db::Tx, ctx: Ctx<'_>, who: &Invoker, r: &mut Release) -> anyhow::Result<()> {
    let revision = next_revision(tx, ctx.guild, r).await?;
    if revision != r.lifecycle.revision {
        audit(
            tx,
            ctx,
            &who.actor,
            r.rid(),
            "release.revision",
            Some(r.lifecycle.revision.to_string().into()),
            Some(revision.to_string().into()),
        );
        r.lifecycle.revision = revision;
        r.updated_at = ctx.now;
        db::releases::save(tx, ctx.guild, r).await?;
    }
    Ok(())
}

/// What `/release edit` changes.
pub struct ReleaseEdit {
    /// New name.
    pub name: Option<String>,
    /// New version.
    pub version: Option<Version>,
    /// The RFCs (replacing the list).
    pub rfcs: Option<Vec<RecordId>>,
    /// The environments.
    pub environments: Option<Vec<String>>,
}

/// An RFC taken into (`InRelease`) or out of (`Open`) release `id`, with
/// its audit entry.
async fn set_rfc_status(
    tx: &mut db::Tx,
    ctx: Ctx<'_>,
    who: &Invoker,
    id: RecordId,
    r: &Rfc,
    status: RfcStatus,
) -> anyhow::Result<()> {
    db::rfcs::set_status(tx, ctx.guild, r.row, status).await?;
    let in_release = format!("in-release ({id})");
    let (before, after) = match status {
        RfcStatus::InRelease => ("open".to_string(), in_release),
        _ => (in_release, "open".to_string()),
    };
    audit(
        tx,
        ctx,
        &who.actor,
        r.rid(),
        "rfc.status",
        Some(before.into()),
        Some(after.into()),
    );
    Ok(())
}

/// `/release edit`: in Planning only; the same checks as `/release new`, and
/// the next revision once a poll has seen this one.
pub async fn release_edit(ctx: Ctx<'_>, who: &Invoker, id: RecordId, e: ReleaseEdit) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    check(ctx, &release, &Event::Edit)?;
    let current = db::rfcs::for_release(&mut tx, ctx.guild, release.row).await?;
    let current_ids: Vec<RecordId> = current.iter().map(Rfc::rid).collect();
    let before = render::summary::release_fields(&release, &current_ids);
    let mut rfcs = current.clone();
    let mut changed = Vec::new();
    if let Some(ids) = e.rfcs.filter(|ids| *ids != current_ids) {
        rfcs.clear();
        for rid in &ids {
            match current.iter().find(|r| r.rid() == *rid) {
                Some(r) => rfcs.push(r.clone()),
                None => match db::rfcs::get(&mut tx, ctx.guild, rid.n).await? {
                    None => return refuse(render::not_found(*rid)),
                    Some(r) if !r.status.can_join_release() => {
                        return refuse(render::refusal::rfc_not_open(*rid, r.status))
                    }
                    Some(r) => rfcs.push(r),
                },
            }
        }
        changed.push("RFCs");
    }
    let given_envs = e
        .environments
        .as_deref()
        .unwrap_or(&release.environments)
        .to_vec();
    let (emergency, environments) = shape(ctx, &rfcs, Some(&given_envs))?;
    if environments != release.environments {
        if release.booking.is_some() && environments.last() != release.environments.last() {
            return refuse(render::workflow::booked_elsewhere(id));
        }
        release.environments = environments;
        changed.push("environments");
    }
    release.emergency = emergency;
    if let Some(n) = e.name.filter(|n| *n != release.name) {
        release.name = n;
        changed.push("name");
    }
    if let Some(v) = e.version.map(|v| v.to_string()).filter(|v| *v != release.version) {
        release.version = v;
        changed.push("version");
    }
    if changed.is_empty() {
        return refuse(render::workflow::nothing_to_change(id));
    }
    for r in rfcs.iter().filter(|r| !current_ids.contains(&r.rid())) {
        db::releases::link_rfc(&mut tx, ctx.guild, release.row, r.row).await?;
        set_rfc_status(&mut tx, ctx, who, id, r, RfcStatus::InRelease).await?;
    }
    let kept: Vec<RecordId> = rfcs.iter().map(Rfc::rid).collect();
    for r in current.iter().filter(|r| !kept.contains(&r.rid())) {
        db::workflow::unlink_rfc(&mut tx, ctx.guild, release.row, r.row).await?;
        set_rfc_status(&mut tx, ctx, who, id, r, RfcStatus::Open).await?;
    }
    release.updated_at = ctx.now;
    db::workflow::save_release_identity(&mut tx, ctx.guild, &release).await?;
    db::releases::save(&mut tx, ctx.guild, &release).await?;
    let after = render::summary::release_fields(&release, &kept);
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "release.edit",
        Some(before.into()),
        Some(after.into()),
    );
    raise_revision(&mut tx, ctx, who, &mut release).await?;
    ctx.commit(
        tx,
        Reply::Public(render::workflow::release_edited(&release, &changed)),
    )
    .await
}

/// `/release unschedule`: gives up the booked window.
pub async fn unschedule(ctx: Ctx<'_>, who: &Invoker, id: RecordId) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    if !release.lifecycle.state.can_schedule() {
        return refuse(render::refusal::cannot_reschedule(id, &release.lifecycle.state));
    }
    let Some(booking) = release.booking.take() else {
        return refuse(render::workflow::not_scheduled(id));
    };
    release.updated_at = ctx.now;
    db::releases::save(&mut tx, ctx.guild, &release).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "release.unschedule",
        Some(Fact::booking(&booking.window, booking.start).into()),
        None,
    );
    ctx.commit(
        tx,
        Reply::Public(render::workflow::unscheduled(
            &release,
            &booking.window,
            booking.start,
            ctx.config.timezone,
        )),
    )
    .await
}

/// `/calendar unfreeze`: lifts a current freeze declared in chat; config freezes stay.
pub async fn unfreeze(ctx: Ctx<'_>, who: &Invoker, name: String, reason: Option<String>) -> Handled {
    let mut tx = ctx.begin().await?;
    let chat = db::calendar::freezes(&mut tx, ctx.guild, ctx.now).await?;
    let config: Vec<Freeze> = ctx.config.freezes.iter().map(|f| f.freeze()).collect();
    let f = match unfreeze_target(&name, &chat, &config, ctx.now) {
        Ok(i) => chat[i].clone(),
        Err(e) => return refuse(render::workflow::unfreeze_refused(&name, &e)),
    };
    db::workflow::remove_freeze(&mut tx, ctx.guild, &f.name, ctx.now).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        format!("freeze:{}", f.name),
        "calendar.unfreeze",
        Some(Fact::freeze(f.from, f.to, None).into()),
        Some(
            Fact::Lifted {
                reason: reason.clone(),
            }
            .into(),
        ),
    );
    ctx.commit(
        tx,
        Reply::Public(render::workflow::unfrozen(
            &f,
            &who.actor.name,
            reason.as_deref(),
            ctx.config.timezone,
        )),
    )
    .await
}

/// `/audit log`: the raw trail of one record, its latest `limit` entries.
pub async fn audit_log(ctx: Ctx<'_>, id: RecordId, limit: u32) -> Handled {
    let mut conn = ctx.db.pool.acquire().await?;
    let all = db::audit::for_record(&mut conn, ctx.guild, &id.to_string()).await?;
    if all.is_empty() {
        return refuse(render::not_found(id));
    }
    let skip = all.len().saturating_sub(limit as usize);
    Ok(Reply::Private(render::workflow::audit_log(
        id,
        &all[skip..],
        all.len(),
        ctx.config.timezone,
    )))
}

/// Moves the release's RFCs to `status` with audit entries.
pub(super) async fn settle_rfcs(
    tx: &mut Tx,
    ctx: Ctx<'_>,
    actor: &Actor,
    release: &Release,
    status: RfcStatus,
) -> anyhow::Result<()> {
    for rfc in db::rfcs::for_release(tx, ctx.guild, release.row).await? {
        if rfc.status == RfcStatus::InRelease {
            db::rfcs::set_status(tx, ctx.guild, rfc.row, status).await?;
            audit(
                tx,
                ctx,
                actor,
                rfc.rid(),
                "rfc.status",
                Some(rfc.status.to_string().into()),
                Some(Fact::status_in(status, release.rid()).into()),
            );
        }
    }
    Ok(())
}
