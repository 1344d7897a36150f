//! The typed command surface: every slash command as a [`Command`] value,
//! built from a checked [`parse::Invocation`] whatever platform it came from.

pub mod parse;
pub mod spec;
mod workflow;

use crate::domain::ids::{RecordId, RecordKind};
use crate::domain::incident::DefectType;
use crate::domain::package::{parse_found, parse_requirements, parse_version, Change, ItemKind, Requirement};
use crate::domain::rfc::{RfcStatus, RfcType, Risk};
use crate::domain::timefmt::{parse_date, parse_effort, parse_time};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use parse::{Invocation, ParseError};
use semver::Version;
use std::str::FromStr;

/// What `/subscribe` follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every release.
    All,
    /// One release.
    Release(RecordId),
}

/// Where subscribers are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// In the channel the subscription was made in.
    Channel,
    /// By direct message.
    Dm,
}

/// Where `/release schedule` books the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleAt {
    /// The next free opening of the named window.
    Window(String),
    /// A given time inside an opening.
    At(DateTime<Utc>),
}

/// Every command, with its options typed.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum Command {
    RfcNew {
        title: String,
        rfc_type: RfcType,
        risk: Risk,
        impact: String,
        description: Option<String>,
    },
    RfcShow {
        id: RecordId,
    },
    RfcList {
        status: Option<RfcStatus>,
    },
    RfcWithdraw {
        id: RecordId,
        reason: Option<String>,
    },
    ReleaseNew {
        name: String,
        version: Version,
        rfcs: Vec<RecordId>,
        environments: Option<Vec<String>>,
    },
    ReleasePlan {
        id: RecordId,
        scope: Option<String>,
        backout: Option<String>,
        acceptance: Option<String>,
    },
    ReleaseSchedule {
        id: RecordId,
        at: ScheduleAt,
    },
    ReleaseSubmit {
        id: RecordId,
    },
    ReleasePrepare {
        id: RecordId,
        validation: String,
        training: Option<String>,
    },
    ReleaseBuild {
        id: RecordId,
        notes: Option<String>,
    },
    ReleaseTest {
        id: RecordId,
        passed: bool,
        notes: Option<String>,
    },
    ReleaseAuthorize {
        id: RecordId,
        approve: bool,
        reason: Option<String>,
    },
    ReleaseCancel {
        id: RecordId,
        reason: Option<String>,
    },
    ReleaseClose {
        id: RecordId,
        handover: String,
        early: Option<String>,
        outcome: crate::domain::release::CloseOutcome,
    },
    // Governance (helper D).
    ReleaseReview {
        id: RecordId,
        findings: String,
        actions: Option<String>,
    },
    ReleaseShow {
        id: RecordId,
    },
    ReleaseList {
        state: Option<String>,
    },
    ReleaseNotes {
        id: RecordId,
    },
    PackageAdd {
        release: RecordId,
        item: String,
        version: Version,
        kind: ItemKind,
        change: Change,
        requires: Vec<Requirement>,
    },
    PackageRemove {
        release: RecordId,
        item: String,
    },
    PackageBaseline {
        release: RecordId,
    },
    PackageShow {
        release: RecordId,
    },
    DeployPlan {
        release: RecordId,
        env: String,
        risks: Option<String>,
        steps: Option<Vec<String>>,
    },
    DeployStart {
        release: RecordId,
        env: String,
    },
    DeployStep {
        release: RecordId,
        env: String,
        step: u32,
        failed: bool,
        note: Option<String>,
    },
    DeployBackout {
        release: RecordId,
        env: String,
        reason: String,
    },
    DeployVerify {
        release: RecordId,
        env: String,
        confirmed: bool,
        notes: Option<String>,
    },
    DeployStatus {
        release: RecordId,
        env: Option<String>,
    },
    IncidentNew {
        release: RecordId,
        severity: u8,
        defect: DefectType,
        title: String,
        env: Option<String>,
    },
    IncidentResolve {
        id: RecordId,
        effort: f64,
        notes: Option<String>,
    },
    IncidentList {
        release: Option<RecordId>,
    },
    KnownErrorAdd {
        release: RecordId,
        description: String,
        workaround: String,
    },
    AuditRecord {
        release: RecordId,
        env: String,
        found: Vec<(String, Version)>,
    },
    CalendarShow {
        days: u32,
    },
    CalendarFreeze {
        name: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        reason: Option<String>,
    },
    CalendarIcs {
        days: u32,
    },
    Subscribe {
        target: Target,
        via: Via,
    },
    Unsubscribe {
        target: Target,
        via: Via,
    },
    ReportMetrics {
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    },
    ReportRelease {
        id: RecordId,
    },
    // The CAB workflow (src/command/workflow.rs parses these).
    RfcEdit {
        id: RecordId,
        title: Option<String>,
        risk: Option<Risk>,
        impact: Option<String>,
        description: Option<String>,
    },
    ReleaseEdit {
        id: RecordId,
        name: Option<String>,
        version: Option<Version>,
        rfcs: Option<Vec<RecordId>>,
        environments: Option<Vec<String>>,
    },
    ReleaseUnschedule {
        id: RecordId,
    },
    ReleaseVote {
        id: RecordId,
        vote: crate::domain::tally::Vote,
        reason: Option<String>,
    },
    ReleaseRecall {
        id: RecordId,
        reason: Option<String>,
    },
    ReleaseDecide {
        id: RecordId,
        approve: bool,
        reason: String,
    },
    CalendarUnfreeze {
        name: String,
        reason: Option<String>,
    },
    AuditLog {
        id: RecordId,
        limit: u32,
    },
}

