//! `/audit record`: the configuration audit against the baseline.

use super::*;
use crate::domain::audit::Fact;

/// `/audit record`: what is deployed against the baseline; each difference is a defect.
pub async fn audit_record(
    ctx: Ctx<'_>,
    who: &Invoker,
    id: RecordId,
    env: String,
    found: Vec<(String, semver::Version)>,
) -> Handled {
    let mut tx = ctx.begin().await?;
    let release = load_release(&mut tx, ctx, id).await?;
    let env = env_of(&release, &env)?.clone();
    if release.baseline_hash.is_none() {
        return refuse(render::refusal::no_baseline_to_audit(id));
    }
    let deployments = db::deployments::for_release(&mut tx, ctx.guild, release.row).await?;
    if !crate::domain::governance::deployed_to(&deployments, &env) {
        return refuse(render::governance::not_deployed(id, &env));
    }
    let items = db::packages::items(&mut tx, ctx.guild, release.row).await?;
    let discrepancies = package::audit(&items, &found);
    let defects: Vec<db::incidents::ConfigDefect> = discrepancies
        .iter()
        .map(|d| match d {
            Discrepancy::Missing { item, expected } => db::incidents::ConfigDefect {
                item: item.clone(),
                kind: "missing",
                expected: Some(expected.to_string()),
                found: None,
            },
            Discrepancy::Extra { item, found } => db::incidents::ConfigDefect {
                item: item.clone(),
                kind: "extra",
                expected: None,
                found: Some(found.to_string()),
            },
            Discrepancy::OtherVersion {
                item,
                expected,
                found,
            } => db::incidents::ConfigDefect {
                item: item.clone(),
                kind: "other-version",
                expected: Some(expected.to_string()),
                found: Some(found.to_string()),
            },
        })
        .collect();
    db::incidents::add_config_defects(
        &mut tx,
        ctx.guild,
        release.row,
        &env,
        &defects,
        &who.actor.id,
        ctx.now,
    )
    .await?;
    audit(
        &mut tx,
        ctx,
        &who.actor,
        id,
        "audit.record",
        None,
        Some(
            Fact::ConfigAudit {
                env: env.to_string(),
                defects: defects.len(),
            }
            .into(),
        ),
    );
    ctx.commit(
        tx,
        Reply::Public(words::audit_result(&release, &env, &discrepancies)),
    )
    .await
}
