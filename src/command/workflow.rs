//! Typing the CAB workflow's commands (`/rfc edit`, `/release edit`,
//! `/release vote`, `/release recall`, `/release decide`, `/release unschedule`,
//! `/calendar unfreeze`, `/audit log`).

use super::parse::ParseError;
use super::{Command, Reader, PATHS};
use crate::domain::ids::{RecordId, RecordKind};
use crate::domain::tally::Vote;

impl Reader<'_> {
    /// `rfcs:`: RFC ids, comma-separated, each once.
    pub(super) fn rfc_list(&self) -> Result<Option<Vec<RecordId>>, ParseError> {
        let Some(raw) = self.opt("rfcs") else {
            return Ok(None);
        };
        let mut rfcs = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let id = RecordId::parse_as(RecordKind::Rfc, part)
                .ok_or_else(|| self.bad("rfcs", part, "RFC ids separated by commas, e.g. RFC-1,RFC-2"))?;
            if !rfcs.contains(&id) {
                rfcs.push(id);
            }
        }
        if rfcs.is_empty() {
            return Err(self.bad("rfcs", &raw, "at least one RFC id, e.g. RFC-1"));
        }
        Ok(Some(rfcs))
    }

    /// `environments:`: names, comma-separated, each once (known and in
    /// order is the handler's check, against the configuration).
    pub(super) fn environments(&self) -> Result<Option<Vec<String>>, ParseError> {
        let environments = self.list("environments", ',')?;
        if let Some(envs) = &environments {
            let mut seen = std::collections::BTreeSet::new();
            if let Some(dup) = envs.iter().find(|e| !seen.insert(e.to_lowercase())) {
                return Err(self.bad("environments", dup, "each environment once"));
            }
        }
        Ok(environments)
    }

    fn any_record(&self, name: &str) -> Result<RecordId, ParseError> {
        let t = self.text(name)?;
        [RecordKind::Release, RecordKind::Rfc, RecordKind::Incident]
            .into_iter()
            .find_map(|k| RecordId::parse_as(k, &t))
            .ok_or_else(|| self.bad(name, &t, "a record id such as REL-1, RFC-1 or INC-1"))
    }
}

/// Types one of the workflow's commands (any other path is unknown).
pub(super) fn parse(r: &Reader<'_>, path: &str) -> Result<Command, ParseError> {
    use Command as C;
    Ok(match path {
        "/rfc edit" => C::RfcEdit {
            id: r.id("id", RecordKind::Rfc)?,
            title: r.opt("title"),
            risk: r.choice("risk")?,
            impact: r.opt("impact"),
            description: r.opt("description"),
        },
        "/release edit" => C::ReleaseEdit {
            id: r.rid()?,
            name: r.opt("name"),
            version: match r.opt("version") {
                None => None,
                Some(_) => Some(r.version("version")?),
            },
            rfcs: r.rfc_list()?,
            environments: r.environments()?,
        },
        "/release unschedule" => C::ReleaseUnschedule { id: r.rid()? },
        "/release vote" => {
            let t = r.text("vote")?;
            let vote = Vote::from_key(&t).ok_or_else(|| r.bad("vote", &t, "approve, reject or abstain"))?;
            C::ReleaseVote {
                id: r.rid()?,
                vote,
                reason: r.opt("reason"),
            }
        }
        "/release recall" => C::ReleaseRecall {
            id: r.rid()?,
            reason: r.opt("reason"),
        },
        "/release decide" => C::ReleaseDecide {
            id: r.rid()?,
            approve: r.text("decision")? == "approve",
            reason: r.text("reason")?,
        },
        "/calendar unfreeze" => C::CalendarUnfreeze {
            name: r.text("name")?,
            reason: r.opt("reason"),
        },
        "/audit log" => C::AuditLog {
            id: r.any_record("id")?,
            limit: r.inv.int("limit").map_or(50, |l| l.clamp(1, 200) as u32),
        },
        other => {
            return Err(ParseError::UnknownCommand {
                name: other.trim_start_matches('/').to_string(),
                known: PATHS.iter().map(|p| p.to_string()).collect(),
            })
        }
    })
}
