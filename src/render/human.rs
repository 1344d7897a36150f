//! Figures as people read them: counts with the right noun, rates as
//! percentages, hours as durations, labelled severities.

use std::collections::BTreeMap;

/// `1 item`, `2 items`, `0 items`.
pub fn count(n: impl Into<i64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A share 0–1 as a whole percentage: `0.333` → `33 %`.
pub fn percent(share: f64) -> String {
    format!("{} %", (share * 100.0).round() as i64)
}

/// A number of hours as a duration: `45 min`, `3 h 30 min`, `2 d 13 h`.
/// The sign is the caller's: a duration is never negative, so `-0 h` cannot appear.
pub fn hours(h: f64) -> String {
    let minutes = (h.abs() * 60.0).round() as i64;
    let (d, hr, min) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    match (d, hr, min) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        // Past two days the minutes are noise.
        (d, h, _) if d >= 2 => {
            if h == 0 {
                format!("{d} d")
            } else {
                format!("{d} d {h} h")
            }
        }
        (_, _, _) => {
            let h = minutes / 60;
            if min == 0 {
                format!("{h} h")
            } else {
                format!("{h} h {min} min")
            }
        }
    }
}

/// A number without a needless fraction: `3`, `0.23`.
pub fn number(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

/// `configuration: 1 · code: 2`, or `none`.
pub fn tally(map: &BTreeMap<String, i64>) -> String {
    labelled(map, "")
}

/// `sev 1: 1 · sev 2: 1 · sev 4: 1`, or `none`.
pub fn severities(map: &BTreeMap<String, i64>) -> String {
    labelled(map, "sev ")
}

fn labelled(map: &BTreeMap<String, i64>, prefix: &str) -> String {
    if map.values().all(|v| *v == 0) {
        return "none".into();
    }
    map.iter()
        .filter(|(_, v)| **v != 0)
        .map(|(k, v)| format!("{prefix}{k}: {v}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A period's days as people read them: `1 Dec 2026 – 31 Dec 2026`.
pub fn period(from: chrono::NaiveDate, to: chrono::NaiveDate) -> String {
    format!("{} – {}", from.format("%-d %b %Y"), to.format("%-d %b %Y"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_the_right_noun() {
        assert_eq!(count(1, "item", "items"), "1 item");
        assert_eq!(count(0, "item", "items"), "0 items");
        assert_eq!(count(3, "response", "responses"), "3 responses");
    }

    #[test]
    fn shares_are_whole_percentages() {
        assert_eq!(percent(0.333), "33 %");
        assert_eq!(percent(0.667), "67 %");
        assert_eq!(percent(1.0), "100 %");
        assert_eq!(percent(0.0), "0 %");
    }

    #[test]
    fn hours_read_as_durations() {
        assert_eq!(hours(0.0), "0 min");
        assert_eq!(hours(-0.0001), "0 min");
        assert_eq!(hours(0.75), "45 min");
        assert_eq!(hours(3.5), "3 h 30 min");
        assert_eq!(hours(-2.5), "2 h 30 min");
        assert_eq!(hours(4.0), "4 h");
        assert_eq!(hours(30.25), "30 h 15 min");
        assert_eq!(hours(61.0), "2 d 13 h");
        assert_eq!(hours(72.0), "3 d");
    }

    #[test]
    fn numbers_drop_needless_fractions() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.226), "0.23");
        assert_eq!(number(-1.5), "-1.5");
    }

    #[test]
    fn severities_and_tallies_are_labelled() {
        let m: BTreeMap<String, i64> = [("1", 1), ("2", 1), ("4", 1)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(severities(&m), "sev 1: 1 · sev 2: 1 · sev 4: 1");
        assert_eq!(severities(&BTreeMap::new()), "none");
        let d: BTreeMap<String, i64> = [("code".to_string(), 2)].into_iter().collect();
        assert_eq!(tally(&d), "code: 2");
    }
}
