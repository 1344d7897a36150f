//! Governance rules around the lifecycle: pre-approved standard changes,
//! segregation of duties, what blocks a close, which audits are admissible,
//! and who hears of an event. Pure functions; the handlers feed them records.

use super::ids::RecordId;
use super::records::{Deployment, Incident};
use super::rfc::RfcType;
use std::collections::BTreeSet;

/// Where subscribers are told; stored by its [`key`](Via::key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// In the channel the subscription was made in.
    Channel,
    /// By direct message.
    Dm,
}

impl Via {
    /// The stored key.
    pub fn key(self) -> &'static str {
        match self {
            Via::Channel => "channel",
            Via::Dm => "dm",
        }
    }

    /// The way a stored key names.
    pub fn from_key(key: &str) -> Option<Via> {
        [Via::Channel, Via::Dm].into_iter().find(|v| v.key() == key)
    }
}

/// Whether `/release submit` skips the CAB: every RFC is standard (a
/// pre-authorized change) and `cab.standard_preapproved` is on.
pub fn preapproved(types: &[RfcType], enabled: bool) -> bool {
    enabled && !types.is_empty() && types.iter().all(|t| *t == RfcType::Standard)
}

/// Why an authorizer may not authorize a release (segregation of duties).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// They manage the release.
    ReleaseManager,
    /// They requested one of its RFCs.
    Requester {
        /// The RFC.
        rfc: RecordId,
    },
}

/// The first reason `authorizer` may not authorize a release managed by
/// `manager` whose RFCs were requested by `requesters` (RFC id, requester),
/// or none. `enabled` is `authorization.segregation`.
pub fn segregation(
    enabled: bool,
    authorizer: &str,
    manager: &str,
    requesters: &[(RecordId, String)],
) -> Option<Conflict> {
    if !enabled {
        return None;
    }
    if authorizer == manager {
        return Some(Conflict::ReleaseManager);
    }
    requesters
        .iter()
        .find(|(_, who)| who == authorizer)
        .map(|(rfc, _)| Conflict::Requester { rfc: *rfc })
}

/// The open incidents at `threshold` or worse (severity 1 is the worst),
/// which block `/release close`, by id in number order.
pub fn blocking_incidents(incidents: &[Incident], threshold: u8) -> Vec<String> {
    let mut open: Vec<&Incident> = incidents
        .iter()
        .filter(|i| i.resolved_at.is_none() && i.severity <= threshold)
        .collect();
    open.sort_by_key(|i| i.number);
    open.iter()
        .map(|i| RecordId::incident(i.number).to_string())
        .collect()
}

/// Whether the release was ever deployed to `env` (a deployment started
/// there): only such a deployment can be audited against the baseline.
pub fn deployed_to(deployments: &[Deployment], env: &str) -> bool {
    deployments
        .iter()
        .any(|d| d.env.eq_ignore_ascii_case(env) && d.started_at.is_some())
}

/// One subscription as the notice rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sub {
    /// The subscriber.
    pub user: String,
    /// By direct message (else in `channel`).
    pub dm: bool,
    /// The channel subscribed from.
    pub channel: String,
}

/// Who is told of one event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipients {
    /// Channels to post in.
    pub channels: Vec<String>,
    /// People to message directly with the common notice.
    pub dms: Vec<String>,
}

/// One message per person and per channel, however many subscriptions
/// lead there; none to whoever caused the event (`actor`) nor to the
/// channel where it is already said; nobody in `personal` gets the common
/// notice, since they are told in their own words.
pub fn recipients(
    subs: &[Sub],
    said_in: Option<&str>,
    actor: Option<&str>,
    personal: &[String],
) -> Recipients {
    let mut channels: BTreeSet<&str> = said_in.into_iter().collect();
    let mut people: BTreeSet<&str> = actor
        .into_iter()
        .chain(personal.iter().map(String::as_str))
        .collect();
    let mut r = Recipients::default();
    for s in subs {
        if s.dm {
            if people.insert(&s.user) {
                r.dms.push(s.user.clone());
            }
        } else if channels.insert(&s.channel) {
            r.channels.push(s.channel.clone());
        }
    }
    r
}

