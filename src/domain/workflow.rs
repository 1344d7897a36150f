//! The CAB workflow's rules beyond the lifecycle itself: what a release may
//! be made of, when a plan may go back to the CAB, who decides an expired
//! poll, freezes declared in chat, and votes given as commands.

use crate::domain::calendar::Freeze;
use crate::domain::ids::RecordId;
use crate::domain::poll::{PollClose, PollDecision};
use crate::domain::rfc::RfcType;
use crate::domain::roles::Roles;
use crate::domain::tally::{Ballot, Vote};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// Why the RFCs or environments given to `/release new` or `/release edit`
/// cannot make one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapeRefusal {
    /// Emergency and non-emergency RFCs together: a normal change would ride
    /// the emergency path around the CAB and the freezes.
    MixedEmergency {
        /// The emergency RFCs.
        emergency: Vec<RecordId>,
        /// The others.
        other: Vec<RecordId>,
    },
    /// An environment that `release.environments` does not name.
    UnknownEnvironment {
        /// What was given.
        given: String,
        /// The known ones, in promotion order.
        known: Vec<String>,
    },
    /// Known environments, but not in promotion order.
    OutOfOrder {
        /// What was given.
        given: Vec<String>,
        /// The known ones, in promotion order.
        known: Vec<String>,
    },
}

/// Whether the release is an emergency, or why these RFCs cannot share one.
pub fn rfc_mix(rfcs: &[(RecordId, RfcType)]) -> Result<bool, ShapeRefusal> {
    let (emergency, other): (Vec<_>, Vec<_>) = rfcs.iter().partition(|(_, t)| *t == RfcType::Emergency);
    match (emergency.is_empty(), other.is_empty()) {
        (false, false) => Err(ShapeRefusal::MixedEmergency {
            emergency: emergency.iter().map(|(id, _)| *id).collect(),
            other: other.iter().map(|(id, _)| *id).collect(),
        }),
        (emergency_none, _) => Ok(!emergency_none),
    }
}

/// The target environments as `release.environments` spells them, or why
/// not: each must be known, and they must keep the promotion order (a
/// subsequence such as `prod` alone or `staging,prod`).
pub fn target_environments(given: &[String], known: &[String]) -> Result<Vec<String>, ShapeRefusal> {
    let mut positions = Vec::with_capacity(given.len());
    for g in given {
        match known.iter().position(|k| k.eq_ignore_ascii_case(g.trim())) {
            Some(i) => positions.push(i),
            None => {
                return Err(ShapeRefusal::UnknownEnvironment {
                    given: g.clone(),
                    known: known.to_vec(),
                })
            }
        }
    }
    if positions.windows(2).any(|w| w[0] >= w[1]) {
        return Err(ShapeRefusal::OutOfOrder {
            given: given.to_vec(),
            known: known.to_vec(),
        });
    }
    Ok(positions.into_iter().map(|i| known[i].clone()).collect())
}

/// The environments windows serve that `release.environments` does not name:
/// (window, environment) pairs, in config order.
pub fn unknown_window_environments<'a>(
    windows: impl IntoIterator<Item = (&'a str, &'a [String])>,
    known: &[String],
) -> Vec<(String, String)> {
    windows
        .into_iter()
        .flat_map(|(w, envs)| envs.iter().map(move |e| (w, e)))
        .filter(|(_, e)| !known.iter().any(|k| k.eq_ignore_ascii_case(e)))
        .map(|(w, e)| (w.to_string(), e.clone()))
        .collect()
}

/// How a poll ended, as far as resubmission cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollEnd {
    /// Still open.
    Open,
    /// Approved (by the CAB, or by a change manager after an expiry).
    Approved,
    /// Rejected (by the CAB, or by a change manager after an expiry).
    Rejected,
    /// Expired without quorum, undecided.
    Expired,
    /// Withdrawn by the release manager.
    Recalled,
    /// Closed with the release's cancellation.
    Cancelled,
}

