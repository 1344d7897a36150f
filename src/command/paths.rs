//! The command paths, listed once: each `Command` variant beside its path.
//! `PATHS` and `Command::path` are both made from this one list.

use super::Command;

/// Makes [`PATHS`] and [`Command::path`] from one list of variant => path.
macro_rules! command_paths {
    ($($variant:ident => $path:literal,)*) => {
        /// Every command path, in definition order; a test proves it matches `commands/`.
        pub const PATHS: &[&str] = &[$($path),*];

        impl Command {
            /// The command path this value came from (`/release new`).
            pub fn path(&self) -> &'static str {
                match self {
                    $(Command::$variant { .. } => $path,)*
                }
            }
        }
    };
}

command_paths! {
    RfcNew => "/rfc new",
    RfcShow => "/rfc show",
    RfcList => "/rfc list",
    RfcWithdraw => "/rfc withdraw",
    RfcEdit => "/rfc edit",
    ReleaseNew => "/release new",
    ReleasePlan => "/release plan",
    ReleaseSchedule => "/release schedule",
    ReleaseEdit => "/release edit",
    ReleaseUnschedule => "/release unschedule",
    ReleaseSubmit => "/release submit",
    ReleaseVote => "/release vote",
    ReleaseRecall => "/release recall",
    ReleaseDecide => "/release decide",
    ReleasePrepare => "/release prepare",
    ReleaseBuild => "/release build",
    ReleaseTest => "/release test",
    ReleaseAuthorize => "/release authorize",
    ReleaseCancel => "/release cancel",
    ReleaseClose => "/release close",
    ReleaseReview => "/release review",
    ReleaseShow => "/release show",
    ReleaseList => "/release list",
    ReleaseNotes => "/release notes",
    PackageAdd => "/package add",
    PackageRemove => "/package remove",
    PackageBaseline => "/package baseline",
    PackageShow => "/package show",
    DeployPlan => "/deploy plan",
    DeployStart => "/deploy start",
    DeployStep => "/deploy step",
    DeployBackout => "/deploy backout",
    DeployVerify => "/deploy verify",
    DeployStatus => "/deploy status",
    IncidentNew => "/incident new",
    IncidentResolve => "/incident resolve",
    IncidentList => "/incident list",
    KnownErrorAdd => "/known-error add",
    AuditRecord => "/audit record",
    AuditLog => "/audit log",
    CalendarShow => "/calendar show",
    CalendarFreeze => "/calendar freeze",
    CalendarUnfreeze => "/calendar unfreeze",
    CalendarIcs => "/calendar ics",
    Subscribe => "/subscribe",
    Unsubscribe => "/unsubscribe",
    ReportMetrics => "/report metrics",
    ReportRelease => "/report release",
}
