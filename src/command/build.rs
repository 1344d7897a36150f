//! Typing a checked invocation into a `Command`.

use super::parse::{Invocation, ParseError};
use super::*;
use crate::domain::ids::RecordKind;
use crate::domain::package::{parse_found, parse_requirements};
use chrono_tz::Tz;

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
            // The workflow's commands, and the unknown-command answer.
            other => workflow::parse(&r, other)?,
        })
    }

    /// Parses a typed line all the way to a command.
    pub fn parse(line: &str, tz: Tz) -> Result<Command, ParseError> {
        let inv = parse::parse_line(spec::Registry::get(), line)?;
        Command::from_invocation(&inv, tz)
    }
}