impl PollEnd {
    /// The end of a stored poll: how it closed (None while open) and, after
    /// an expiry, a change manager's decision.
    pub fn of(closed: Option<PollClose>, decision: Option<PollDecision>) -> PollEnd {
        match (closed, decision) {
            (None, _) => PollEnd::Open,
            (Some(_), Some(PollDecision::Approved)) | (Some(PollClose::Approved), _) => PollEnd::Approved,
            (Some(_), Some(PollDecision::Rejected)) | (Some(PollClose::Rejected), _) => PollEnd::Rejected,
            (Some(PollClose::Recalled), _) => PollEnd::Recalled,
            (Some(PollClose::Cancelled), _) => PollEnd::Cancelled,
            (Some(PollClose::Expired), None) => PollEnd::Expired,
        }
    }
}

/// The latest poll of a release: how it ended and the revision it voted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastPoll {
    /// How it ended.
    pub end: PollEnd,
    /// The plan revision it voted on.
    pub revision: i64,
}

/// Why a release may not go to the CAB again yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResubmitRefusal {
    /// The plan the CAB rejected has not changed since.
    Unchanged {
        /// The rejected revision.
        revision: i64,
    },
}

/// Whether a release at `revision` may be submitted after `last`: a rejected
/// plan must change first; after an expiry or a recall it may go as is.
pub fn may_submit(last: Option<LastPoll>, revision: i64) -> Result<(), ResubmitRefusal> {
    match last {
        Some(LastPoll {
            end: PollEnd::Rejected,
            revision: r,
        }) if r >= revision => Err(ResubmitRefusal::Unchanged { revision: r }),
        _ => Ok(()),
    }
}

/// The revision after a change of the plan or the release: a revision that
/// a poll has seen is never changed in place, so the next one starts.
pub fn revision_after_change(revision: i64, last_polled: Option<i64>) -> i64 {
    if last_polled.is_some_and(|r| r >= revision) {
        revision + 1
    } else {
        revision
    }
}

/// Why `/release decide` does not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecideRefusal {
    /// The release never went to the CAB.
    NoPoll,
    /// Its latest poll did not expire (still open, or decided by the CAB, recalled…).
    NotExpired(PollEnd),
    /// A change manager decided it already.
    AlreadyDecided,
}

/// Whether a change manager may decide the release's latest poll: only one
/// that expired without quorum and is undecided. Because it is the latest,
/// the release has not been resubmitted since.
pub fn may_decide(latest: Option<(Option<PollClose>, Option<PollDecision>)>) -> Result<(), DecideRefusal> {
    let Some((closed, decision)) = latest else {
        return Err(DecideRefusal::NoPoll);
    };
    if decision.is_some() {
        return Err(DecideRefusal::AlreadyDecided);
    }
    match PollEnd::of(closed, None) {
        PollEnd::Expired => Ok(()),
        other => Err(DecideRefusal::NotExpired(other)),
    }
}

/// When the reminder of a poll is due: `remind_before` its deadline, if
/// that is still ahead of its opening (a zero `remind_before` means none).
pub fn reminder_at(
    opened: DateTime<Utc>,
    deadline: DateTime<Utc>,
    remind_before: Duration,
) -> Option<DateTime<Utc>> {
    if remind_before <= Duration::zero() {
        return None;
    }
    let at = deadline - remind_before;
    (at > opened).then_some(at)
}

/// How many more votes the poll needs to reach its quorum.
pub fn missing_for_quorum(cast: u32, quorum: u32) -> u32 {
    quorum.saturating_sub(cast)
}

/// Whether a poll closing at `deadline` still runs when the booked window
/// opens at `window_start`: the release could miss its window waiting.
pub fn closes_after_window_opens(deadline: DateTime<Utc>, window_start: Option<DateTime<Utc>>) -> bool {
    window_start.is_some_and(|w| deadline > w)
}

/// Why `/calendar freeze` is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FreezeRefusal {
    /// The freeze ended before now.
    InThePast {
        /// When it ended.
        to: DateTime<Utc>,
    },
    /// A current freeze has that name.
    NameTaken {
        /// The existing freeze.
        existing: Freeze,
    },
}

