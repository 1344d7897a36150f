//! The satisfaction survey's rule for a recount: which answer a person's
//! reactions stand for.

use std::collections::BTreeSet;

/// The survey's answers, score 1 to 5.
pub const EMOJI: [&str; 5] = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣"];

/// The score an emoji answers (variation selectors ignored), if any.
pub fn score(emoji: &str) -> Option<u8> {
    let norm = |s: &str| s.replace('\u{fe0f}', "");
    EMOJI
        .iter()
        .position(|s| norm(s) == norm(emoji))
        .map(|i| i as u8 + 1)
}

/// What a bot message is for, which decides where a reaction on it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// A CAB poll.
    Poll,
    /// The satisfaction survey of the release with this row.
    Survey(i64),
    /// Anything else (notices, announcements): reactions are not read.
    Other(String),
}

impl Purpose {
    /// Stored form.
    pub fn key(&self) -> String {
        match self {
            Purpose::Poll => "poll".into(),
            Purpose::Survey(release) => format!("survey:{release}"),
            Purpose::Other(k) => k.clone(),
        }
    }

    /// From the stored form.
    pub fn parse(key: &str) -> Purpose {
        if key == "poll" {
            return Purpose::Poll;
        }
        match key.strip_prefix("survey:").and_then(|r| r.parse().ok()) {
            Some(release) => Purpose::Survey(release),
            None => Purpose::Other(key.into()),
        }
    }
}

/// The answer after a recount, from the one `stored` and the scores the
/// person reacts with now: the stored one while they still react with it,
/// else the highest they react with, else none.
pub fn recounted(stored: Option<u8>, reacted: Option<&BTreeSet<u8>>) -> Option<u8> {
    match (stored, reacted) {
        (Some(s), Some(scores)) if scores.contains(&s) => Some(s),
        (_, Some(scores)) => scores.iter().max().copied(),
        (_, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_answer_scores_one_to_five_only() {
        assert_eq!(score("1️⃣"), Some(1));
        assert_eq!(score("5\u{20e3}"), Some(5));
        assert_eq!(score("✅"), None);
        assert_eq!(EMOJI.map(|e| score(e).unwrap()), [1, 2, 3, 4, 5]);
    }

    #[test]
    fn purposes_round_trip_and_unknown_keys_stay_other() {
        for p in [Purpose::Poll, Purpose::Survey(7), Purpose::Other("notice".into())] {
            assert_eq!(Purpose::parse(&p.key()), p);
        }
        assert_eq!(Purpose::parse("survey:x"), Purpose::Other("survey:x".into()));
    }

    #[test]
    fn a_reacted_answer_stays_else_the_highest_else_none() {
        let set = |s: &[u8]| s.iter().copied().collect::<BTreeSet<u8>>();
        assert_eq!(recounted(Some(4), Some(&set(&[2, 4]))), Some(4));
        assert_eq!(recounted(Some(5), Some(&set(&[2, 4]))), Some(4));
        assert_eq!(recounted(None, Some(&set(&[3, 1]))), Some(3));
        assert_eq!(recounted(Some(1), None), None);
        assert_eq!(recounted(None, Some(&set(&[]))), None);
    }
}
