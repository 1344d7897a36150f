//! Requests for change, and subscriptions to them and to releases.

use crate::chat::{Outgoing, StateClass};
use crate::command::Target;
use crate::domain::governance::Via;
use crate::domain::ids::RecordId;
use crate::domain::records::Rfc;
use crate::domain::timefmt::show_time;
use chrono_tz::Tz;

/// `RFC-1 opened`.
pub fn rfc_opened(r: &Rfc) -> Outgoing {
    Outgoing::text(format!(
        "{} opened by {} — {}\n  type {} · risk {} · impact: {}",
        r.rid(),
        r.requester_name,
        r.title,
        r.rfc_type,
        r.risk,
        r.impact
    ))
    .class(StateClass::Waiting)
    .about([r.rid()])
}

/// One RFC in full.
pub fn rfc_show(r: &Rfc, releases: &[i64], tz: Tz) -> Outgoing {
    let mut s = format!(
        "{} {} — {}\n  type {} · risk {} · requested by {} on {}\n  impact: {}",
        r.rid(),
        r.title,
        r.status,
        r.rfc_type,
        r.risk,
        r.requester_name,
        show_time(r.created_at, tz),
        r.impact
    );
    if let Some(d) = &r.description {
        s.push_str(&format!("\n  description: {d}"));
    }
    if !releases.is_empty() {
        let ids: Vec<String> = releases
            .iter()
            .map(|n| RecordId::release(*n).to_string())
            .collect();
        s.push_str(&format!("\n  releases: {}", ids.join(", ")));
    }
    Outgoing::text(s).about([r.rid()])
}

/// A list of RFCs.
pub fn rfc_list(rfcs: &[Rfc]) -> Outgoing {
    if rfcs.is_empty() {
        return Outgoing::text("No RFCs match.");
    }
    let lines: Vec<String> = rfcs
        .iter()
        .map(|r| {
            format!(
                "  {} {} — {} · {} · {} risk",
                r.rid(),
                r.title,
                r.status,
                r.rfc_type,
                r.risk
            )
        })
        .collect();
    Outgoing::text(format!("{} RFC(s):\n{}", rfcs.len(), lines.join("\n")))
}

/// An RFC withdrawn.
pub fn rfc_withdrawn(r: &Rfc, by: &str, reason: Option<&str>) -> Outgoing {
    let why = reason.map(|w| format!(": {w}")).unwrap_or_default();
    Outgoing::text(format!("{} withdrawn by {by}{why}", r.rid()))
        .class(StateClass::Closed)
        .about([r.rid()])
}

/// What a subscription follows, in words (`all releases`, `R-3`).
pub fn subscription_target(target: Target) -> String {
    match target {
        Target::All => "all releases".to_string(),
        Target::Release(id) => id.to_string(),
    }
}

/// Subscribed.
pub fn subscribed(target: &str, via: Via, new: bool) -> Outgoing {
    let where_ = if via == Via::Dm {
        "by direct message"
    } else {
        "in this channel"
    };
    if new {
        Outgoing::text(format!("Subscribed to {target}: you will be told {where_}."))
    } else {
        Outgoing::text(format!("You were already subscribed to {target} {where_}."))
    }
}

/// Unsubscribed.
pub fn unsubscribed(target: &str, via: Via, existed: bool) -> Outgoing {
    let where_ = if via == Via::Dm {
        "by direct message"
    } else {
        "in a channel"
    };
    if existed {
        Outgoing::text(format!("Unsubscribed from {target} ({where_})."))
    } else {
        Outgoing::text(format!("You had no subscription to {target} {where_}."))
    }
}
