//! `/incident` and `/known-error`: early life support.

use super::{audit, load_release, notify, refuse, Ctx, Handled, Invoker, Reply};
use crate::db;
use crate::domain::audit::Fact;
use crate::domain::ids::{RecordId, RecordKind};
use crate::domain::incident::DefectType;
use crate::domain::records::{Incident, KnownError};
use crate::render::deploy as words;

/// What `/incident new` gives.
pub struct NewIncident {
    /// The release.
    pub release: RecordId,
    /// 1 to 4.
    pub severity: u8,
    /// Defect type.
    pub defect: DefectType,
    /// What happened.
    pub title: String,
    /// The environment (default: the last one deployed).
    pub env: Option<String>,
}

/// `/incident new`: attributed to a release that has been deployed somewhere.
pub async fn new(ctx: Ctx<'_>, who: &Invoker, n: NewIncident) -> Handled {
    let mut tx = ctx.begin().await?;
    let release = load_release(&mut tx, ctx, n.release).await?;
    let deployed: Vec<String> = db::deployments::for_release(&mut tx, ctx.guild, release.row)
        .await?
        .into_iter()
        .filter(|d| d.started_at.is_some())
        .map(|d| d.env)
        .collect();
    let Some(last) = deployed.last().cloned() else {
        return refuse(crate::render::refusal::never_deployed(&release));
    };
    let env = match n.env {
        None => last,
        Some(e) => match deployed.iter().find(|d| d.eq_ignore_ascii_case(&e)) {
            Some(d) => d.clone(),
            None => return refuse(crate::render::refusal::not_deployed_to(&release, &e, &deployed)),
        },
    };
    let number = db::sequences::next(&mut tx, ctx.guild, RecordKind::Incident.sequence()).await?;
    let mut i = Incident {
        row: 0,
        number,
        release_row: release.row,
        release_number: release.number,
        env,
        severity: n.severity,
        defect: n.defect,
        title: n.title,
        opened_by: who.actor.id.clone(),
        opened_at: ctx.now,
        resolved_at: None,
        effort_hours: None,
        notes: None,
    };
    i.row = db::incidents::insert(&mut tx, ctx.guild, &i).await?;
    let id = RecordId::incident(number);
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "incident.new",
        None,
        Some(
            Fact::IncidentOpened {
                release: release.rid().to_string(),
                severity: i.severity,
                defect: i.defect.to_string(),
                title: i.title.clone(),
            }
            .into(),
        ),
    );
    let message = words::incident_opened(&i, &release);
    notify(
        &mut tx,
        ctx,
        &release,
        &message,
        super::Audience::by(&who.actor, Some(&who.channel)),
    )
    .await?;
    ctx.commit(tx, Reply::Public(message)).await
}

/// `/incident resolve`.
pub async fn resolve(
    ctx: Ctx<'_>,
    who: &Invoker,
    id: RecordId,
    effort: f64,
    notes: Option<String>,
) -> Handled {
    let mut tx = ctx.begin().await?;
    let Some(i) = db::incidents::get(&mut tx, ctx.guild, id.n).await? else {
        return refuse(crate::render::not_found(id));
    };
    if i.resolved_at.is_some() {
        return refuse(crate::render::refusal::already_resolved(id));
    }
    db::incidents::resolve(
        &mut tx,
        ctx.guild,
        i.row,
        &who.actor.id,
        effort,
        notes.as_deref(),
        ctx.now,
    )
    .await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "incident.resolve",
        Some("open".into()),
        Some(Fact::Resolved { effort, notes }.into()),
    );
    ctx.commit(
        tx,
        Reply::Public(words::incident_resolved(&i, &who.actor.name, effort)),
    )
    .await
}

/// `/incident list`.
pub async fn list(ctx: Ctx<'_>, release: Option<RecordId>) -> Handled {
    let mut conn = ctx.db.pool.acquire().await?;
    let row = match release {
        None => None,
        Some(id) => match db::releases::get(&mut conn, ctx.guild, id.n).await? {
            Some(r) => Some(r.row),
            None => return refuse(crate::render::not_found(id)),
        },
    };
    let list = db::incidents::list(&mut conn, ctx.guild, row).await?;
    Ok(Reply::Private(words::incident_list(&list, ctx.config.timezone)))
}

/// `/known-error add`.
pub async fn known_error(
    ctx: Ctx<'_>,
    who: &Invoker,
    id: RecordId,
    description: String,
    workaround: String,
) -> Handled {
    let mut tx = ctx.begin().await?;
    let release = load_release(&mut tx, ctx, id).await?;
    let number = db::sequences::next(&mut tx, ctx.guild, RecordKind::KnownError.sequence()).await?;
    let k = KnownError {
        number,
        release_row: release.row,
        description,
        workaround,
        created_by: who.actor.id.clone(),
        created_at: ctx.now,
    };
    db::incidents::add_known_error(&mut tx, ctx.guild, &k).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        RecordId::known_error(number),
        "known-error.add",
        None,
        Some(
            Fact::KnownError {
                release: release.rid().to_string(),
                description: k.description.clone(),
                workaround: k.workaround.clone(),
            }
            .into(),
        ),
    );
    let message = words::known_error_added(&k, &release);
    notify(
        &mut tx,
        ctx,
        &release,
        &message,
        super::Audience::by(&who.actor, Some(&who.channel)),
    )
    .await?;
    ctx.commit(tx, Reply::Public(message)).await
}
