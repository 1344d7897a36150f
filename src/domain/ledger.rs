//! The vote ledger read as ballots: reactions added and removed, and the
//! votes given with `/release vote` that still stand over them; who may
//! not approve, whether a vote counted, and the events that bring the ledger
//! to the platform's count.

use crate::domain::poll::{Poll, VoteAction, VoteEvent};
use crate::domain::records::Rfc;
use crate::domain::roles::Roles;
use crate::domain::tally::Tally;
use crate::domain::tally::{Ballot, Vote};
use crate::domain::workflow::{standing_command_votes, with_command_votes, Mark};
use std::collections::{BTreeMap, BTreeSet};

/// The ballots as the ledger leaves them: reactions added and removed,
/// replaced by the votes given as commands that still stand.
pub fn ballots_from_ledger(ledger: &[VoteEvent]) -> (Vec<Ballot>, BTreeMap<String, String>) {
    let (reactions, names) = reaction_ballots(ledger);
    (with_command_votes(reactions, &standing(ledger)), names)
}

/// The standing command votes of a ledger (see [`standing_command_votes`]).
pub fn standing(ledger: &[VoteEvent]) -> BTreeMap<String, (Vote, Roles)> {
    let marks: Vec<Mark> = ledger
        .iter()
        .map(|e| Mark {
            user: e.user.clone(),
            roles: e.roles.clone(),
            vote: e.vote,
            kind: e.action,
        })
        .collect();
    standing_command_votes(&marks)
}

/// The ballots the ledger's reaction events alone leave.
pub fn reaction_ballots(ledger: &[VoteEvent]) -> (Vec<Ballot>, BTreeMap<String, String>) {
    let mut by_user: BTreeMap<String, Ballot> = BTreeMap::new();
    let mut names = BTreeMap::new();
    for e in ledger.iter().filter(|e| e.action != VoteAction::Count) {
        names.insert(e.user.clone(), e.user_name.clone());
        if e.action == VoteAction::Command {
            continue;
        }
        let b = by_user.entry(e.user.clone()).or_insert_with(|| Ballot {
            user: e.user.clone(),
            roles: Roles::new(),
            votes: BTreeSet::new(),
        });
        b.roles = e.roles.clone();
        if e.action == VoteAction::Add {
            b.votes.insert(e.vote);
        } else {
            b.votes.remove(&e.vote);
        }
    }
    (by_user.into_values().collect(), names)
}

/// The reasons given with the command votes that still stand: (name, vote, reason).
pub fn reasons(ledger: &[VoteEvent]) -> Vec<(String, Vote, String)> {
    let standing = standing(ledger);
    standing
        .iter()
        .filter_map(|(user, (vote, _))| {
            let e = ledger
                .iter()
                .rev()
                .find(|e| &e.user == user && e.action == VoteAction::Command)?;
            (e.vote == *vote).then(|| e.note.clone().map(|n| (e.user_name.clone(), *vote, n)))?
        })
        .collect()
}

/// People who may not approve: the submitter and the RFC requesters.
pub fn own(poll: &Poll, rfcs: &[Rfc]) -> BTreeSet<String> {
    let mut s: BTreeSet<String> = rfcs.iter().map(|r| r.requester.clone()).collect();
    s.insert(poll.submitter.clone());
    s
}

/// Whether `user`'s vote counted in `t`, and the reason it did not (or `veto`).
pub fn status_of(t: &Tally, user: &str) -> (bool, Option<String>) {
    if let Some((_, why)) = t.ignored.iter().find(|(u, _)| u == user) {
        return (false, Some(why.key().to_string()));
    }
    let counted = t
        .approve
        .iter()
        .chain(&t.reject)
        .chain(&t.abstain)
        .any(|u| u == user);
    // A veto by someone who is not a voter decides the poll without being a vote.
    let veto = (!counted && t.veto.as_deref() == Some(user)).then(|| "veto".to_string());
    (counted, veto)
}

/// The reactions on a poll message as the platform reports them when counted.
#[derive(Debug, Clone, Default)]
pub struct Count {
    /// One ballot per person.
    pub ballots: Vec<Ballot>,
    /// Names by user id.
    pub names: BTreeMap<String, String>,
}

/// The add and remove events that take the ledger's ballots (`recorded`) to
/// the platform's (`count`), each marked counted or not by `t`.
pub fn catch_up(
    recorded: &[Ballot],
    count: &Count,
    t: &Tally,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<VoteEvent> {
    let none = BTreeSet::new();
    let votes_in = |ballots: &[Ballot], user: &str| {
        ballots
            .iter()
            .find(|b| b.user == user)
            .map(|b| b.votes.clone())
            .unwrap_or_else(|| none.clone())
    };
    let name = |b: &Ballot| {
        count
            .names
            .get(&b.user)
            .cloned()
            .unwrap_or_else(|| b.user.clone())
    };
    let mut events = Vec::new();
    for b in &count.ballots {
        let (counted, reason) = status_of(t, &b.user);
        for v in b.votes.difference(&votes_in(recorded, &b.user)) {
            events.push(VoteEvent {
                user: b.user.clone(),
                user_name: name(b),
                roles: b.roles.clone(),
                vote: *v,
                action: VoteAction::Add,
                at: now,
                counted,
                reason: reason.clone(),
                note: None,
            });
        }
    }
    for b in recorded {
        for v in b.votes.difference(&votes_in(&count.ballots, &b.user)) {
            events.push(VoteEvent {
                user: b.user.clone(),
                user_name: name(b),
                roles: b.roles.clone(),
                vote: *v,
                action: VoteAction::Remove,
                at: now,
                counted: false,
                reason: Some("removed".into()),
                note: None,
            });
        }
    }
    events
}
