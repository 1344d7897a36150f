//! CAB and ECAB votes: who counts, and when a poll is decided. A pure
//! function of the reactions on the poll message, so the count can always be
//! recomputed from the platform.

use super::roles::{Role, Roles};
use chrono::Duration;
use std::collections::{BTreeMap, BTreeSet};

/// A vote, as a reaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Vote {
    /// ✅
    Approve,
    /// ❌
    Reject,
    /// 🤷
    Abstain,
}

impl Vote {
    /// The three votes, in the order the bot adds them.
    pub const ALL: [Vote; 3] = [Vote::Approve, Vote::Reject, Vote::Abstain];

    /// The reaction for this vote.
    pub fn emoji(self) -> &'static str {
        match self {
            Vote::Approve => "✅",
            Vote::Reject => "❌",
            Vote::Abstain => "🤷",
        }
    }

    /// The vote a reaction stands for, if any: skin tones, gender signs and
    /// variation selectors are how people pick an emoji, not another vote.
    pub fn from_emoji(emoji: &str) -> Option<Vote> {
        let e = base_emoji(emoji);
        Vote::ALL.into_iter().find(|v| base_emoji(v.emoji()) == e)
    }

    /// Stored form.
    pub fn key(self) -> &'static str {
        match self {
            Vote::Approve => "approve",
            Vote::Reject => "reject",
            Vote::Abstain => "abstain",
        }
    }

    /// Parses the stored form.
    pub fn from_key(key: &str) -> Option<Vote> {
        Vote::ALL.into_iter().find(|v| v.key() == key)
    }
}

/// An emoji without its presentation: variation selectors, skin-tone
/// modifiers and the zero-width-joined gender signs that make 🤷🏽 or 🤷‍♂️.
/// Look-alikes such as ✔️ or ☑️ stay themselves.
pub fn base_emoji(emoji: &str) -> String {
    let mut out = String::with_capacity(emoji.len());
    let mut chars = emoji.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{fe0e}' | '\u{fe0f}' | '\u{1f3fb}'..='\u{1f3ff}' => {}
            '\u{200d}' if matches!(chars.peek(), Some('\u{2640}' | '\u{2642}')) => {
                chars.next();
            }
            c => out.push(c),
        }
    }
    out
}

/// How approvals and rejections are weighed at the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// More approvals than rejections.
    Majority,
    /// No rejection and at least one approval.
    Unanimous,
}

impl Rule {
    /// Config and display form.
    pub fn key(self) -> &'static str {
        match self {
            Rule::Majority => "majority",
            Rule::Unanimous => "unanimous",
        }
    }
}

/// The CAB settings from config.
#[derive(Debug, Clone, PartialEq)]
pub struct CabPolicy {
    /// Votes needed (abstentions included).
    pub quorum: u32,
    /// Votes needed for high-risk releases.
    pub quorum_high: u32,
    /// Majority or unanimous.
    pub rule: Rule,
    /// Roles whose ❌ rejects at once.
    pub veto_roles: Vec<Role>,
    /// How long a poll stays open.
    pub deadline: Duration,
    /// Approvals that decide early (0: never early).
    pub early_approval: u32,
    /// Quorum of an ECAB poll.
    pub emergency_quorum: u32,
    /// How long an ECAB poll stays open.
    pub emergency_deadline: Duration,
}

/// The rules one poll runs under, fixed when it opens and shown on it.
#[derive(Debug, Clone, PartialEq)]
pub struct PollRules {
    /// ECAB (emergency) or CAB.
    pub emergency: bool,
    /// The role whose reactions count.
    pub voting_role: Role,
    /// Votes needed.
    pub quorum: u32,
    /// Majority or unanimous.
    pub rule: Rule,
    /// Roles whose ❌ rejects at once.
    pub veto_roles: Vec<Role>,
    /// Approvals that decide early (0: never).
    pub early_approval: u32,
    /// How long the poll stays open.
    pub deadline: Duration,
}