/// Every command path, in definition order; a test proves it matches `commands/`.
pub const PATHS: &[&str] = &[
    "/rfc new",
    "/rfc show",
    "/rfc list",
    "/rfc withdraw",
    "/rfc edit",
    "/release new",
    "/release plan",
    "/release schedule",
    "/release edit",
    "/release unschedule",
    "/release submit",
    "/release vote",
    "/release recall",
    "/release decide",
    "/release prepare",
    "/release build",
    "/release test",
    "/release authorize",
    "/release cancel",
    "/release close",
    "/release review",
    "/release show",
    "/release list",
    "/release notes",
    "/package add",
    "/package remove",
    "/package baseline",
    "/package show",
    "/deploy plan",
    "/deploy start",
    "/deploy step",
    "/deploy backout",
    "/deploy verify",
    "/deploy status",
    "/incident new",
    "/incident resolve",
    "/incident list",
    "/known-error add",
    "/audit record",
    "/audit log",
    "/calendar show",
    "/calendar freeze",
    "/calendar unfreeze",
    "/calendar ics",
    "/subscribe",
    "/unsubscribe",
    "/report metrics",
    "/report release",
];

impl Command {
    /// The command path this value came from (`/release new`).
    pub fn path(&self) -> &'static str {
        use Command::*;
        match self {
            RfcNew { .. } => "/rfc new",
            RfcShow { .. } => "/rfc show",
            RfcList { .. } => "/rfc list",
            RfcWithdraw { .. } => "/rfc withdraw",
            ReleaseNew { .. } => "/release new",
            ReleasePlan { .. } => "/release plan",
            ReleaseSchedule { .. } => "/release schedule",
            ReleaseSubmit { .. } => "/release submit",
            ReleasePrepare { .. } => "/release prepare",
            ReleaseBuild { .. } => "/release build",
            ReleaseTest { .. } => "/release test",
            ReleaseAuthorize { .. } => "/release authorize",
            ReleaseCancel { .. } => "/release cancel",
            ReleaseClose { .. } => "/release close",
            ReleaseReview { .. } => "/release review",
            ReleaseShow { .. } => "/release show",
            ReleaseList { .. } => "/release list",
            ReleaseNotes { .. } => "/release notes",
            PackageAdd { .. } => "/package add",
            PackageRemove { .. } => "/package remove",
            PackageBaseline { .. } => "/package baseline",
            PackageShow { .. } => "/package show",
            DeployPlan { .. } => "/deploy plan",
            DeployStart { .. } => "/deploy start",
            DeployStep { .. } => "/deploy step",
            DeployBackout { .. } => "/deploy backout",
            DeployVerify { .. } => "/deploy verify",
            DeployStatus { .. } => "/deploy status",
            IncidentNew { .. } => "/incident new",
            IncidentResolve { .. } => "/incident resolve",
            IncidentList { .. } => "/incident list",
            KnownErrorAdd { .. } => "/known-error add",
            AuditRecord { .. } => "/audit record",
            CalendarShow { .. } => "/calendar show",
            CalendarFreeze { .. } => "/calendar freeze",
            CalendarIcs { .. } => "/calendar ics",
            Subscribe { .. } => "/subscribe",
            Unsubscribe { .. } => "/unsubscribe",
            ReportMetrics { .. } => "/report metrics",
            ReportRelease { .. } => "/report release",
            RfcEdit { .. } => "/rfc edit",
            ReleaseEdit { .. } => "/release edit",
            ReleaseUnschedule { .. } => "/release unschedule",
            ReleaseVote { .. } => "/release vote",
            ReleaseRecall { .. } => "/release recall",
            ReleaseDecide { .. } => "/release decide",
            CalendarUnfreeze { .. } => "/calendar unfreeze",
            AuditLog { .. } => "/audit log",
        }
    }
}

