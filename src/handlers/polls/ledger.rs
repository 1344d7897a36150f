//! The vote ledger read as ballots: reactions added and removed, and the
//! votes given with `/release vote` that still stand over them.

use crate::db::polls::VoteEvent;
use crate::domain::roles::Roles;
use crate::domain::tally::{Ballot, Vote};
use crate::domain::workflow::{standing_command_votes, with_command_votes, Mark, MarkKind};
use std::collections::{BTreeMap, BTreeSet};

/// The ballots as the ledger leaves them: reactions added and removed,
/// replaced by the votes given as commands that still stand.
pub(in crate::handlers) fn ballots_from_ledger(
    ledger: &[VoteEvent],
) -> (Vec<Ballot>, BTreeMap<String, String>) {
    let (reactions, names) = reaction_ballots(ledger);
    (with_command_votes(reactions, &standing(ledger)), names)
}

/// The standing command votes of a ledger (see [`standing_command_votes`]).
pub(super) fn standing(ledger: &[VoteEvent]) -> BTreeMap<String, (Vote, Roles)> {
    let marks: Vec<Mark> = ledger
        .iter()
        .map(|e| {
            let kind = match e.action.as_str() {
                "add" => MarkKind::Add,
                "remove" => MarkKind::Remove,
                "command" => MarkKind::Command,
                _ => MarkKind::Count,
            };
            Mark {
                user: e.user.clone(),
                roles: e.roles.clone(),
                vote: e.vote,
                kind,
            }
        })
        .collect();
    standing_command_votes(&marks)
}

/// The ballots the ledger's reaction events alone leave.
pub(super) fn reaction_ballots(ledger: &[VoteEvent]) -> (Vec<Ballot>, BTreeMap<String, String>) {
    let mut by_user: BTreeMap<String, Ballot> = BTreeMap::new();
    let mut names = BTreeMap::new();
    for e in ledger.iter().filter(|e| e.action != "count") {
        names.insert(e.user.clone(), e.user_name.clone());
        if e.action == "command" {
            continue;
        }
        let b = by_user.entry(e.user.clone()).or_insert_with(|| Ballot {
            user: e.user.clone(),
            roles: Roles::new(),
            votes: BTreeSet::new(),
        });
        b.roles = e.roles.clone();
        if e.action == "add" {
            b.votes.insert(e.vote);
        } else {
            b.votes.remove(&e.vote);
        }
    }
    (by_user.into_values().collect(), names)
}

/// The reasons given with the command votes that still stand: (name, vote, reason).
pub(super) fn reasons(ledger: &[VoteEvent]) -> Vec<(String, Vote, String)> {
    let standing = standing(ledger);
    standing
        .iter()
        .filter_map(|(user, (vote, _))| {
            let e = ledger
                .iter()
                .rev()
                .find(|e| &e.user == user && e.action == "command")?;
            (e.vote == *vote).then(|| e.note.clone().map(|n| (e.user_name.clone(), *vote, n)))?
        })
        .collect()
}