impl CabPolicy {
    /// Risk raises the bar; emergencies go to the ECAB with their own quorum and deadline.
    pub fn rules_for(&self, emergency: bool, high_risk: bool) -> PollRules {
        let (voting_role, quorum, deadline) = if emergency {
            (Role::EcabMember, self.emergency_quorum, self.emergency_deadline)
        } else if high_risk {
            (Role::CabMember, self.quorum_high, self.deadline)
        } else {
            (Role::CabMember, self.quorum, self.deadline)
        };
        PollRules {
            emergency,
            voting_role,
            quorum,
            rule: self.rule,
            veto_roles: self.veto_roles.clone(),
            early_approval: early_threshold(self.early_approval, quorum),
            deadline,
        }
    }
}

/// The approvals that close a poll early: never fewer than the quorum that
/// applies, or a low `early_approval` would walk around `quorum_high` and
/// `emergency_quorum` (0 stays 0: never early).
pub fn early_threshold(early_approval: u32, quorum: u32) -> u32 {
    if early_approval == 0 {
        0
    } else {
        early_approval.max(quorum)
    }
}

/// Why a reaction does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ignored {
    /// The person does not hold the voting role.
    NotAVoter,
    /// The submitter or an RFC requester approving their own release.
    OwnRelease,
    /// ✅ and ❌ from the same person: neither counts until one goes.
    Conflicting,
    /// A member of a veto role who is not a voter: a ❌ vetoes, a ✅ or 🤷 is no vote.
    VetoOnly,
}

impl Ignored {
    /// Stored form.
    pub fn key(self) -> &'static str {
        match self {
            Ignored::NotAVoter => "not-a-voter",
            Ignored::OwnRelease => "own-release",
            Ignored::Conflicting => "both-approve-and-reject",
            Ignored::VetoOnly => "veto-only",
        }
    }
}

/// One person's reactions on the poll, with the roles they hold now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    /// Who.
    pub user: String,
    /// Their ITIL roles when the vote is counted.
    pub roles: Roles,
    /// The vote reactions they have on the message.
    pub votes: BTreeSet<Vote>,
}

/// The count of a poll.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Who approved (counted).
    pub approve: Vec<String>,
    /// Who rejected (counted).
    pub reject: Vec<String>,
    /// Who abstained (counted).
    pub abstain: Vec<String>,
    /// Reactions that do not count, and why.
    pub ignored: Vec<(String, Ignored)>,
    /// A veto-role member who rejected.
    pub veto: Option<String>,
    /// The veto role they rejected as (shown: "vetoed by carol, change manager").
    pub veto_role: Option<Role>,
}

impl Tally {
    /// Votes cast, abstentions included.
    pub fn cast(&self) -> u32 {
        (self.approve.len() + self.reject.len() + self.abstain.len()) as u32
    }
}

/// Counts the ballots. `own` holds the people who may not approve (the
/// submitter and the RFC requesters).
pub fn tally(ballots: &[Ballot], rules: &PollRules, own: &BTreeSet<String>) -> Tally {
    let mut by_user: BTreeMap<&str, &Ballot> = BTreeMap::new();
    for b in ballots {
        by_user.insert(&b.user, b);
    }
    let mut t = Tally::default();
    for (user, b) in by_user {
        if b.votes.is_empty() {
            continue;
        }
        let voter = b.roles.contains(&rules.voting_role);
        let veto_role = rules.veto_roles.iter().copied().find(|r| b.roles.contains(r));
        let user = user.to_string();
        if b.votes.contains(&Vote::Approve) && b.votes.contains(&Vote::Reject) {
            t.ignored.push((user, Ignored::Conflicting));
        } else if b.votes.contains(&Vote::Reject) && (voter || veto_role.is_some()) {
            if let (Some(role), None) = (veto_role, &t.veto) {
                t.veto = Some(user.clone());
                t.veto_role = Some(role);
            }
            // A veto is not a CAB vote: only a voter's ❌ is in the count.
            if voter {
                t.reject.push(user);
            }
        } else if !voter {
            let why = if veto_role.is_some() {
                Ignored::VetoOnly
            } else {
                Ignored::NotAVoter
            };
            t.ignored.push((user, why));
        } else if b.votes.contains(&Vote::Approve) {
            if own.contains(&user) {
                t.ignored.push((user, Ignored::OwnRelease));
            } else {
                t.approve.push(user);
            }
        } else if b.votes.contains(&Vote::Abstain) {
            t.abstain.push(user);
        }
    }
    t
}