/// Reads typed options off an invocation, turning each format error into a
/// [`ParseError`] that names the option.
struct Reader<'a> {
    inv: &'a Invocation,
    tz: Tz,
}

impl Reader<'_> {
    fn bad(&self, option: &str, value: &str, expected: impl Into<String>) -> ParseError {
        ParseError::BadValue {
            option: option.into(),
            value: value.into(),
            expected: expected.into(),
        }
    }

    fn missing(&self, option: &str) -> ParseError {
        ParseError::MissingOption {
            path: self.inv.path(),
            name: option.into(),
            description: "required".into(),
        }
    }

    fn opt(&self, name: &str) -> Option<String> {
        self.inv.text(name).map(|s| s.trim().to_string())
    }

    fn text(&self, name: &str) -> Result<String, ParseError> {
        self.opt(name).ok_or_else(|| self.missing(name))
    }

    fn id_opt(&self, name: &str, kind: RecordKind) -> Result<Option<RecordId>, ParseError> {
        match self.inv.text(name) {
            None => Ok(None),
            Some(t) => RecordId::parse_as(kind, t)
                .map(Some)
                .ok_or_else(|| self.bad(name, t, format!("an id such as {}-1", kind.prefix()))),
        }
    }

    fn id(&self, name: &str, kind: RecordKind) -> Result<RecordId, ParseError> {
        self.id_opt(name, kind)?.ok_or_else(|| self.missing(name))
    }

    fn rel(&self) -> Result<RecordId, ParseError> {
        self.id("release", RecordKind::Release)
    }

    fn rid(&self) -> Result<RecordId, ParseError> {
        self.id("id", RecordKind::Release)
    }

    fn choice<T: FromStr<Err = String>>(&self, name: &str) -> Result<Option<T>, ParseError> {
        match self.inv.text(name) {
            None => Ok(None),
            Some(t) => T::from_str(t).map(Some).map_err(|e| self.bad(name, t, e)),
        }
    }

    fn version(&self, name: &str) -> Result<Version, ParseError> {
        let t = self.text(name)?;
        parse_version(&t).map_err(|e| self.bad(name, &t, e))
    }

    fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, ParseError> {
        match self.inv.text(name) {
            None => Ok(None),
            Some(t) => parse_time(t, self.tz).map(Some).map_err(|e| self.bad(name, t, e)),
        }
    }

    fn effort(&self, name: &str) -> Result<f64, ParseError> {
        let t = self.text(name)?;
        parse_effort(&t).map_err(|e| self.bad(name, &t, e))
    }

    fn date(&self, name: &str) -> Result<Option<NaiveDate>, ParseError> {
        match self.inv.text(name) {
            None => Ok(None),
            Some(t) => parse_date(t).map(Some).map_err(|e| self.bad(name, t, e)),
        }
    }

    fn list(&self, name: &str, sep: char) -> Result<Option<Vec<String>>, ParseError> {
        match self.inv.text(name) {
            None => Ok(None),
            Some(t) => {
                let items: Vec<String> = t
                    .split(sep)
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                if items.is_empty() {
                    return Err(self.bad(name, t, format!("a {sep}-separated list")));
                }
                Ok(Some(items))
            }
        }
    }

    fn target(&self) -> Result<Target, ParseError> {
        let t = self.text("target")?;
        if t.eq_ignore_ascii_case("all") {
            return Ok(Target::All);
        }
        RecordId::parse_as(RecordKind::Release, &t)
            .map(Target::Release)
            .ok_or_else(|| self.bad("target", &t, "REL-<n> or all"))
    }

    fn via(&self) -> Via {
        if self.inv.text("via") == Some("dm") {
            Via::Dm
        } else {
            Via::Channel
        }
    }
}

