//! The satisfaction survey's rule for a recount: which answer a person's
//! reactions stand for.

use std::collections::BTreeSet;

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
    fn a_reacted_answer_stays_else_the_highest_else_none() {
        let set = |s: &[u8]| s.iter().copied().collect::<BTreeSet<u8>>();
        assert_eq!(recounted(Some(4), Some(&set(&[2, 4]))), Some(4));
        assert_eq!(recounted(Some(5), Some(&set(&[2, 4]))), Some(4));
        assert_eq!(recounted(None, Some(&set(&[3, 1]))), Some(3));
        assert_eq!(recounted(Some(1), None), None);
        assert_eq!(recounted(None, Some(&set(&[]))), None);
    }
}