/// How a poll ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The CAB approved.
    Approved {
        /// Decided before the deadline by `early_approval`.
        early: bool,
    },
    /// The CAB rejected.
    Rejected {
        /// The veto-role member whose ❌ decided it early.
        veto: Option<String>,
    },
    /// Fewer votes than the quorum at the deadline.
    Expired,
}

/// Decides the poll, or leaves it open (`None`) before the deadline.
pub fn decide(t: &Tally, rules: &PollRules, deadline_passed: bool) -> Option<Outcome> {
    if let Some(v) = &t.veto {
        return Some(Outcome::Rejected {
            veto: Some(v.clone()),
        });
    }
    // Polls stored before the threshold was clamped are held to it too.
    let early = early_threshold(rules.early_approval, rules.quorum);
    if early > 0 && t.approve.len() as u32 >= early && t.reject.is_empty() {
        return Some(Outcome::Approved {
            early: !deadline_passed,
        });
    }
    if !deadline_passed {
        return None;
    }
    if t.cast() < rules.quorum {
        return Some(Outcome::Expired);
    }
    let approved = match rules.rule {
        Rule::Majority => t.approve.len() > t.reject.len(),
        Rule::Unanimous => t.reject.is_empty() && !t.approve.is_empty(),
    };
    Some(if approved {
        Outcome::Approved { early: false }
    } else {
        Outcome::Rejected { veto: None }
    })
}

/// How often an open poll is recounted from the platform: a reaction
/// event lost, or a stale one replayed, is corrected within this.
pub const RECOUNT_EVERY: Duration = Duration::minutes(3);

