//! How a window's cron is read, and daylight-saving time.
//!
//! A window's cron expression (6 or 7 fields, seconds first) is matched against
//! the **local wall-clock time** of the calendar's zone.  Each matching
//! wall-clock time `n` opens the window at
//!
//! > the first instant at which the local clock reads `n` or later.
//!
//! That one rule gives the behaviour we want on the two nights a year when the
//! wall clock is not a simple function of real time:
//!
//! * **Spring forward (a gap).**  A wall-clock time that never happens — say
//!   01:30 in Europe/London on 2027-03-28, when clocks jump from 01:00 GMT to
//!   02:00 BST — opens the window at the first valid instant after the gap:
//!   02:00 BST = 01:00 UTC.  It opens exactly once that night, even if the cron
//!   matches several times inside the gap (01:00, 01:15, 01:30, ...): those all
//!   collapse onto the same instant and are reported once.
//! * **Fall back (an overlap).**  A wall-clock time that happens twice — 01:30
//!   in Europe/London on 2026-10-25, when clocks go from 02:00 BST back to 01:00
//!   GMT — opens the window once, at the first (earlier, BST) occurrence:
//!   00:30 UTC.  The second occurrence is not an opening.
//!
//! A window's `duration` is elapsed real time: a 4-hour window is 4 hours long
//! even if the clocks change while it is open.
//!
//! Why not simply use `schedule.after(&dt.with_timezone(&tz))`?  cron 0.15 does
//! evaluate in the zone, but natively it (a) silently *skips* a time that falls
//! in a gap (the 01:30 window would not open at all that night), and (b) fires
//! *twice* for an ambiguous time, once per occurrence — and when `after` is
//! itself inside the repeated hour it can even return the earlier occurrence,
//! which lies before `after`.  The tests at the bottom of this file pin that
//! native behaviour down so an upgrade of the crate that changes it is noticed.
//! To get the rules above we instead let cron enumerate wall-clock times in a
//! zone without any transitions (UTC, used purely as a "naive" clock) and map
//! each wall-clock time to an instant ourselves.  Because that mapping never
//! decreases as the wall-clock time increases, openings come out in order and
//! a search can start right at the requested instant.

use super::*;

/// Parses a window's cron expression, with a message fit for a chat reply.
///
/// Accepts 6 or 7 whitespace-separated fields, seconds first
/// (`sec min hour day-of-month month day-of-week [year]`), or one of cron's
/// `@daily`-style shorthands.  The common mistake of pasting a classic
/// 5-field crontab line gets a specific hint, since cron's own message for it
/// ("'Thu' is not a valid month name") would only confuse.
pub fn parse_cron(expr: &str) -> Result<Schedule, String> {
    let expr = expr.trim();
    if expr.is_empty() {
        return Err(
            "the cron expression is empty; expected 6 or 7 fields, seconds first, \
                    e.g. \"0 0 22 * * Thu\""
                .to_string(),
        );
    }
    let fields = expr.split_whitespace().count();
    if !expr.starts_with('@') && !(6..=7).contains(&fields) {
        let hint = if fields == 5 {
            format!(" (a classic 5-field crontab line needs a seconds field in front: \"0 {expr}\")")
        } else {
            String::new()
        };
        return Err(format!(
            "invalid cron expression \"{expr}\": it has {fields} field{}, expected 6 or 7 \
             (seconds minutes hours day-of-month month day-of-week [year]){hint}",
            if fields == 1 { "" } else { "s" }
        ));
    }
    Schedule::from_str(expr).map_err(|e| {
        format!(
            "invalid cron expression \"{expr}\": {}",
            cron_error_detail(&e.to_string())
        )
    })
}

