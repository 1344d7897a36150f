//! Reading typed options off an invocation.

use super::parse::{Invocation, ParseError};
use super::{Target, Via};
use crate::domain::ids::{RecordId, RecordKind};
use crate::domain::package::parse_version;
use crate::domain::timefmt::{parse_date, parse_effort, parse_time};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use semver::Version;
use std::str::FromStr;

/// Reads typed options off an invocation, turning each format error into a
/// [`ParseError`] that names the option.
pub(super) struct Reader<'a> {
    pub(super) inv: &'a Invocation,
    pub(super) tz: Tz,
}

impl Reader<'_> {
    pub(super) fn bad(&self, option: &str, value: &str, expected: impl Into<String>) -> ParseError {
        ParseError::BadValue {
            option: option.into(),
            value: value.into(),
            expected: expected.into(),
        }
    }

    pub(super) fn missing(&self, option: &str) -> ParseError {
        ParseError::MissingOption {
            path: self.inv.path(),
            name: option.into(),
            description: "required".into(),
        }
    }

    pub(super) fn opt(&self, name: &str) -> Option<String> {
        self.inv.text(name).map(|s| s.trim().to_string())
    }

    pub(super) fn text(&self, name: &str) -> Result<String, ParseError> {
        self.opt(name).ok_or_else(|| self.missing(name))
    }

    pub(super) fn id_opt(&self, name: &str, kind: RecordKind) -> Result<Option<RecordId>, ParseError> {
        match self.inv.text(name) {
            None => Ok(None),
            Some(t) => RecordId::parse_as(kind, t)
                .map(Some)
                .ok_or_else(|| self.bad(name, t, format!("an id such as {}-1", kind.prefix()))),
        }
    }

    pub(super) fn id(&self, name: &str, kind: RecordKind) -> Result<RecordId, ParseError> {
        self.id_opt(name, kind)?.ok_or_else(|| self.missing(name))
    }

    pub(super) fn rel(&self) -> Result<RecordId, ParseError> {
        self.id("release", RecordKind::Release)
    }

    pub(super) fn rid(&self) -> Result<RecordId, ParseError> {
        self.id("id", RecordKind::Release)
    }

    pub(super) fn choice<T: FromStr<Err = String>>(&self, name: &str) -> Result<Option<T>, ParseError> {
        match self.inv.text(name) {
            None => Ok(None),
            Some(t) => T::from_str(t).map(Some).map_err(|e| self.bad(name, t, e)),
        }
    }

    pub(super) fn version(&self, name: &str) -> Result<Version, ParseError> {
        let t = self.text(name)?;
        parse_version(&t).map_err(|e| self.bad(name, &t, e))
    }

    pub(super) fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, ParseError> {
        match self.inv.text(name) {
            None => Ok(None),
            Some(t) => parse_time(t, self.tz).map(Some).map_err(|e| self.bad(name, t, e)),
        }
    }

    pub(super) fn effort(&self, name: &str) -> Result<f64, ParseError> {
        let t = self.text(name)?;
        parse_effort(&t).map_err(|e| self.bad(name, &t, e))
    }

    pub(super) fn date(&self, name: &str) -> Result<Option<NaiveDate>, ParseError> {
        match self.inv.text(name) {
            None => Ok(None),
            Some(t) => parse_date(t).map(Some).map_err(|e| self.bad(name, t, e)),
        }
    }

    pub(super) fn list(&self, name: &str, sep: char) -> Result<Option<Vec<String>>, ParseError> {
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

    pub(super) fn target(&self) -> Result<Target, ParseError> {
        let t = self.text("target")?;
        if t.eq_ignore_ascii_case("all") {
            return Ok(Target::All);
        }
        RecordId::parse_as(RecordKind::Release, &t)
            .map(Target::Release)
            .ok_or_else(|| self.bad("target", &t, "REL-<n> or all"))
    }

    pub(super) fn via(&self) -> Via {
        if self.inv.text("via") == Some("dm") {
            Via::Dm
        } else {
            Via::Channel
        }
    }
}