/// When an open poll is next recounted: the first multiple of `every`
/// (counted from the epoch) after `now`, so recounts scheduled from
/// different starts (submission, reconnects) fall on the same instants and
/// one job each; None when the deadline's own count comes first.
pub fn next_recount(
    now: chrono::DateTime<chrono::Utc>,
    deadline: chrono::DateTime<chrono::Utc>,
    every: Duration,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let step = every.num_milliseconds();
    if step <= 0 {
        return None;
    }
    let slot = now.timestamp_millis().div_euclid(step).checked_add(1)?;
    let due = chrono::DateTime::from_timestamp_millis(slot.checked_mul(step)?)?;
    (due < deadline).then_some(due)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_next_recount_falls_on_the_grid_after_now_and_before_the_deadline() {
        let t = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        let deadline = t("2026-12-03T09:00:00Z");
        let every = Duration::minutes(3);
        assert_eq!(
            next_recount(t("2026-12-01T09:00:00Z"), deadline, every),
            Some(t("2026-12-01T09:03:00Z")),
            "strictly after now, on the grid"
        );
        assert_eq!(
            next_recount(t("2026-12-01T09:01:59Z"), deadline, every),
            Some(t("2026-12-01T09:03:00Z")),
            "two starts in one slot share a recount"
        );
        assert_eq!(next_recount(t("2026-12-03T08:57:00Z"), deadline, every), None);
        assert_eq!(
            next_recount(t("2026-12-03T08:56:59Z"), deadline, every),
            Some(t("2026-12-03T08:57:00Z"))
        );
        assert_eq!(
            next_recount(t("2026-12-01T09:00:00Z"), deadline, Duration::zero()),
            None
        );
    }

    use super::*;
    use proptest::prelude::*;

    fn policy() -> CabPolicy {
        CabPolicy {
            quorum: 3,
            quorum_high: 5,
            rule: Rule::Majority,
            veto_roles: vec![Role::ChangeManager],
            deadline: Duration::hours(48),
            early_approval: 0,
            emergency_quorum: 2,
            emergency_deadline: Duration::hours(4),
        }
    }

    fn ballot(user: &str, roles: &[Role], votes: &[Vote]) -> Ballot {
        Ballot {
            user: user.into(),
            roles: roles.iter().copied().collect(),
            votes: votes.iter().copied().collect(),
        }
    }

    fn cab(user: &str, votes: &[Vote]) -> Ballot {
        ballot(user, &[Role::CabMember], votes)
    }

    use Vote::{Abstain as A, Approve as Y, Reject as N};

    #[test]
    fn rules_follow_risk_and_emergency() {
        let p = policy();
        let normal = p.rules_for(false, false);
        assert_eq!(
            (normal.voting_role, normal.quorum, normal.deadline),
            (Role::CabMember, 3, Duration::hours(48))
        );
        assert_eq!(p.rules_for(false, true).quorum, 5);
        let e = p.rules_for(true, true);
        assert_eq!(
            (e.voting_role, e.quorum, e.deadline),
            (Role::EcabMember, 2, Duration::hours(4))
        );
    }

    #[test]
    fn quorum_counts_abstentions_and_expires_below_it() {
        let r = policy().rules_for(false, false);
        let t = tally(&[cab("a", &[Y]), cab("b", &[A])], &r, &BTreeSet::new());
        assert_eq!(t.cast(), 2);
        assert_eq!(decide(&t, &r, false), None);
        assert_eq!(decide(&t, &r, true), Some(Outcome::Expired));
        let t = tally(
            &[cab("a", &[Y]), cab("b", &[A]), cab("c", &[A])],
            &r,
            &BTreeSet::new(),
        );
        assert_eq!(decide(&t, &r, true), Some(Outcome::Approved { early: false }));
    }

    #[test]
    fn high_risk_needs_the_higher_quorum() {
        let r = policy().rules_for(false, true);
        let three = [cab("a", &[Y]), cab("b", &[Y]), cab("c", &[Y])];
        assert_eq!(
            decide(&tally(&three, &r, &BTreeSet::new()), &r, true),
            Some(Outcome::Expired)
        );
    }

    #[test]
    fn emergency_polls_count_only_ecab_members() {
        let r = policy().rules_for(true, false);
        let t = tally(
            &[
                cab("a", &[Y]),
                ballot("e1", &[Role::EcabMember], &[Y]),
                ballot("e2", &[Role::EcabMember], &[Y]),
            ],
            &r,
            &BTreeSet::new(),
        );
        assert_eq!(t.ignored, vec![("a".to_string(), Ignored::NotAVoter)]);
        assert_eq!(decide(&t, &r, true), Some(Outcome::Approved { early: false }));
    }

    #[test]
    fn majority_versus_unanimous() {
        let mut r = policy().rules_for(false, false);
        let ballots = [cab("a", &[Y]), cab("b", &[Y]), cab("c", &[N])];
        let t = tally(&ballots, &r, &BTreeSet::new());
        assert_eq!(decide(&t, &r, true), Some(Outcome::Approved { early: false }));
        r.rule = Rule::Unanimous;
        assert_eq!(decide(&t, &r, true), Some(Outcome::Rejected { veto: None }));
        let tie = tally(
            &[cab("a", &[Y]), cab("b", &[N]), cab("c", &[A])],
            &policy().rules_for(false, false),
            &BTreeSet::new(),
        );
        assert_eq!(
            decide(&tie, &policy().rules_for(false, false), true),
            Some(Outcome::Rejected { veto: None })
        );
        let abstained = tally(
            &[cab("a", &[A]), cab("b", &[A]), cab("c", &[A])],
            &r,
            &BTreeSet::new(),
        );
        assert_eq!(
            decide(&abstained, &r, true),
            Some(Outcome::Rejected { veto: None })
        );
    }

    #[test]
    fn a_veto_rejects_at_once() {
        let r = policy().rules_for(false, false);
        let t = tally(
            &[cab("a", &[Y]), ballot("cm", &[Role::ChangeManager], &[N])],
            &r,
            &BTreeSet::new(),
        );
        assert_eq!(t.veto.as_deref(), Some("cm"));
        assert_eq!(
            decide(&t, &r, false),
            Some(Outcome::Rejected {
                veto: Some("cm".into())
            })
        );
    }

    #[test]
    fn early_approval_needs_no_rejection() {
        let mut r = policy().rules_for(false, false);
        r.early_approval = 3;
        let t = tally(
            &[cab("a", &[Y]), cab("b", &[Y]), cab("c", &[Y])],
            &r,
            &BTreeSet::new(),
        );
        assert_eq!(decide(&t, &r, false), Some(Outcome::Approved { early: true }));
        let t = tally(
            &[cab("a", &[Y]), cab("b", &[Y]), cab("c", &[Y]), cab("d", &[N])],
            &r,
            &BTreeSet::new(),
        );
        assert_eq!(decide(&t, &r, false), None);
    }

    #[test]
    fn early_approval_never_goes_below_the_quorum_that_applies() {
        let mut p = policy();
        p.early_approval = 1;
        let high = p.rules_for(false, true);
        assert_eq!(high.early_approval, 5);
        let four: Vec<Ballot> = (0..4).map(|i| cab(&format!("c{i}"), &[Y])).collect();
        assert_eq!(decide(&tally(&four, &high, &BTreeSet::new()), &high, false), None);
        let five: Vec<Ballot> = (0..5).map(|i| cab(&format!("c{i}"), &[Y])).collect();
        assert_eq!(
            decide(&tally(&five, &high, &BTreeSet::new()), &high, false),
            Some(Outcome::Approved { early: true })
        );
        let emergency = p.rules_for(true, true);
        assert_eq!(emergency.early_approval, 2);
        assert_eq!(p.rules_for(false, false).early_approval, 3);
        // A higher setting stays as it is; 0 stays "never early".
        p.early_approval = 7;
        assert_eq!(p.rules_for(false, true).early_approval, 7);
        p.early_approval = 0;
        assert_eq!(p.rules_for(false, true).early_approval, 0);
        // Rules stored with a low threshold are held to the quorum as well.
        let mut stored = high.clone();
        stored.early_approval = 1;
        let one = [cab("a", &[Y])];
        assert_eq!(
            decide(&tally(&one, &stored, &BTreeSet::new()), &stored, false),
            None
        );
    }

    #[test]
    fn a_veto_by_a_non_voter_is_a_veto_not_a_cab_vote() {
        let r = policy().rules_for(false, false);
        let carol = ballot("carol", &[Role::ChangeManager], &[N]);
        let t = tally(&[cab("a", &[Y]), carol], &r, &BTreeSet::new());
        assert_eq!(t.reject, Vec::<String>::new());
        assert_eq!(
            (t.veto.as_deref(), t.veto_role),
            (Some("carol"), Some(Role::ChangeManager))
        );
        assert_eq!(t.cast(), 1);
        // Her ✅ or 🤷 is no vote, and says why.
        for v in [Y, A] {
            let t = tally(
                &[ballot("carol", &[Role::ChangeManager], &[v])],
                &r,
                &BTreeSet::new(),
            );
            assert_eq!(t.ignored, vec![("carol".to_string(), Ignored::VetoOnly)]);
            assert_eq!(t.cast(), 0);
        }
        // A change manager who is also on the CAB: her ❌ counts and vetoes.
        let both = ballot("dora", &[Role::ChangeManager, Role::CabMember], &[N]);
        let t = tally(&[both], &r, &BTreeSet::new());
        assert_eq!(t.reject, vec!["dora".to_string()]);
        assert_eq!(t.veto.as_deref(), Some("dora"));
    }

    #[test]
    fn own_release_approvals_non_voters_and_conflicts_are_ignored() {
        let r = policy().rules_for(false, false);
        let own: BTreeSet<String> = ["rm".to_string()].into();
        let t = tally(
            &[
                cab("rm", &[Y]),
                ballot("x", &[], &[Y]),
                cab("both", &[Y, N]),
                cab("ok", &[Y]),
                cab("rm2", &[]),
            ],
            &r,
            &own,
        );
        assert_eq!(t.approve, vec!["ok".to_string()]);
        assert_eq!(
            t.ignored,
            vec![
                ("both".to_string(), Ignored::Conflicting),
                ("rm".to_string(), Ignored::OwnRelease),
                ("x".to_string(), Ignored::NotAVoter)
            ]
        );
        // The submitter may still reject or abstain.
        let t = tally(&[cab("rm", &[N])], &r, &own);
        assert_eq!(t.reject, vec!["rm".to_string()]);
    }

    #[test]
    fn a_removed_reaction_is_no_longer_a_vote() {
        let r = policy().rules_for(false, false);
        let before = tally(&[cab("a", &[Y, N])], &r, &BTreeSet::new());
        assert_eq!(before.cast(), 0);
        let after = tally(&[cab("a", &[Y])], &r, &BTreeSet::new());
        assert_eq!(after.approve, vec!["a".to_string()]);
    }

    #[test]
    fn emoji_round_trip() {
        for v in Vote::ALL {
            assert_eq!(Vote::from_emoji(v.emoji()), Some(v));
            assert_eq!(Vote::from_key(v.key()), Some(v));
        }
        assert_eq!(Vote::from_emoji("✅\u{fe0f}"), Some(Vote::Approve));
        assert_eq!(Vote::from_emoji("👍"), None);
    }

    #[test]
    fn skin_tones_and_genders_are_the_base_vote_and_look_alikes_are_none() {
        for shrug in [
            "🤷🏽",
            "🤷🏻",
            "🤷🏿",
            "🤷\u{200d}\u{2642}\u{fe0f}",
            "🤷🏾\u{200d}\u{2640}\u{fe0f}",
            "🤷\u{200d}\u{2640}",
        ] {
            assert_eq!(Vote::from_emoji(shrug), Some(Vote::Abstain), "{shrug:?}");
        }
        for not_a_vote in ["✔️", "✔", "☑️", "☑", "👍🏽", "🙆\u{200d}\u{2642}\u{fe0f}", "❎", ""]
        {
            assert_eq!(Vote::from_emoji(not_a_vote), None, "{not_a_vote:?}");
        }
        // Other joined sequences are not folded into their first emoji.
        assert_eq!(base_emoji("🤷\u{200d}🔥"), "🤷\u{200d}🔥");
        assert_eq!(Vote::from_emoji("🤷\u{200d}🔥"), None);
    }

    proptest! {
        #[test]
        fn each_person_counts_at_most_once(votes in proptest::collection::vec((0u8..6, proptest::collection::btree_set(0u8..3, 0..3), any::<bool>()), 0..20)) {
            let r = policy().rules_for(false, false);
            let ballots: Vec<Ballot> = votes.iter().map(|(u, vs, voter)| ballot(
                &format!("u{u}"),
                if *voter { &[Role::CabMember] } else { &[] },
                &vs.iter().map(|v| Vote::ALL[*v as usize]).collect::<Vec<_>>(),
            )).collect();
            let t = tally(&ballots, &r, &BTreeSet::new());
            prop_assert!(t.veto.is_none() || t.veto_role.is_some());
            let mut seen = BTreeSet::new();
            for u in t.approve.iter().chain(&t.reject).chain(&t.abstain).chain(t.ignored.iter().map(|(u, _)| u)) {
                prop_assert!(seen.insert(u.clone()), "{} counted twice", u);
            }
            prop_assert!(t.cast() <= 6);
        }

        #[test]
        fn no_poll_is_approved_below_its_quorum(
            votes in proptest::collection::vec((0u8..8, 0u8..3, 0u8..4), 0..24),
            early in 0u32..8,
            emergency: bool,
            high: bool,
            passed: bool,
        ) {
            let mut p = policy();
            p.early_approval = early;
            let r = p.rules_for(emergency, high);
            let role_sets: [&[Role]; 4] = [&[Role::CabMember], &[Role::EcabMember], &[Role::ChangeManager], &[]];
            let ballots: Vec<Ballot> = votes.iter().map(|(u, v, roles)| ballot(
                &format!("u{u}"), role_sets[*roles as usize], &[Vote::ALL[*v as usize]],
            )).collect();
            let t = tally(&ballots, &r, &BTreeSet::new());
            match decide(&t, &r, passed) {
                Some(Outcome::Approved { early: true }) => prop_assert!(t.approve.len() as u32 >= r.quorum),
                Some(Outcome::Approved { early: false }) => prop_assert!(t.cast() >= r.quorum),
                _ => {}
            }
        }
    }
}
