//! Durations (`90m`, `4h`, `2d`) and times (RFC 3339, or a date meaning
//! midnight in the calendar's time zone) as users type them.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
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

/// Parses a time as people type it: RFC 3339 (`2026-12-03T22:30:00Z`), a
/// wall-clock time in `tz` (`2026-12-03T22:30`, `2026-12-03 22:30`, with or
/// without seconds), or a date meaning midnight in `tz`.
pub fn parse_time(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let wall = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok());
    if let Some(wall) = wall {
        // In the autumn hour that happens twice, the first one: a booking is never late.
        return tz
            .from_local_datetime(&wall)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| format!("a time that exists in {tz} (clocks skip this hour)"));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| time_forms(tz))?;
    local_midnight(date, tz)
}

/// The accepted forms of a time, one example each.
pub fn time_forms(tz: Tz) -> String {
    format!(
        "a time such as 2026-12-03 22:30 or 2026-12-03T22:30 ({tz}), 2026-12-03T22:30:00Z, or a date such as 2026-12-03"
    )
}

/// Longest effort accepted, in hours.
pub const MAX_EFFORT_HOURS: f64 = 10_000.0;

/// Parses an effort in hours: `1.5` (hours when bare), `1.5h`, `30m`, `1h30m`.
pub fn parse_effort(text: &str) -> Result<f64, String> {
    const FORMS: &str = "an effort such as 1.5 (hours), 1.5h, 30m or 1h30m";
    let text = text.trim();
    if text.starts_with(['-', '+']) {
        return Err(FORMS.into());
    }
    let hours = text.strip_suffix('h').unwrap_or(text);
    let h = match hours.parse::<f64>() {
        Ok(h) => h,
        Err(_) => parse_duration(text).map_err(|_| FORMS.to_string())?.num_seconds() as f64 / 3_600.0,
    };
    if !h.is_finite() || !(0.0..=MAX_EFFORT_HOURS).contains(&h) {
        return Err(format!("{FORMS}, at most {MAX_EFFORT_HOURS} hours"));
    }
    Ok(h)
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
    fn efforts_in_hours_or_with_a_unit() {
        for (text, hours) in [
            ("2", 2.0),
            ("1.5", 1.5),
            ("1.5h", 1.5),
            ("30m", 0.5),
            ("1h30m", 1.5),
            ("0", 0.0),
            ("90m", 1.5),
        ] {
            assert_eq!(parse_effort(text), Ok(hours), "{text}");
        }
        for bad in ["-0", "-1", "+2", "", "h", "1.5x", "NaN", "inf", "10001", "1e9"] {
            let why = parse_effort(bad).unwrap_err();
            assert!(why.contains("1.5h") && why.contains("30m"), "{bad}: {why}");
        }
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
        // Wall-clock times are the calendar's: London is UTC+1 in summer.
        for t in [
            "2026-07-03T22:30",
            "2026-07-03 22:30",
            "2026-07-03 22:30:00",
            " 2026-07-03T22:30:00 ",
        ] {
            assert_eq!(
                parse_time(t, tz).unwrap().to_rfc3339(),
                "2026-07-03T21:30:00+00:00",
                "{t}"
            );
        }
        assert_eq!(
            parse_time("2026-12-03 22:30", tz).unwrap().to_rfc3339(),
            "2026-12-03T22:30:00+00:00"
        );
        // 01:30 on 29 March 2026 never happens in London.
        assert!(parse_time("2026-03-29 01:30", tz).unwrap_err().contains("exists"));
        // The refusal shows every form it accepts.
        let why = parse_time("22:30 tomorrow", tz).unwrap_err();
        for form in [
            "2026-12-03 22:30",
            "2026-12-03T22:30",
            "2026-12-03T22:30:00Z",
            "2026-12-03",
            "Europe/London",
        ] {
            assert!(why.contains(form), "{why}");
        }
        assert!(parse_time("2026-13-01", tz).is_err());
    }
}