/// Turns cron's multi-line "expression / caret / message" error into one
/// line, because chat replies and logs read badly with ASCII-art carets.
pub(super) fn cron_error_detail(raw: &str) -> String {
    let mut lines = raw.lines();
    let _expression = lines.next();
    let caret_col = lines.next().and_then(|l| l.find('^'));
    let detail = lines
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    match (detail.is_empty(), caret_col) {
        (false, _) => detail,
        (true, Some(col)) => format!("unexpected text at character {}", col + 1),
        (true, None) => "it could not be parsed".to_string(),
    }
}

impl Calendar {
    /// Openings of `w` starting at or after `from`, in order, lazily.
    pub(super) fn occurrences<'a>(&self, w: &'a Window, from: DateTime<Utc>) -> Occurrences<'a> {
        // Every wall-clock time at or before the local reading of an instant
        // before `from` opens at or before that instant (the mapping never
        // decreases), so cron can start there; the one-second step back is
        // because cron's `after` is exclusive and works in whole seconds.
        let before = from.checked_sub_signed(Duration::seconds(1)).unwrap_or(from);
        let wall = before.with_timezone(&self.tz).naive_local();
        Occurrences {
            tz: self.tz,
            window: w,
            length: w.length(),
            wall_clock: w.schedule.after_owned(Utc.from_utc_datetime(&wall)),
            from,
            last_start: None,
        }
    }
}

/// Lazily maps a window's wall-clock matches to openings.
pub(super) struct Occurrences<'a> {
    tz: Tz,
    window: &'a Window,
    length: Duration,
    /// cron evaluated on a transition-free clock: each yielded value's naive
    /// part is a local wall-clock time of `tz` that matches the cron.
    wall_clock: cron::OwnedScheduleIterator<Utc>,
    from: DateTime<Utc>,
    last_start: Option<DateTime<Utc>>,
}

impl Iterator for Occurrences<'_> {
    type Item = Opening;

    fn next(&mut self) -> Option<Opening> {
        loop {
            let wall = self.wall_clock.next()?.naive_utc();
            let start = opening_instant(self.tz, wall)?;
            // Wall-clock matches inside a fall-back hour can map before
            // `from`, and several matches inside a gap map to the same
            // instant; neither is a (new) opening.
            if start < self.from || self.last_start == Some(start) {
                continue;
            }
            self.last_start = Some(start);
            let end = start.checked_add_signed(self.length)?;
            return Some(Opening {
                window: self.window.name.clone(),
                start,
                end,
            });
        }
    }
}

/// The first instant at which the local clock of `tz` reads `wall` or later.
///
/// `None` only if the instant is outside chrono's range.
fn opening_instant(tz: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        // Fall back: the first (earlier) occurrence.
        LocalResult::Ambiguous(earlier, _) => Some(earlier.with_timezone(&Utc)),
        // Spring forward: the first valid instant after the gap.
        LocalResult::None => gap_end(tz, wall),
    }
}

/// The instant at which the gap containing `wall` ends.
///
/// chrono-tz has no "next transition" query, so we walk forward a minute at a
/// time to the first valid wall-clock time (gaps are an hour or less in
/// practice, and never more than a day — Samoa 2011), then narrow down to the
/// second, since transitions need not fall on a whole minute of local time.
fn gap_end(tz: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    let valid = |t: &NaiveDateTime| tz.from_local_datetime(t).earliest().is_some();
    let mut invalid = wall;
    let mut probe = wall;
    let mut found = false;
    for _ in 0..(48 * 60) {
        probe = probe.checked_add_signed(Duration::minutes(1))?;
        if valid(&probe) {
            found = true;
            break;
        }
        invalid = probe;
    }
    if !found {
        return None;
    }
    // Invariant: `invalid` is in the gap, `probe` is not.
    let mut span = (probe - invalid).num_seconds();
    while span > 1 {
        let mid = invalid.checked_add_signed(Duration::seconds(span / 2))?;
        if valid(&mid) {
            probe = mid;
        } else {
            invalid = mid;
        }
        span = (probe - invalid).num_seconds();
    }
    tz.from_local_datetime(&probe)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}
