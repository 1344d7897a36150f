//! Durations (`90m`, `4h`, `2d`) and times (RFC 3339, or a date meaning
//! midnight in the calendar's time zone) as users type them.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// Parses `90m`, `4h`, `2d`, `30s`, or a sum such as `1d12h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("a duration such as 90m, 4h or 2d".into());
    }
    let mut total = Duration::zero();
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits
            .parse()
            .ok()
            .filter(|n| *n <= 100_000)
            .ok_or_else(|| "a duration such as 90m, 4h or 2d".to_string())?;
        digits.clear();
        let part = match c {
            's' => Duration::seconds(n),
            'm' => Duration::minutes(n),
            'h' => Duration::hours(n),
            'd' => Duration::days(n),
            'w' => Duration::weeks(n),
            _ => return Err("a duration such as 90m, 4h or 2d (units s, m, h, d, w)".into()),
        };
        // Many parts could add up past what a Duration holds.
        total = total
            .checked_add(&part)
            .ok_or_else(|| "a shorter duration".to_string())?;
    }
    if !digits.is_empty() {
        return Err("a duration with a unit, such as 90m, 4h or 2d".into());
    }
    Ok(total)
}

/// Writes a duration the way users type it (`2d`, `4h`, `90m`).
pub fn format_duration(d: Duration) -> String {
    let secs = d.num_seconds();
    if secs != 0 && secs % 86_400 == 0 {
        format!("{}d", secs / 86_400)
    } else if secs != 0 && secs % 3_600 == 0 {
        format!("{}h", secs / 3_600)
    } else if secs % 60 == 0 {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

/// Parses an RFC 3339 time, or a date meaning midnight in `tz`.
pub fn parse_time(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| "an RFC 3339 time (2026-12-03T22:00:00Z) or a date (2026-12-03)".to_string())?;
    local_midnight(date, tz)
}

/// Parses a date (`2026-12-03`).
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| "a date such as 2026-12-03".to_string())
}

/// Midnight of `date` in `tz` (the first instant of that day where midnight
/// does not exist because of a DST change).
pub fn local_midnight(date: NaiveDate, tz: Tz) -> Result<DateTime<Utc>, String> {
    let mut t = date.and_hms_opt(0, 0, 0).ok_or("a valid date")?;
    for _ in 0..4 {
        if let Some(local) = tz.from_local_datetime(&t).earliest() {
            return Ok(local.with_timezone(&Utc));
        }
        t += Duration::minutes(30);
    }
    Err("a date that exists in the calendar's time zone".into())
}

/// A time as shown to users: `Thu 3 Dec 09:00` in the calendar's zone.
pub fn show_time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%a %-d %b %Y %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("4h"), Ok(Duration::hours(4)));
        assert_eq!(parse_duration("2d"), Ok(Duration::days(2)));
        assert_eq!(parse_duration("1d12h"), Ok(Duration::hours(36)));
        assert!(parse_duration("4").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("4x").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
        // Each part within its limit, the sum past what a Duration holds: refused, no panic.
        assert!(parse_duration(&"100000w".repeat(200_000)).is_err());
        assert_eq!(parse_duration(&"1d".repeat(3)), Ok(Duration::days(3)));
        assert_eq!(format_duration(Duration::hours(48)), "2d");
        assert_eq!(format_duration(Duration::minutes(90)), "90m");
    }

    #[test]
    fn times_in_a_zone() {
        let tz: Tz = "Europe/London".parse().unwrap();
        assert_eq!(
            parse_time("2026-12-03T22:00:00Z", tz).unwrap().to_rfc3339(),
            "2026-12-03T22:00:00+00:00"
        );
        // Midnight in London in summer is 23:00 UTC the day before.
        assert_eq!(
            parse_time("2026-07-01", tz).unwrap().to_rfc3339(),
            "2026-06-30T23:00:00+00:00"
        );
        assert!(parse_time("tomorrow", tz).is_err());
        assert!(parse_time("2026-13-01", tz).is_err());
    }
}