/// Whether `new` may be declared among `existing` freezes (config and chat):
/// its name is unique among the freezes that have not ended, and it has not
/// ended itself.
pub fn may_freeze(new: &Freeze, existing: &[Freeze], now: DateTime<Utc>) -> Result<(), FreezeRefusal> {
    if new.to <= now {
        return Err(FreezeRefusal::InThePast { to: new.to });
    }
    match existing
        .iter()
        .find(|f| f.to > now && f.name.trim().eq_ignore_ascii_case(new.name.trim()))
    {
        Some(f) => Err(FreezeRefusal::NameTaken { existing: f.clone() }),
        None => Ok(()),
    }
}

/// Why `/calendar unfreeze` is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnfreezeRefusal {
    /// The freeze comes from config: it is lifted by changing the config.
    FromConfig,
    /// No current freeze has the name; the current ones declared in chat are listed.
    NotFound {
        /// Names that could be lifted.
        current: Vec<String>,
    },
}

/// Which chat freeze `/calendar unfreeze name` lifts (its index in `chat`),
/// or why none: config freezes stay, and ended freezes are history.
pub fn unfreeze_target(
    name: &str,
    chat: &[Freeze],
    config: &[Freeze],
    now: DateTime<Utc>,
) -> Result<usize, UnfreezeRefusal> {
    let is = |f: &Freeze| f.to > now && f.name.trim().eq_ignore_ascii_case(name.trim());
    if let Some(i) = chat.iter().position(is) {
        return Ok(i);
    }
    if config.iter().any(is) {
        return Err(UnfreezeRefusal::FromConfig);
    }
    Err(UnfreezeRefusal::NotFound {
        current: chat
            .iter()
            .filter(|f| f.to > now)
            .map(|f| f.name.clone())
            .collect(),
    })
}

/// One event of a poll's ledger, as the vote rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// Who.
    pub user: String,
    /// Their roles then.
    pub roles: Roles,
    /// Which vote.
    pub vote: Vote,
    /// What happened.
    pub kind: MarkKind,
}

/// What a ledger event was: the ledger's own action.
pub use super::poll::VoteAction as MarkKind;

/// Votes given with `/release vote` that still stand, by user: a command
/// vote stands until the same person adds a reaction after it (the later
/// vote replaces the earlier one, whichever way each was given).
pub fn standing_command_votes(ledger: &[Mark]) -> BTreeMap<String, (Vote, Roles)> {
    let mut standing = BTreeMap::new();
    for m in ledger {
        match m.kind {
            MarkKind::Command => {
                standing.insert(m.user.clone(), (m.vote, m.roles.clone()));
            }
            MarkKind::Add => {
                standing.remove(&m.user);
            }
            MarkKind::Remove | MarkKind::Count => {}
        }
    }
    standing
}

