//! `/rfc`: requests for change.

use super::{audit, refuse, Ctx, Handled, Invoker, Reply};
use crate::db;
use crate::domain::audit::Fact;
use crate::domain::ids::{RecordId, RecordKind};
use crate::domain::records::Rfc;
use crate::domain::rfc::{RfcStatus, RfcType, Risk};
use crate::domain::roles::Role;
use crate::render;

/// What `/rfc new` gives.
pub struct NewRfc {
    /// Title.
    pub title: String,
    /// Type.
    pub rfc_type: RfcType,
    /// Risk.
    pub risk: Risk,
    /// Impact.
    pub impact: String,
    /// Details.
    pub description: Option<String>,
}

/// `/rfc new`.
pub async fn new(ctx: Ctx<'_>, who: &Invoker, n: NewRfc) -> Handled {
    let mut tx = ctx.begin().await?;
    let number = db::sequences::next(&mut tx, ctx.guild, RecordKind::Rfc.sequence()).await?;
    let mut rfc = Rfc {
        row: 0,
        number,
        title: n.title,
        rfc_type: n.rfc_type,
        risk: n.risk,
        impact: n.impact,
        description: n.description,
        requester: who.actor.id.clone(),
        requester_name: who.actor.name.clone(),
        status: RfcStatus::Open,
        created_at: ctx.now,
    };
    rfc.row = db::rfcs::insert(&mut tx, ctx.guild, &rfc).await?;
    let summary = render::summary::rfc_opened(&rfc);
    audit(
        &mut tx,
        ctx,
        &who.actor,
        rfc.rid(),
        "rfc.new",
        None,
        Some(summary.into()),
    );
    ctx.commit(tx, Reply::Public(render::rfc_opened(&rfc))).await
}

/// `/rfc show`.
pub async fn show(ctx: Ctx<'_>, id: RecordId) -> Handled {
    let mut conn = ctx.db.pool.acquire().await?;
    let Some(rfc) = db::rfcs::get(&mut conn, ctx.guild, id.n).await? else {
        return refuse(render::not_found(id));
    };
    let releases = db::rfcs::releases_of(&mut conn, ctx.guild, rfc.row).await?;
    Ok(Reply::Private(render::rfc_show(
        &rfc,
        &releases,
        ctx.config.timezone,
    )))
}

/// `/rfc list`.
pub async fn list(ctx: Ctx<'_>, status: Option<RfcStatus>) -> Handled {
    let mut conn = ctx.db.pool.acquire().await?;
    let rfcs = db::rfcs::list(&mut conn, ctx.guild, status).await?;
    Ok(Reply::Private(render::rfc_list(&rfcs)))
}

/// `/rfc withdraw`: by its requester or a release manager, while not yet implemented.
pub async fn withdraw(ctx: Ctx<'_>, who: &Invoker, id: RecordId, reason: Option<String>) -> Handled {
    let mut tx = ctx.begin().await?;
    let Some(rfc) = db::rfcs::get(&mut tx, ctx.guild, id.n).await? else {
        return refuse(render::not_found(id));
    };
    if rfc.requester != who.actor.id && !who.actor.roles.contains(&Role::ReleaseManager) {
        return refuse(render::refusal::not_your_rfc(id, &rfc.requester_name));
    }
    if rfc.status == RfcStatus::Withdrawn {
        return refuse(render::refusal::already_withdrawn(id));
    }
    if rfc.status != RfcStatus::Open {
        let releases = db::rfcs::releases_of(&mut tx, ctx.guild, rfc.row).await?;
        return refuse(render::refusal::rfc_in_use(
            id,
            rfc.status,
            releases.last().copied(),
        ));
    }
    db::rfcs::set_status(&mut tx, ctx.guild, rfc.row, RfcStatus::Withdrawn).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "rfc.withdraw",
        Some("open".into()),
        Some(
            Fact::Withdrawn {
                reason: reason.clone(),
            }
            .into(),
        ),
    );
    ctx.commit(
        tx,
        Reply::Public(render::rfc_withdrawn(&rfc, &who.actor.name, reason.as_deref())),
    )
    .await
}
