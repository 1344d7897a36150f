//! Which handler each command goes to.

use super::*;

pub(super) async fn route(ctx: Ctx<'_>, who: &Invoker, cmd: Command) -> Handled {
    use Command as C;
    match cmd {
        C::RfcNew {
            title,
            rfc_type,
            risk,
            impact,
            description,
        } => {
            rfc::new(
                ctx,
                who,
                rfc::NewRfc {
                    title,
                    rfc_type,
                    risk,
                    impact,
                    description,
                },
            )
            .await
        }
        C::RfcShow { id } => rfc::show(ctx, id).await,
        C::RfcList { status } => rfc::list(ctx, status).await,
        C::RfcWithdraw { id, reason } => rfc::withdraw(ctx, who, id, reason).await,
        C::ReleaseNew {
            name,
            version,
            rfcs,
            environments,
        } => {
            release::new(
                ctx,
                who,
                release::NewRelease {
                    name,
                    version,
                    rfcs,
                    environments,
                },
            )
            .await
        }
        C::ReleasePlan {
            id,
            scope,
            backout,
            acceptance,
        } => release::plan(ctx, who, id, scope, backout, acceptance).await,
        C::ReleaseSchedule { id, at } => calendar::schedule(ctx, who, id, at).await,
        C::ReleaseSubmit { id } => polls::submit(ctx, who, id).await,
        C::ReleasePrepare {
            id,
            validation,
            training,
        } => release::prepare(ctx, who, id, validation, training).await,
        C::ReleaseBuild { id, notes } => release::build(ctx, who, id, notes).await,
        C::ReleaseTest { id, passed, notes } => release::test(ctx, who, id, passed, notes).await,
        C::ReleaseAuthorize { id, approve, reason } => {
            release::authorize(ctx, who, id, approve, reason).await
        }
        C::ReleaseCancel { id, reason } => release::cancel(ctx, who, id, reason).await,
        C::ReleaseClose {
            id,
            handover,
            early,
            outcome,
        } => {
            let args = governance::CloseArgs {
                handover,
                early,
                outcome,
            };
            governance::close(ctx, who, id, args).await
        }
        C::ReleaseReview {
            id,
            findings,
            actions,
        } => governance::review(ctx, who, id, findings, actions).await,
        C::ReleaseShow { id } => release::show(ctx, id).await,
        C::ReleaseList { state } => release::list(ctx, state).await,
        C::ReleaseNotes { id } => release::notes(ctx, id).await,
        C::PackageAdd {
            release,
            item,
            version,
            kind,
            change,
            requires,
        } => {
            package::add(
                ctx,
                who,
                release,
                crate::domain::package::Item {
                    name: item,
                    kind,
                    version,
                    change,
                    requires,
                },
            )
            .await
        }
        C::PackageRemove { release, item } => package::remove(ctx, who, release, item).await,
        C::PackageBaseline { release } => package::baseline(ctx, who, release).await,
        C::PackageShow { release } => package::show(ctx, release).await,
        C::CalendarShow { days } => calendar::show(ctx, days).await,
        C::CalendarIcs { days } => calendar::ics(ctx, days).await,
        C::CalendarFreeze {
            name,
            from,
            to,
            reason,
        } => {
            calendar::freeze(
                ctx,
                who,
                crate::domain::calendar::Freeze {
                    name,
                    from,
                    to,
                    reason,
                },
            )
            .await
        }
        C::DeployPlan {
            release,
            env,
            risks,
            steps,
        } => deploy::plan(ctx, who, release, env, risks, steps).await,
        C::DeployStart { release, env } => deploy::start(ctx, who, release, env).await,
        C::DeployStep {
            release,
            env,
            step,
            failed,
            note,
        } => deploy::step(ctx, who, release, env, step, failed, note).await,
        C::DeployBackout { release, env, reason } => deploy::backout(ctx, who, release, env, reason).await,
        C::DeployVerify {
            release,
            env,
            confirmed,
            notes,
        } => deploy::verify(ctx, who, release, env, confirmed, notes).await,
        C::DeployStatus { release, env } => deploy::status(ctx, release, env).await,
        C::AuditRecord { release, env, found } => deploy::audit_record(ctx, who, release, env, found).await,
        C::IncidentNew {
            release,
            severity,
            defect,
            title,
            env,
        } => {
            incident::new(
                ctx,
                who,
                incident::NewIncident {
                    release,
                    severity,
                    defect,
                    title,
                    env,
                },
            )
            .await
        }
        C::IncidentResolve { id, effort, notes } => incident::resolve(ctx, who, id, effort, notes).await,
        C::IncidentList { release } => incident::list(ctx, release).await,
        C::KnownErrorAdd {
            release,
            description,
            workaround,
        } => incident::known_error(ctx, who, release, description, workaround).await,
        C::ReportMetrics { from, to } => report::metrics(ctx, from, to).await,
        C::ReportRelease { id } => report::release(ctx, id).await,
        C::Subscribe { target, via } => subscribe::subscribe(ctx, who, target, via).await,
        C::Unsubscribe { target, via } => subscribe::unsubscribe(ctx, who, target, via).await,
        // The CAB workflow.
        C::RfcEdit {
            id,
            title,
            risk,
            impact,
            description,
        } => {
            let e = edit::RfcEdit {
                title,
                risk,
                impact,
                description,
            };
            edit::rfc_edit(ctx, who, id, e).await
        }
        C::ReleaseEdit {
            id,
            name,
            version,
            rfcs,
            environments,
        } => {
            let e = edit::ReleaseEdit {
                name,
                version,
                rfcs,
                environments,
            };
            edit::release_edit(ctx, who, id, e).await
        }
        C::ReleaseUnschedule { id } => edit::unschedule(ctx, who, id).await,
        C::ReleaseVote { id, vote, reason } => workflow::vote(ctx, who, id, vote, reason).await,
        C::ReleaseRecall { id, reason } => workflow::recall(ctx, who, id, reason).await,
        C::ReleaseDecide { id, approve, reason } => workflow::decide(ctx, who, id, approve, reason).await,
        C::CalendarUnfreeze { name, reason } => edit::unfreeze(ctx, who, name, reason).await,
        C::AuditLog { id, limit } => edit::audit_log(ctx, id, limit).await,
    }
}
