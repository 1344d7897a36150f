//! Record ids (`RFC-3`, `REL-12`, …): per-guild sequences, accepted in any case.

use std::fmt;
use std::str::FromStr;

/// The kinds of record that carry a public id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// A request for change.
    Rfc,
    /// A release record.
    Release,
    /// An early-life-support incident.
    Incident,
    /// A known error with its workaround.
    KnownError,
}

impl RecordKind {
    /// The id prefix users see.
    pub fn prefix(self) -> &'static str {
        match self {
            RecordKind::Rfc => "RFC",
            RecordKind::Release => "REL",
            RecordKind::Incident => "INC",
            RecordKind::KnownError => "KE",
        }
    }

    /// The name of the per-guild sequence.
    pub fn sequence(self) -> &'static str {
        match self {
            RecordKind::Rfc => "rfc",
            RecordKind::Release => "release",
            RecordKind::Incident => "incident",
            RecordKind::KnownError => "known_error",
        }
    }
}

/// A public record id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordId {
    /// Which sequence it belongs to.
    pub kind: RecordKind,
    /// Its number in that sequence (from 1).
    pub n: i64,
}

impl RecordId {
    /// An RFC id.
    pub fn rfc(n: i64) -> Self {
        Self {
            kind: RecordKind::Rfc,
            n,
        }
    }
    /// A release id.
    pub fn release(n: i64) -> Self {
        Self {
            kind: RecordKind::Release,
            n,
        }
    }
    /// An incident id.
    pub fn incident(n: i64) -> Self {
        Self {
            kind: RecordKind::Incident,
            n,
        }
    }
    /// A known-error id.
    pub fn known_error(n: i64) -> Self {
        Self {
            kind: RecordKind::KnownError,
            n,
        }
    }

    /// Parses `text` as an id of `kind`, in any case (`rel-3`, `REL-3`).
    pub fn parse_as(kind: RecordKind, text: &str) -> Option<Self> {
        let text = text.trim();
        let (prefix, number) = text.split_once('-')?;
        if !prefix.eq_ignore_ascii_case(kind.prefix()) {
            return None;
        }
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) || number.len() > 15 {
            return None;
        }
        let n = i64::from_str(number).ok().filter(|n| *n > 0)?;
        Some(Self { kind, n })
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.kind.prefix(), self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_case_and_rejects_other_kinds() {
        assert_eq!(
            RecordId::parse_as(RecordKind::Release, "rel-3"),
            Some(RecordId::release(3))
        );
        assert_eq!(
            RecordId::parse_as(RecordKind::Release, " REL-12 "),
            Some(RecordId::release(12))
        );
        assert_eq!(RecordId::parse_as(RecordKind::Release, "RFC-3"), None);
        assert_eq!(RecordId::parse_as(RecordKind::Release, "REL-0"), None);
        assert_eq!(RecordId::parse_as(RecordKind::Release, "REL-"), None);
        assert_eq!(RecordId::parse_as(RecordKind::Release, "REL-+3"), None);
        assert_eq!(
            RecordId::parse_as(RecordKind::KnownError, "ke-7"),
            Some(RecordId::known_error(7))
        );
        assert_eq!(RecordId::release(4).to_string(), "REL-4");
    }
}
