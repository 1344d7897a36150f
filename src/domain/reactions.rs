//! Reactions on a poll that are not votes: which still stand, per person.

/// One reaction added to or removed from a poll, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    /// Who reacted (platform user id).
    pub user: String,
    /// Their name.
    pub name: String,
    /// The emoji, as the platform gave it.
    pub emoji: String,
    /// Added (true) or removed.
    pub added: bool,
}

/// The reactions that still stand after replaying `events` in order, one
/// entry per person (in the order they first reacted) with their emoji in
/// the order added; a removal takes back only its own emoji.
pub fn standing(events: &[Reaction]) -> Vec<(String, Vec<String>)> {
    let mut people: Vec<(String, String, Vec<String>)> = Vec::new();
    for e in events {
        let i = match people.iter().position(|(u, _, _)| *u == e.user) {
            Some(i) => i,
            None => {
                people.push((e.user.clone(), e.name.clone(), Vec::new()));
                people.len() - 1
            }
        };
        let emoji = &mut people[i].2;
        emoji.retain(|x| *x != e.emoji);
        if e.added {
            emoji.push(e.emoji.clone());
        }
    }
    people
        .into_iter()
        .filter(|(_, _, e)| !e.is_empty())
        .map(|(_, name, e)| (name, e))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(user: &str, emoji: &str, added: bool) -> Reaction {
        Reaction {
            user: user.into(),
            name: user.to_uppercase(),
            emoji: emoji.into(),
            added,
        }
    }

    #[test]
    fn removals_take_back_only_their_own_emoji() {
        let events = [
            r("dan", "✔️", true),
            r("erin", "🎉", true),
            r("dan", "🎉", true),
            r("dan", "✔️", false),
            r("erin", "🎉", false),
            r("fay", "☑️", true),
            r("fay", "☑️", true),
        ];
        assert_eq!(
            standing(&events),
            vec![
                ("DAN".to_string(), vec!["🎉".to_string()]),
                ("FAY".to_string(), vec!["☑️".to_string()]),
            ]
        );
        assert!(standing(&[r("dan", "🎉", true), r("dan", "🎉", false)]).is_empty());
    }
}