impl Command {
    /// Types a checked invocation. Dates without a time mean midnight in `tz`.
    pub fn from_invocation(inv: &Invocation, tz: Tz) -> Result<Command, ParseError> {
        use Command as C;
        let r = Reader { inv, tz };
        let path = inv.path();
        let days = |name: &str, default: u32| inv.int(name).map_or(default, |d| d.clamp(1, 366) as u32);
        Ok(match path.as_str() {
            "/rfc new" => C::RfcNew {
                title: r.text("title")?,
                rfc_type: r.choice("type")?.ok_or_else(|| r.missing("type"))?,
                risk: r.choice("risk")?.ok_or_else(|| r.missing("risk"))?,
                impact: r.text("impact")?,
                description: r.opt("description"),
            },
            "/rfc show" => C::RfcShow {
                id: r.id("id", RecordKind::Rfc)?,
            },
            "/rfc list" => C::RfcList {
                status: r.choice("status")?,
            },
            "/rfc withdraw" => C::RfcWithdraw {
                id: r.id("id", RecordKind::Rfc)?,
                reason: r.opt("reason"),
            },
            "/release new" => {
                let rfcs = r.rfc_list()?.ok_or_else(|| r.missing("rfcs"))?;
                C::ReleaseNew {
                    name: r.text("name")?,
                    version: r.version("version")?,
                    rfcs,
                    environments: r.environments()?,
                }
            }
            "/release plan" => {
                let (scope, backout, acceptance) = (r.opt("scope"), r.opt("backout"), r.opt("acceptance"));
                if scope.is_none() && backout.is_none() && acceptance.is_none() {
                    return Err(ParseError::Conflict {
                        path,
                        message: "give at least one of scope, backout, acceptance.".into(),
                    });
                }
                C::ReleasePlan {
                    id: r.rid()?,
                    scope,
                    backout,
                    acceptance,
                }
            }
            "/release schedule" => {
                let at =
                    match (r.opt("window"), r.time("at")?) {
                        (Some(w), None) => ScheduleAt::Window(w),
                        (None, Some(t)) => ScheduleAt::At(t),
                        (None, None) => {
                            return Err(ParseError::Conflict {
                                path,
                                message: "give one of window (a window name) or at (a time inside a window)."
                                    .into(),
                            })
                        }
                        _ => return Err(ParseError::Conflict {
                            path,
                            message:
                                "give either window (a window name) or at (a time inside a window), not both."
                                    .into(),
                        }),
                    };
                C::ReleaseSchedule { id: r.rid()?, at }
            }
            "/release submit" => C::ReleaseSubmit { id: r.rid()? },
            "/release prepare" => C::ReleasePrepare {
                id: r.rid()?,
                validation: r.text("validation")?,
                training: r.opt("training"),
            },
            "/release build" => C::ReleaseBuild {
                id: r.rid()?,
                notes: r.opt("notes"),
            },
            "/release test" => C::ReleaseTest {
                id: r.rid()?,
                passed: r.text("result")? == "pass",
                notes: r.opt("notes"),
            },
            "/release authorize" => C::ReleaseAuthorize {
                id: r.rid()?,
                approve: r.text("decision")? == "approve",
                reason: r.opt("reason"),
            },
            "/release cancel" => C::ReleaseCancel {
                id: r.rid()?,
                reason: r.opt("reason"),
            },
            "/release close" => C::ReleaseClose {
                id: r.rid()?,
                handover: r.text("handover")?,
                early: r.opt("early"),
                outcome: r
                    .choice("outcome")?
                    .unwrap_or(crate::domain::release::CloseOutcome::Successful),
            },
            "/release review" => C::ReleaseReview {
                id: r.rid()?,
                findings: r.text("findings")?,
                actions: r.opt("actions"),
            },
            "/release show" => C::ReleaseShow { id: r.rid()? },
            "/release list" => C::ReleaseList {
                state: r.opt("state"),
            },
            "/release notes" => C::ReleaseNotes { id: r.rid()? },
            "/package add" => {
                let requires = match r.opt("requires") {
                    None => vec![],
                    Some(t) => parse_requirements(&t).map_err(|e| r.bad("requires", &t, e))?,
                };
                C::PackageAdd {
                    release: r.rel()?,
                    item: r.text("item")?,
                    version: r.version("version")?,
                    kind: r.choice("kind")?.unwrap_or(ItemKind::Software),
                    change: r.choice("change")?.unwrap_or(Change::Changed),
                    requires,
                }
            }
            "/package remove" => C::PackageRemove {
                release: r.rel()?,
                item: r.text("item")?,
            },
            "/package baseline" => C::PackageBaseline { release: r.rel()? },
            "/package show" => C::PackageShow { release: r.rel()? },
            "/deploy plan" => C::DeployPlan {
                release: r.rel()?,
                env: r.text("env")?,
                risks: r.opt("risks"),
                steps: r.list("steps", ';')?,
            },
            "/deploy start" => C::DeployStart {
                release: r.rel()?,
                env: r.text("env")?,
            },
            "/deploy step" => C::DeployStep {
                release: r.rel()?,
                env: r.text("env")?,
                step: inv.int("step").ok_or_else(|| r.missing("step"))? as u32,
                failed: r.text("status")? == "failed",
                note: r.opt("note"),
            },
            "/deploy backout" => C::DeployBackout {
                release: r.rel()?,
                env: r.text("env")?,
                reason: r.text("reason")?,
            },
            "/deploy verify" => C::DeployVerify {
                release: r.rel()?,
                env: r.text("env")?,
                confirmed: r.text("result")? == "confirmed",
                notes: r.opt("notes"),
            },
            "/deploy status" => C::DeployStatus {
                release: r.rel()?,
                env: r.opt("env"),
            },
            "/incident new" => C::IncidentNew {
                release: r.rel()?,
                severity: inv.int("severity").ok_or_else(|| r.missing("severity"))? as u8,
                defect: r.choice("defect")?.ok_or_else(|| r.missing("defect"))?,
                title: r.text("title")?,
                env: r.opt("env"),
            },
            "/incident resolve" => C::IncidentResolve {
                id: r.id("id", RecordKind::Incident)?,
                effort: r.effort("effort")?,
                notes: r.opt("notes"),
            },
            "/incident list" => C::IncidentList {
                release: r.id_opt("release", RecordKind::Release)?,
            },
            "/known-error add" => C::KnownErrorAdd {
                release: r.rel()?,
                description: r.text("description")?,
                workaround: r.text("workaround")?,
            },
            "/audit record" => {
                let t = r.text("found")?;
                let found = parse_found(&t).map_err(|e| r.bad("found", &t, e))?;
                if found.is_empty() {
                    return Err(r.bad("found", &t, "at least one item=version"));
                }
                C::AuditRecord {
                    release: r.rel()?,
                    env: r.text("env")?,
                    found,
                }
            }
            "/calendar show" => C::CalendarShow {
                days: days("days", 14),
            },
            "/calendar freeze" => {
                let from = r.time("from")?.ok_or_else(|| r.missing("from"))?;
                let to = r.time("to")?.ok_or_else(|| r.missing("to"))?;
                if from >= to {
                    return Err(ParseError::Conflict {
                        path,
                        message: "from must be before to.".into(),
                    });
                }
                C::CalendarFreeze {
                    name: r.text("name")?,
                    from,
                    to,
                    reason: r.opt("reason"),
                }
            }
            "/calendar ics" => C::CalendarIcs {
                days: days("days", 30),
            },
            "/subscribe" => C::Subscribe {
                target: r.target()?,
                via: r.via(),
            },
            "/unsubscribe" => C::Unsubscribe {
                target: r.target()?,
                via: r.via(),
            },
            "/report metrics" => {
                let (from, to) = (r.date("from")?, r.date("to")?);
                if let (Some(f), Some(t)) = (from, to) {
                    if f > t {
                        return Err(ParseError::Conflict {
                            path,
                            message: "from must not be after to.".into(),
                        });
                    }
                }
                C::ReportMetrics { from, to }
            }
            "/report release" => C::ReportRelease { id: r.rid()? },
            other if workflow::PATHS.contains(&other) => workflow::parse(&r, other)?,
            other => {
                return Err(ParseError::UnknownCommand {
                    name: other.trim_start_matches('/').to_string(),
                    known: PATHS.iter().map(|p| p.to_string()).collect(),
                })
            }
        })
    }

    /// Parses a typed line all the way to a command.
    pub fn parse(line: &str, tz: Tz) -> Result<Command, ParseError> {
        let inv = parse::parse_line(spec::Registry::get(), line)?;
        Command::from_invocation(&inv, tz)
    }
}

#[cfg(test)]
mod tests;