/// The people told in their own words, once each and never the actor.
pub fn personal(candidates: &[String], actor: Option<&str>) -> Vec<String> {
    let mut seen: BTreeSet<&str> = actor.into_iter().collect();
    candidates
        .iter()
        .filter(|c| seen.insert(c.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_way_round_trips_through_its_key_and_nothing_else_decodes() {
        for v in [Via::Channel, Via::Dm] {
            assert_eq!(Via::from_key(v.key()), Some(v));
        }
        assert_ne!(Via::Channel.key(), Via::Dm.key());
        assert_eq!(Via::from_key("DM"), None);
        assert_eq!(Via::from_key("email"), None);
    }
    use crate::domain::incident::DefectType;
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;
    use RfcType::{Emergency, Normal, Standard};

    #[test]
    fn only_all_standard_releases_are_preapproved() {
        assert!(preapproved(&[Standard, Standard], true));
        assert!(!preapproved(&[Standard, Normal], true));
        assert!(!preapproved(&[Emergency], true));
        assert!(!preapproved(&[Standard], false));
        assert!(!preapproved(&[], true));
    }

    #[test]
    fn segregation_names_the_conflict() {
        let reqs = vec![
            (RecordId::rfc(1), "rita".to_string()),
            (RecordId::rfc(2), "cm".to_string()),
        ];
        assert_eq!(
            segregation(true, "rm", "rm", &reqs),
            Some(Conflict::ReleaseManager)
        );
        assert_eq!(
            segregation(true, "cm", "rm", &reqs),
            Some(Conflict::Requester {
                rfc: RecordId::rfc(2)
            })
        );
        assert_eq!(segregation(true, "carol", "rm", &reqs), None);
        assert_eq!(segregation(false, "rm", "rm", &reqs), None);
    }

    fn incident(number: i64, severity: u8, resolved: bool) -> Incident {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        Incident {
            row: number,
            number,
            release_row: 1,
            release_number: 1,
            env: "prod".into(),
            severity,
            defect: DefectType::Code,
            title: "t".into(),
            opened_by: "s".into(),
            opened_at: at,
            resolved_at: resolved.then_some(at),
            effort_hours: None,
            notes: None,
        }
    }

    #[test]
    fn open_incidents_at_or_above_the_threshold_block() {
        let list = [
            incident(4, 1, false),
            incident(2, 2, false),
            incident(3, 3, false),
            incident(1, 1, true),
        ];
        assert_eq!(blocking_incidents(&list, 2), vec!["INC-2", "INC-4"]);
        assert_eq!(blocking_incidents(&list, 1), vec!["INC-4"]);
        assert_eq!(blocking_incidents(&list, 4).len(), 3);
        assert!(blocking_incidents(&[incident(1, 1, true)], 4).is_empty());
    }

    #[test]
    fn only_started_deployments_count_as_deployed() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let d = |env: &str, started: bool| Deployment {
            row: 1,
            release_row: 1,
            env: env.into(),
            attempt: 1,
            risks: None,
            steps: vec![],
            planned_by: "d".into(),
            planned_at: at,
            started_by: None,
            started_at: started.then_some(at),
            finished_at: None,
            outcome: None,
            notes: None,
            bypass: None,
            message_id: None,
        };
        let list = [d("staging", true), d("prod", false)];
        assert!(deployed_to(&list, "STAGING"));
        assert!(!deployed_to(&list, "prod"));
        assert!(!deployed_to(&[], "prod"));
    }

    fn sub(user: &str, dm: bool, channel: &str) -> Sub {
        Sub {
            user: user.into(),
            dm,
            channel: channel.into(),
        }
    }

    #[test]
    fn one_message_per_person_none_for_the_actor() {
        let subs = [
            sub("rm", true, "general"),
            sub("rm", true, "ops"),
            sub("ann", true, "general"),
            sub("ann", false, "ops"),
            sub("bob", false, "general"),
            sub("cy", true, "general"),
        ];
        let r = recipients(&subs, Some("general"), Some("ann"), &["cy".to_string()]);
        assert_eq!(r.dms, vec!["rm".to_string()]);
        assert_eq!(r.channels, vec!["ops".to_string()]);
        assert_eq!(
            personal(&["rm".into(), "rm".into(), "ann".into()], Some("ann")),
            vec!["rm".to_string()]
        );
    }

    proptest! {
        #[test]
        fn nobody_is_told_twice(subs in proptest::collection::vec((0u8..4, any::<bool>(), 0u8..3), 0..16),
                                actor in proptest::option::of(0u8..4),
                                extra in proptest::collection::vec(0u8..4, 0..4)) {
            let subs: Vec<Sub> = subs.iter().map(|(u, dm, c)| sub(&format!("u{u}"), *dm, &format!("c{c}"))).collect();
            let actor = actor.map(|a| format!("u{a}"));
            let extra: Vec<String> = extra.iter().map(|u| format!("u{u}")).collect();
            let personal = personal(&extra, actor.as_deref());
            let r = recipients(&subs, Some("c0"), actor.as_deref(), &personal);
            let mut all: Vec<&String> = r.dms.iter().chain(&personal).collect();
            let n = all.len();
            all.sort();
            all.dedup();
            prop_assert_eq!(all.len(), n);
            prop_assert!(actor.as_ref().is_none_or(|a| !all.contains(&a)));
            prop_assert!(!r.channels.contains(&"c0".to_string()));
        }
    }
}
