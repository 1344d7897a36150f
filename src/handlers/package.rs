//! `/package`: the release package and its baseline.

use super::{audit, load_release, refuse, Ctx, Failure, Handled, Invoker, Reply};
use crate::db::{self, Tx};
use crate::domain::audit::Fact;
use crate::domain::happened::PackageChange;
use crate::domain::ids::RecordId;
use crate::domain::package::{self, may_change, Item, PackageError};
use crate::domain::records::{Actor, Release};
use crate::render;

fn refused(id: RecordId, e: PackageError) -> Failure {
    Failure::User(render::package_refusal(id, &e))
}

/// A changed package no longer matches its baseline: drop it (audited).
/// Returns whether there was one.
async fn clear_baseline(
    tx: &mut Tx,
    ctx: Ctx<'_>,
    actor: &Actor,
    release: &mut Release,
) -> anyhow::Result<bool> {
    if release.baseline_hash.take().is_none() {
        return Ok(false);
    }
    release.updated_at = ctx.now;
    db::releases::save(tx, ctx.guild, release).await?;
    audit(
        tx,
        ctx,
        actor,
        release.rid(),
        "package.baseline-cleared",
        None,
        None,
    );
    Ok(true)
}

/// `/package add`: adds or replaces an item; after a failed test this clears the old baseline.
pub async fn add(ctx: Ctx<'_>, who: &Invoker, id: RecordId, item: Item) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    may_change(
        &release.lifecycle.state,
        release.baseline_hash.as_deref(),
        release.lifecycle.test_runs,
    )
    .map_err(|e| refused(id, e))?;
    let before = db::packages::items(&mut tx, ctx.guild, release.row)
        .await?
        .into_iter()
        .find(|i| i.name.eq_ignore_ascii_case(&item.name));
    db::packages::upsert(&mut tx, ctx.guild, release.row, &item).await?;
    let cleared = clear_baseline(&mut tx, ctx, &who.actor, &mut release).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "package.add",
        before.as_ref().map(render::summary::item).map(Into::into),
        Some(render::summary::item(&item).into()),
    );
    let items = db::packages::items(&mut tx, ctx.guild, release.row).await?;
    let what = match before {
        Some(_) => PackageChange::Updated {
            name: item.name.clone(),
            version: item.version.clone(),
        },
        None => PackageChange::Added {
            name: item.name.clone(),
            version: item.version.clone(),
        },
    };
    let reply = Reply::Public(render::package_changed(&release, &what, &items, cleared));
    ctx.commit(tx, reply).await
}

/// `/package remove`.
pub async fn remove(ctx: Ctx<'_>, who: &Invoker, id: RecordId, name: String) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    may_change(
        &release.lifecycle.state,
        release.baseline_hash.as_deref(),
        release.lifecycle.test_runs,
    )
    .map_err(|e| refused(id, e))?;
    let Some(before) = db::packages::items(&mut tx, ctx.guild, release.row)
        .await?
        .into_iter()
        .find(|i| i.name.eq_ignore_ascii_case(&name))
    else {
        return Err(refused(id, PackageError::UnknownItem { item: name }));
    };
    db::packages::remove(&mut tx, ctx.guild, release.row, &before.name).await?;
    let cleared = clear_baseline(&mut tx, ctx, &who.actor, &mut release).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "package.remove",
        Some(render::summary::item(&before).into()),
        None,
    );
    let items = db::packages::items(&mut tx, ctx.guild, release.row).await?;
    ctx.commit(
        tx,
        Reply::Public(render::package_changed(
            &release,
            &PackageChange::Removed {
                name: before.name.clone(),
            },
            &items,
            cleared,
        )),
    )
    .await
}

/// `/package baseline`: checks every constraint and freezes the package.
pub async fn baseline(ctx: Ctx<'_>, who: &Invoker, id: RecordId) -> Handled {
    let mut tx = ctx.begin().await?;
    let mut release = load_release(&mut tx, ctx, id).await?;
    may_change(
        &release.lifecycle.state,
        release.baseline_hash.as_deref(),
        release.lifecycle.test_runs,
    )
    .map_err(|e| refused(id, e))?;
    let items = db::packages::items(&mut tx, ctx.guild, release.row).await?;
    let hash = package::baseline(&items).map_err(|e| refused(id, e))?;
    let before = release.baseline_hash.replace(hash.clone());
    release.updated_at = ctx.now;
    db::releases::save(&mut tx, ctx.guild, &release).await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "package.baseline",
        before.map(Into::into),
        Some(
            Fact::Baseline {
                hash: hash.to_string(),
                items: items.len(),
            }
            .into(),
        ),
    );
    ctx.commit(tx, Reply::Public(render::baselined(&release, &hash, &items)))
        .await
}

/// `/package show`.
pub async fn show(ctx: Ctx<'_>, id: RecordId) -> Handled {
    let mut conn = ctx.db.pool.acquire().await?;
    let Some(release) = db::releases::get(&mut conn, ctx.guild, id.n).await? else {
        return refuse(render::not_found(id));
    };
    let items = db::packages::items(&mut conn, ctx.guild, release.row).await?;
    Ok(Reply::Private(render::package_show(&release, &items)))
}
