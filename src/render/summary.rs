//! The audit values that stay words: a record's summary as the audit trail
//! holds it. `/release show`'s story compares an edit's before and after part
//! by part on `" · "`, and rows written before facts hold the same text, so
//! these are kept as the text they always were (worded here, not in handlers)
//! rather than made `Fact`s the story would have to reassemble.

use crate::domain::ids::RecordId;
use crate::domain::package::Item;
use crate::domain::records::{Plan, Release, Rfc};

/// A new release: `name version — state`.
pub fn release_opened(r: &Release) -> String {
    format!("{} {} — {}", r.name, r.version, r.lifecycle.state)
}

/// A release's editable fields, `" · "` between them.
pub fn release_fields(r: &Release, rfcs: &[RecordId]) -> String {
    format!(
        "{} {} · RFCs {} · environments {}{}",
        r.name,
        r.version,
        rfcs.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", "),
        r.environments.join(", "),
        if r.emergency { " · emergency" } else { "" }
    )
}

/// A new RFC: `title (type, risk risk) — open`.
pub fn rfc_opened(r: &Rfc) -> String {
    format!("{} ({}, {} risk) — open", r.title, r.rfc_type, r.risk)
}

/// An RFC's editable fields, `" · "` between them.
pub fn rfc_fields(r: &Rfc) -> String {
    format!(
        "title: {} · risk {} · impact: {} · description: {}",
        r.title,
        r.risk,
        r.impact,
        r.description.as_deref().unwrap_or("—")
    )
}

/// A release plan, `" · "` between its parts; `—` for one not set.
pub fn plan(p: &Plan) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    format!(
        "scope: {} · back-out: {} · acceptance: {}",
        opt(&p.scope),
        opt(&p.backout),
        opt(&p.acceptance)
    )
}

/// A package item: `name version (kind, change)`.
pub fn item(i: &Item) -> String {
    format!("{} {} ({}, {})", i.name, i.version, i.kind, i.change)
}