/// The ballots once the standing command votes replace what their voters'
/// reactions say.
pub fn with_command_votes(reactions: Vec<Ballot>, standing: &BTreeMap<String, (Vote, Roles)>) -> Vec<Ballot> {
    let mut by_user: BTreeMap<String, Ballot> = reactions.into_iter().map(|b| (b.user.clone(), b)).collect();
    for (user, (vote, roles)) in standing {
        by_user.insert(
            user.clone(),
            Ballot {
                user: user.clone(),
                roles: roles.clone(),
                votes: BTreeSet::from([*vote]),
            },
        );
    }
    by_user.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::roles::Role;
    use chrono::TimeZone;

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    fn envs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn emergency_and_other_rfcs_do_not_mix() {
        let (e, n, s) = (RecordId::rfc(1), RecordId::rfc(2), RecordId::rfc(3));
        assert_eq!(rfc_mix(&[(e, RfcType::Emergency)]), Ok(true));
        assert_eq!(
            rfc_mix(&[(n, RfcType::Normal), (s, RfcType::Standard)]),
            Ok(false)
        );
        assert_eq!(
            rfc_mix(&[
                (n, RfcType::Normal),
                (e, RfcType::Emergency),
                (s, RfcType::Standard)
            ]),
            Err(ShapeRefusal::MixedEmergency {
                emergency: vec![e],
                other: vec![n, s]
            })
        );
    }

    #[test]
    fn environments_are_known_and_in_promotion_order() {
        let known = envs(&["dev", "staging", "prod"]);
        assert_eq!(target_environments(&envs(&["prod"]), &known), Ok(envs(&["prod"])));
        assert_eq!(
            target_environments(&envs(&["Staging", "PROD"]), &known),
            Ok(envs(&["staging", "prod"]))
        );
        assert_eq!(
            target_environments(&envs(&["dev", "prod"]), &known),
            Ok(envs(&["dev", "prod"]))
        );
        assert_eq!(
            target_environments(&envs(&["staging", "production"]), &known),
            Err(ShapeRefusal::UnknownEnvironment {
                given: "production".into(),
                known: known.clone()
            })
        );
        assert_eq!(
            target_environments(&envs(&["prod", "staging"]), &known),
            Err(ShapeRefusal::OutOfOrder {
                given: envs(&["prod", "staging"]),
                known: known.clone()
            })
        );
        assert!(matches!(
            target_environments(&envs(&["prod", "prod"]), &known),
            Err(ShapeRefusal::OutOfOrder { .. })
        ));
    }

    #[test]
    fn windows_serving_unknown_environments_are_named() {
        let known = envs(&["staging", "prod"]);
        let a = envs(&["prod"]);
        let b = envs(&["Staging", "qa"]);
        assert_eq!(
            unknown_window_environments([("weekly", a.as_slice()), ("daily", b.as_slice())], &known),
            vec![("daily".to_string(), "qa".to_string())]
        );
        assert!(unknown_window_environments([("weekly", a.as_slice())], &known).is_empty());
    }

    #[test]
    fn a_rejected_plan_must_change_before_it_goes_again() {
        let last = |end, revision| Some(LastPoll { end, revision });
        assert_eq!(may_submit(None, 1), Ok(()));
        assert_eq!(
            may_submit(last(PollEnd::Rejected, 1), 1),
            Err(ResubmitRefusal::Unchanged { revision: 1 })
        );
        assert_eq!(may_submit(last(PollEnd::Rejected, 1), 2), Ok(()));
        assert_eq!(may_submit(last(PollEnd::Expired, 1), 1), Ok(()));
        assert_eq!(may_submit(last(PollEnd::Recalled, 1), 1), Ok(()));
        assert_eq!(
            PollEnd::of(Some(PollClose::Expired), Some(PollDecision::Rejected)),
            PollEnd::Rejected,
            "a change manager's rejection counts as a rejection"
        );
        assert_eq!(
            PollEnd::of(Some(PollClose::Expired), Some(PollDecision::Approved)),
            PollEnd::Approved
        );
        assert_eq!(PollEnd::of(Some(PollClose::Expired), None), PollEnd::Expired);
        assert_eq!(PollEnd::of(None, None), PollEnd::Open);
        assert_eq!(PollEnd::of(Some(PollClose::Recalled), None), PollEnd::Recalled);
    }

    #[test]
    fn a_change_raises_the_revision_only_once_a_poll_has_seen_it() {
        assert_eq!(revision_after_change(1, None), 1);
        assert_eq!(revision_after_change(1, Some(1)), 2);
        assert_eq!(
            revision_after_change(2, Some(1)),
            2,
            "revision 2 is not voted on yet"
        );
    }

    #[test]
    fn only_an_undecided_expired_latest_poll_can_be_decided() {
        assert_eq!(may_decide(None), Err(DecideRefusal::NoPoll));
        assert_eq!(may_decide(Some((Some(PollClose::Expired), None))), Ok(()));
        assert_eq!(
            may_decide(Some((Some(PollClose::Expired), Some(PollDecision::Approved)))),
            Err(DecideRefusal::AlreadyDecided)
        );
        assert_eq!(
            may_decide(Some((None, None))),
            Err(DecideRefusal::NotExpired(PollEnd::Open))
        );
        assert_eq!(
            may_decide(Some((Some(PollClose::Rejected), None))),
            Err(DecideRefusal::NotExpired(PollEnd::Rejected))
        );
        assert_eq!(
            may_decide(Some((Some(PollClose::Recalled), None))),
            Err(DecideRefusal::NotExpired(PollEnd::Recalled))
        );
    }

    #[test]
    fn the_reminder_comes_before_the_deadline_or_not_at_all() {
        assert_eq!(reminder_at(t(0), t(48), Duration::hours(12)), Some(t(36)));
        assert_eq!(
            reminder_at(t(0), t(4), Duration::hours(12)),
            None,
            "longer than the poll"
        );
        assert_eq!(reminder_at(t(0), t(48), Duration::zero()), None);
        assert_eq!(missing_for_quorum(1, 3), 2);
        assert_eq!(missing_for_quorum(4, 3), 0);
    }

    #[test]
    fn a_poll_outliving_the_window_opening_is_flagged() {
        assert!(closes_after_window_opens(t(48), Some(t(24))));
        assert!(!closes_after_window_opens(t(48), Some(t(48))));
        assert!(!closes_after_window_opens(t(48), None));
    }

    fn freeze(name: &str, from: i64, to: i64) -> Freeze {
        Freeze {
            name: name.into(),
            from: t(from),
            to: t(to),
            reason: None,
        }
    }

    #[test]
    fn freeze_names_are_unique_among_current_freezes_and_the_past_is_refused() {
        let now = t(10);
        let existing = [freeze("year-end", 20, 40), freeze("old", 0, 5)];
        assert_eq!(may_freeze(&freeze("audit", 12, 14), &existing, now), Ok(()));
        assert_eq!(
            may_freeze(&freeze("Year-End", 50, 60), &existing, now),
            Err(FreezeRefusal::NameTaken {
                existing: existing[0].clone()
            })
        );
        assert_eq!(
            may_freeze(&freeze("old", 12, 14), &existing, now),
            Ok(()),
            "a freeze that ended does not hold its name"
        );
        assert_eq!(
            may_freeze(&freeze("gone", 2, 8), &existing, now),
            Err(FreezeRefusal::InThePast { to: t(8) })
        );
        assert_eq!(
            may_freeze(&freeze("started", 8, 12), &existing, now),
            Ok(()),
            "a freeze already running but not over is fine"
        );
    }

    #[test]
    fn unfreeze_lifts_chat_freezes_only() {
        let now = t(10);
        let chat = [freeze("old", 0, 5), freeze("audit", 12, 14)];
        let config = [freeze("year-end", 20, 40)];
        assert_eq!(unfreeze_target("AUDIT", &chat, &config, now), Ok(1));
        assert_eq!(
            unfreeze_target("year-end", &chat, &config, now),
            Err(UnfreezeRefusal::FromConfig)
        );
        assert_eq!(
            unfreeze_target("old", &chat, &config, now),
            Err(UnfreezeRefusal::NotFound {
                current: vec!["audit".into()]
            })
        );
    }

    fn mark(user: &str, vote: Vote, kind: MarkKind) -> Mark {
        Mark {
            user: user.into(),
            roles: Roles::from([Role::CabMember]),
            vote,
            kind,
        }
    }

    #[test]
    fn the_later_vote_replaces_the_earlier_whichever_way_it_was_given() {
        use MarkKind::*;
        let ledger = [
            mark("a", Vote::Approve, Add),
            mark("a", Vote::Reject, Command),
            mark("b", Vote::Reject, Command),
            mark("b", Vote::Approve, Add),
            mark("c", Vote::Abstain, Command),
            mark("c", Vote::Approve, Remove),
        ];
        let standing = standing_command_votes(&ledger);
        assert_eq!(
            standing
                .iter()
                .map(|(u, (v, _))| (u.as_str(), *v))
                .collect::<Vec<_>>(),
            vec![("a", Vote::Reject), ("c", Vote::Abstain)],
            "b reacted after the command; removing a reaction replaces nothing"
        );
        let reactions = vec![
            Ballot {
                user: "a".into(),
                roles: Roles::new(),
                votes: BTreeSet::from([Vote::Approve]),
            },
            Ballot {
                user: "b".into(),
                roles: Roles::new(),
                votes: BTreeSet::from([Vote::Approve]),
            },
        ];
        let merged = with_command_votes(reactions, &standing);
        let votes: Vec<_> = merged
            .iter()
            .map(|b| (b.user.as_str(), b.votes.iter().copied().collect::<Vec<_>>()))
            .collect();
        assert_eq!(
            votes,
            vec![
                ("a", vec![Vote::Reject]),
                ("b", vec![Vote::Approve]),
                ("c", vec![Vote::Abstain])
            ]
        );
    }
}
