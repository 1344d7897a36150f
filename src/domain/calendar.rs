//! Release windows and freezes of a release calendar, and the arithmetic on them.
//!
//! Every instant in this API is a `DateTime<Utc>`: callers (chat commands, the
//! deployment gate) never have to care which zone a calendar lives in.  Windows,
//! however, are *defined* in the calendar's IANA time zone, because "Thursday
//! 22:00" means Thursday 22:00 on the wall clock of the people running the
//! release, summer or winter.
//!
//! # How a window's cron is read, and daylight-saving time
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

#![warn(missing_docs)]

use std::cmp::Reverse;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;
use cron::Schedule;

/// How far ahead [`Calendar::next_free_opening`] looks before giving up.
///
/// A year and a day, so that a yearly window (e.g. "first Sunday of the year")
/// still has one chance to be found.
pub const SEARCH_HORIZON_DAYS: u32 = 366;

/// How many openings [`Calendar::next_free_opening`] examines at most.
///
/// The day horizon alone is not enough: a window that opens every minute would
/// mean half a million candidates, which a chat bot must not grind through
/// while a user waits.
pub const MAX_OPENINGS_SCANNED: usize = 10_000;

/// A recurring release window, defined in the calendar's time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Name users refer to the window by; matched case-insensitively.
    pub name: String,
    /// When the window opens: a 6- or 7-field cron expression, seconds first
    /// (e.g. `0 0 22 * * Thu`), matched against the calendar's local
    /// wall-clock time (see the module docs for what happens around DST).
    pub schedule: Schedule,
    /// How long each opening lasts, in elapsed real time.  A negative duration
    /// is treated as zero; a zero-length opening contains no instant, so it
    /// never lets a deployment through.
    pub duration: Duration,
    /// Environments a deployment may target during this window; matched
    /// case-insensitively.
    pub environments: Vec<String>,
}

impl Window {
    /// Whether this window serves `env` (case-insensitive, surrounding
    /// whitespace ignored, since names usually come straight from chat).
    pub fn serves(&self, env: &str) -> bool {
        let env = normalize(env);
        self.environments.iter().any(|e| normalize(e) == env)
    }

    /// The duration actually used for openings: never negative, so an
    /// opening's end is never before its start.
    fn length(&self) -> Duration {
        self.duration.max(Duration::zero())
    }
}

/// A period during which no deployment may happen: the half-open range
/// `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freeze {
    /// Name shown to users when the freeze blocks them.
    pub name: String,
    /// First instant of the freeze (included).
    pub from: DateTime<Utc>,
    /// First instant after the freeze (excluded).
    pub to: DateTime<Utc>,
    /// Why the freeze exists, if someone said.
    pub reason: Option<String>,
}

impl Freeze {
    /// Whether `at` falls inside the freeze.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.to
    }

    /// Whether the freeze shares at least one instant with `[start, end)`.
    /// A freeze that ends before it starts (see
    /// [`Calendar::validate_freeze`]) overlaps nothing.
    ///
    /// An empty range (`end <= start`) is treated as the single instant
    /// `start`, so that a zero-length opening sitting inside a freeze still
    /// counts as frozen rather than slipping through.
    pub fn overlaps(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        if end <= start {
            return self.contains(start);
        }
        // A freeze with `to <= from` is empty and must block nothing.
        self.from < self.to && self.from < end && start < self.to
    }
}

/// A release calendar: its zone, its windows and its freezes.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    /// Zone the windows' cron expressions are read in.
    pub tz: Tz,
    /// The recurring release windows.
    pub windows: Vec<Window>,
    /// Periods when nothing may be deployed, whatever the windows say.
    pub freezes: Vec<Freeze>,
}

/// One occurrence of a window: the half-open range `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    /// Name of the window, as configured (not as the user typed it).
    pub window: String,
    /// When the opening starts (included).
    pub start: DateTime<Utc>,
    /// When the opening ends (excluded).
    pub end: DateTime<Utc>,
}

impl Opening {
    /// Whether `at` falls inside the opening.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }
}

impl fmt::Display for Opening {
    /// Times are RFC 3339 UTC because an opening does not know its calendar's
    /// zone; the chat layer can re-render them locally if it wants.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\"{}\" from {} to {}",
            self.window,
            rfc3339(self.start),
            rfc3339(self.end)
        )
    }
}

/// Result of [`Calendar::next_free_opening`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    /// The first opening no freeze overlaps.
    pub opening: Opening,
    /// Earlier openings passed over, each with the name of a freeze that
    /// overlaps it, so the bot can explain why it did not pick the obvious
    /// slot.  In chronological order.
    pub skipped: Vec<(Opening, String)>,
}

/// Answer to "may a deployment to this environment start now?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Inside an opening serving the environment and outside every freeze.
    Open {
        /// The opening that allows the deployment.
        opening: Opening,
    },
    /// Closed, but allowed because the request is an emergency.  At least one
    /// of the fields reports a bypass; when nothing would have been bypassed
    /// the answer is [`Gate::Open`] instead.
    Emergency {
        /// No opening serving the environment contains the instant.
        outside_window: bool,
        /// Name of the freeze that was bypassed, if any.
        freeze: Option<String>,
    },
    /// Not allowed.
    Closed {
        /// Why not.
        reason: GateReason,
    },
}

/// Why [`Calendar::gate`] said [`Gate::Closed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateReason {
    /// No opening serving the environment contains the instant.
    OutsideWindow {
        /// The next opening serving the environment that no freeze overlaps.
        next: Option<Opening>,
    },
    /// A freeze contains the instant.
    InFreeze {
        /// Name of the freeze.
        freeze: String,
        /// The next opening serving the environment that no freeze overlaps.
        next: Option<Opening>,
    },
    /// No window serves the environment at all — most likely a typo, which is
    /// why even an emergency does not get through.
    NoWindowFor {
        /// The environment as it was asked for.
        env: String,
    },
}

/// Everything that can go wrong when asking the calendar something.
///
/// Messages are written for end users in chat.  An error does not know its
/// calendar's zone, so times in messages are RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalendarError {
    /// No window has that name.
    #[error("there is no release window called \"{name}\"; {}", known_windows(.known))]
    UnknownWindow {
        /// The name as it was asked for.
        name: String,
        /// Names of the windows that do exist, to suggest a correction.
        known: Vec<String>,
    },
    /// Every opening within the search horizon is frozen (or the window does
    /// not open at all within it).
    #[error("release window \"{window}\" has no opening free of freezes in the next {days} days")]
    NoFreeOpening {
        /// Name of the window.
        window: String,
        /// How many days ahead were searched.
        days: u32,
    },
    /// The instant is not inside any opening serving the environment.
    #[error("\"{env}\" is outside every release window at {}; {}", rfc3339(*.at), next_text(.next))]
    NotInWindow {
        /// The environment as it was asked for.
        env: String,
        /// The instant that was checked.
        at: DateTime<Utc>,
        /// The next opening serving the environment that no freeze overlaps.
        next: Option<Opening>,
    },
    /// The instant is inside a freeze.
    #[error("deployments are frozen by \"{freeze}\"; {}", next_text(.next))]
    InFreeze {
        /// Name of the freeze.
        freeze: String,
        /// The next opening serving the environment that no freeze overlaps.
        next: Option<Opening>,
    },
    /// No window serves the environment.
    #[error("no release window serves the environment \"{env}\"")]
    NoWindowFor {
        /// The environment as it was asked for.
        env: String,
    },
    /// A freeze would end before (or when) it starts.
    #[error("a freeze must end after it starts, but this one runs from {} to {}", rfc3339(*.from), rfc3339(*.to))]
    FreezeOrder {
        /// Requested start.
        from: DateTime<Utc>,
        /// Requested end.
        to: DateTime<Utc>,
    },
}

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
fn cron_error_detail(raw: &str) -> String {
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
    /// Every opening of every window whose start is in `[from, to)`, sorted by
    /// start, then window name.
    ///
    /// The range is not capped: callers should ask for a range that makes
    /// sense for their windows (a window opening every second over a year is
    /// thirty million openings).
    pub fn openings(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Opening> {
        let mut all: Vec<Opening> = self
            .windows
            .iter()
            .flat_map(|w| self.occurrences(w, from).take_while(move |o| o.start < to))
            .collect();
        all.sort_by(|a, b| (a.start, &a.window, a.end).cmp(&(b.start, &b.window, b.end)));
        // Two windows configured with the same name and cron would otherwise
        // show the same slot twice.
        all.dedup();
        all
    }

    /// The openings of one window (name matched case-insensitively) whose
    /// start is in `[from, to)`, in chronological order.
    pub fn openings_of(
        &self,
        window: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Opening>, CalendarError> {
        let w = self.window_or_err(window)?;
        Ok(self.occurrences(w, from).take_while(|o| o.start < to).collect())
    }

    /// The window called `name`, ignoring case and surrounding whitespace.
    pub fn window(&self, name: &str) -> Option<&Window> {
        let name = normalize(name);
        self.windows.iter().find(|w| normalize(&w.name) == name)
    }

    /// Freezes sharing at least one instant with `[start, end)`, in calendar
    /// order (see [`Freeze::overlaps`] for empty ranges).
    pub fn freezes_overlapping(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<&Freeze> {
        self.freezes.iter().filter(|f| f.overlaps(start, end)).collect()
    }

    /// The freeze containing `at`, if any.
    ///
    /// When several do, the one ending last is reported, because that is the
    /// one the user actually has to wait out.
    pub fn freeze_at(&self, at: DateTime<Utc>) -> Option<&Freeze> {
        self.freezes
            .iter()
            .filter(|f| f.contains(at))
            .min_by_key(|f| (Reverse(f.to), f.name.clone()))
    }

    /// The first opening of `window` starting at or after `after` that no
    /// freeze overlaps, with the frozen openings passed over on the way.
    ///
    /// Looks at most [`SEARCH_HORIZON_DAYS`] days and
    /// [`MAX_OPENINGS_SCANNED`] openings ahead; past that it answers
    /// [`CalendarError::NoFreeOpening`] with the number of days it covered.
    pub fn next_free_opening(&self, window: &str, after: DateTime<Utc>) -> Result<Booking, CalendarError> {
        let w = self.window_or_err(window)?;
        self.next_free_opening_of(w, after)
    }

    /// The opening of a window serving `env` that contains `at`.
    ///
    /// An opening that started before `at` and has not ended yet counts, so
    /// the search looks back as far as the window's duration.  When several
    /// openings contain `at` (overlapping windows), the one ending last wins:
    /// it leaves the most time for the deployment.
    pub fn opening_at(&self, env: &str, at: DateTime<Utc>) -> Option<Opening> {
        self.windows
            .iter()
            .filter(|w| w.serves(env))
            .filter_map(|w| {
                // An opening contains `at` iff it started in (at - length, at].
                let look_from = at.checked_sub_signed(w.length()).unwrap_or(at);
                self.occurrences(w, look_from)
                    .take_while(|o| o.start <= at)
                    .filter(|o| o.contains(at))
                    .max_by_key(|o| o.end)
            })
            .min_by(|a, b| (Reverse(a.end), &a.window).cmp(&(Reverse(b.end), &b.window)))
    }

    /// Checks that `at` is inside an opening serving `env` and outside every
    /// freeze, returning that opening.
    ///
    /// If `at` is both outside every window and inside a freeze, the freeze is
    /// reported: it is the explicit, deliberate block, and its `next` is the
    /// same as the window error's would be.
    pub fn check_at(&self, env: &str, at: DateTime<Utc>) -> Result<Opening, CalendarError> {
        if !self.windows.iter().any(|w| w.serves(env)) {
            return Err(CalendarError::NoWindowFor {
                env: env.trim().to_string(),
            });
        }
        if let Some(freeze) = self.freeze_at(at) {
            return Err(CalendarError::InFreeze {
                freeze: freeze.name.clone(),
                next: self.next_free_for_env(env, at),
            });
        }
        self.opening_at(env, at)
            .ok_or_else(|| CalendarError::NotInWindow {
                env: env.trim().to_string(),
                at,
                next: self.next_free_for_env(env, at),
            })
    }

    /// May a deployment to `env` start at `now`?
    ///
    /// Without `emergency`, this is exactly [`Calendar::check_at`] as an enum:
    /// [`Gate::Open`] iff `check_at` is `Ok`.  With `emergency`, anything that
    /// would be closed because of a window or a freeze is let through as
    /// [`Gate::Emergency`], which says what was bypassed so it can be
    /// recorded.  An environment no window serves stays closed even in an
    /// emergency: the calendar cannot vouch for a name it does not know, and it
    /// is far more likely a typo than a real environment.
    pub fn gate(&self, env: &str, now: DateTime<Utc>, emergency: bool) -> Gate {
        let err = match self.check_at(env, now) {
            Ok(opening) => return Gate::Open { opening },
            Err(err) => err,
        };
        if emergency && !matches!(err, CalendarError::NoWindowFor { .. }) {
            return Gate::Emergency {
                outside_window: self.opening_at(env, now).is_none(),
                freeze: self.freeze_at(now).map(|f| f.name.clone()),
            };
        }
        let reason = match err {
            CalendarError::InFreeze { freeze, next } => GateReason::InFreeze { freeze, next },
            CalendarError::NotInWindow { next, .. } => GateReason::OutsideWindow { next },
            CalendarError::NoWindowFor { env } => GateReason::NoWindowFor { env },
            // check_at returns no other error; saying "outside window" is the
            // safe reading should that ever change.
            _ => GateReason::OutsideWindow { next: None },
        };
        Gate::Closed { reason }
    }

    /// Checks a freeze's bounds before it is stored: it must end after it
    /// starts, or it would silently block nothing.
    pub fn validate_freeze(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), CalendarError> {
        if from < to {
            Ok(())
        } else {
            Err(CalendarError::FreezeOrder { from, to })
        }
    }

    fn window_or_err(&self, name: &str) -> Result<&Window, CalendarError> {
        self.window(name).ok_or_else(|| CalendarError::UnknownWindow {
            name: name.trim().to_string(),
            known: self.windows.iter().map(|w| w.name.clone()).collect(),
        })
    }

    fn next_free_opening_of(&self, w: &Window, after: DateTime<Utc>) -> Result<Booking, CalendarError> {
        let horizon = after.checked_add_signed(Duration::days(i64::from(SEARCH_HORIZON_DAYS)));
        let mut skipped = Vec::new();
        let mut last_start = None;
        for opening in self.occurrences(w, after).take(MAX_OPENINGS_SCANNED) {
            if horizon.is_some_and(|h| opening.start >= h) {
                last_start = None;
                break;
            }
            last_start = Some(opening.start);
            // Report the longest-lasting freeze, as in `freeze_at`.
            let blocking = self
                .freezes_overlapping(opening.start, opening.end)
                .into_iter()
                .min_by_key(|f| (Reverse(f.to), f.name.clone()));
            match blocking {
                None => return Ok(Booking { opening, skipped }),
                Some(f) => skipped.push((opening, f.name.clone())),
            }
        }
        // Hitting the opening cap before the horizon means fewer days were
        // really searched; say so rather than overclaim.
        let days = match last_start {
            Some(s) if skipped.len() >= MAX_OPENINGS_SCANNED => {
                let secs = (s - after).num_seconds().max(0);
                u32::try_from((secs + 86_399) / 86_400)
                    .unwrap_or(SEARCH_HORIZON_DAYS)
                    .clamp(1, SEARCH_HORIZON_DAYS)
            }
            _ => SEARCH_HORIZON_DAYS,
        };
        Err(CalendarError::NoFreeOpening {
            window: w.name.clone(),
            days,
        })
    }

    /// The earliest free opening over all windows serving `env`, ties broken
    /// by window name so the answer does not depend on configuration order.
    fn next_free_for_env(&self, env: &str, after: DateTime<Utc>) -> Option<Opening> {
        self.windows
            .iter()
            .filter(|w| w.serves(env))
            .filter_map(|w| self.next_free_opening_of(w, after).ok())
            .map(|b| b.opening)
            .min_by(|a, b| (a.start, &a.window).cmp(&(b.start, &b.window)))
    }

    /// Openings of `w` starting at or after `from`, in order, lazily.
    fn occurrences<'a>(&self, w: &'a Window, from: DateTime<Utc>) -> Occurrences<'a> {
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
struct Occurrences<'a> {
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

fn normalize(name: &str) -> String {
    name.trim().to_lowercase()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn next_text(next: &Option<Opening>) -> String {
    match next {
        Some(o) => format!("the next free opening is {o}"),
        None => format!("there is no free opening in the next {SEARCH_HORIZON_DAYS} days"),
    }
}

fn known_windows(known: &[String]) -> String {
    if known.is_empty() {
        "this calendar has no windows yet".to_string()
    } else {
        format!("known windows: {}", known.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Offset, Timelike};
    use proptest::prelude::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn tz(name: &str) -> Tz {
        name.parse().unwrap()
    }

    fn window(name: &str, cron: &str, hours: i64, envs: &[&str]) -> Window {
        Window {
            name: name.to_string(),
            schedule: parse_cron(cron).unwrap(),
            duration: Duration::hours(hours),
            environments: envs.iter().map(|e| e.to_string()).collect(),
        }
    }

    fn freeze(name: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Freeze {
        Freeze {
            name: name.to_string(),
            from,
            to,
            reason: None,
        }
    }

    fn cal(zone: &str, windows: Vec<Window>, freezes: Vec<Freeze>) -> Calendar {
        Calendar {
            tz: tz(zone),
            windows,
            freezes,
        }
    }

    fn opening(window: &str, start: DateTime<Utc>, hours: i64) -> Opening {
        Opening {
            window: window.to_string(),
            start,
            end: start + Duration::hours(hours),
        }
    }

    /// Thursday 22:00 London, four hours, for prod and staging.
    fn thursday() -> Calendar {
        cal(
            "Europe/London",
            vec![window(
                "Thursday night",
                "0 0 22 * * Thu",
                4,
                &["prod", "Staging"],
            )],
            vec![],
        )
    }

    // ---- what cron 0.15 does natively (why we post-process) ----

    #[test]
    fn native_cron_skips_a_time_in_the_spring_gap() {
        let london = tz("Europe/London");
        let s = parse_cron("0 30 1 * * *").unwrap();
        let got: Vec<_> = s
            .after(&utc(2027, 3, 27, 12, 0).with_timezone(&london))
            .take(2)
            .map(|t| t.with_timezone(&Utc))
            .collect();
        // 2027-03-28 is missing altogether: next is the 29th, 01:30 BST.
        assert_eq!(got, vec![utc(2027, 3, 29, 0, 30), utc(2027, 3, 30, 0, 30)]);
    }

    #[test]
    fn native_cron_fires_twice_for_an_ambiguous_time() {
        let london = tz("Europe/London");
        let s = parse_cron("0 30 1 * * *").unwrap();
        let got: Vec<_> = s
            .after(&utc(2026, 10, 24, 12, 0).with_timezone(&london))
            .take(3)
            .map(|t| t.with_timezone(&Utc))
            .collect();
        assert_eq!(
            got,
            vec![
                utc(2026, 10, 25, 0, 30),
                utc(2026, 10, 25, 1, 30),
                utc(2026, 10, 26, 1, 30)
            ]
        );
    }

    #[test]
    fn native_cron_can_return_a_time_before_after_in_the_repeated_hour() {
        let london = tz("Europe/London");
        let s = parse_cron("0 30 1 * * *").unwrap();
        let after = utc(2026, 10, 25, 1, 15); // 01:15 GMT, the second 01:15
        let first = s.after(&after.with_timezone(&london)).next().unwrap();
        assert!(first.with_timezone(&Utc) < after);
    }

    // ---- parse_cron ----

    #[test]
    fn parse_cron_accepts_six_and_seven_fields_and_shorthands() {
        assert!(parse_cron("0 0 22 * * Thu").is_ok());
        assert!(parse_cron("  0 0 22 * * Thu 2026-2030 ").is_ok());
        assert!(parse_cron("@daily").is_ok());
    }

    #[test]
    fn parse_cron_rejects_with_clear_messages() {
        let empty = parse_cron("  ").unwrap_err();
        assert!(empty.contains("empty"), "{empty}");

        let five = parse_cron("0 22 * * Thu").unwrap_err();
        assert!(five.contains("5 fields"), "{five}");
        assert!(five.contains("\"0 0 22 * * Thu\""), "{five}");

        let eight = parse_cron("0 0 22 * * Thu * *").unwrap_err();
        assert!(eight.contains("8 fields"), "{eight}");

        let bad_hour = parse_cron("0 0 25 * * *").unwrap_err();
        assert!(
            bad_hour.starts_with("invalid cron expression \"0 0 25 * * *\": "),
            "{bad_hour}"
        );
        assert!(bad_hour.contains("Hours"), "{bad_hour}");
        assert!(!bad_hour.contains('\n'), "{bad_hour}");

        let junk = parse_cron("0 0 22 * * Thu x").unwrap_err();
        assert!(!junk.contains('\n'), "{junk}");
        assert!(junk.len() > "invalid cron expression".len(), "{junk}");
    }

    #[test]
    fn cron_error_detail_handles_caret_only_messages() {
        assert_eq!(cron_error_detail("a b\n  ^\n"), "unexpected text at character 3");
        assert_eq!(cron_error_detail(""), "it could not be parsed");
        assert_eq!(cron_error_detail("x\n^\nBad thing."), "Bad thing.");
    }

    // ---- openings: a normal week and DST ----

    #[test]
    fn thursday_22_london_is_22_utc_in_winter_and_21_utc_in_summer() {
        let c = thursday();
        let winter = c.openings(utc(2026, 1, 5, 0, 0), utc(2026, 1, 12, 0, 0));
        assert_eq!(winter, vec![opening("Thursday night", utc(2026, 1, 8, 22, 0), 4)]);
        let summer = c.openings(utc(2026, 7, 6, 0, 0), utc(2026, 7, 13, 0, 0));
        assert_eq!(summer, vec![opening("Thursday night", utc(2026, 7, 9, 21, 0), 4)]);
    }

    #[test]
    fn london_gap_opens_once_at_the_end_of_the_gap() {
        let c = cal(
            "Europe/London",
            vec![window("w", "0 30 1 * * *", 4, &["prod"])],
            vec![],
        );
        let got = c.openings(utc(2027, 3, 27, 12, 0), utc(2027, 3, 29, 12, 0));
        assert_eq!(
            got,
            vec![
                // 01:30 does not exist: 02:00 BST = 01:00 UTC, four real hours.
                opening("w", utc(2027, 3, 28, 1, 0), 4),
                opening("w", utc(2027, 3, 29, 0, 30), 4),
            ]
        );
    }

    #[test]
    fn several_matches_inside_a_gap_open_only_once() {
        let c = cal(
            "Europe/London",
            vec![window("w", "0 0/15 1 * * *", 1, &["prod"])],
            vec![],
        );
        let got = c.openings(utc(2027, 3, 28, 0, 0), utc(2027, 3, 28, 12, 0));
        assert_eq!(got, vec![opening("w", utc(2027, 3, 28, 1, 0), 1)]);
    }

    #[test]
    fn london_overlap_opens_once_at_the_first_occurrence() {
        let c = cal(
            "Europe/London",
            vec![window("w", "0 30 1 * * *", 4, &["prod"])],
            vec![],
        );
        let got = c.openings(utc(2026, 10, 24, 12, 0), utc(2026, 10, 26, 12, 0));
        assert_eq!(
            got,
            vec![
                opening("w", utc(2026, 10, 25, 0, 30), 4), // 01:30 BST
                opening("w", utc(2026, 10, 26, 1, 30), 4), // 01:30 GMT
            ]
        );
    }

    #[test]
    fn starting_inside_the_repeated_hour_does_not_return_the_second_occurrence() {
        let c = cal(
            "Europe/London",
            vec![window("w", "0 30 1 * * *", 4, &["prod"])],
            vec![],
        );
        let got = c.openings(utc(2026, 10, 25, 1, 15), utc(2026, 10, 26, 12, 0));
        assert_eq!(got, vec![opening("w", utc(2026, 10, 26, 1, 30), 4)]);
        // ...and from just before the first occurrence, it is found.
        let got = c.openings(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 0));
        assert_eq!(got, vec![opening("w", utc(2026, 10, 25, 0, 30), 4)]);
    }

    #[test]
    fn new_york_gap_and_overlap() {
        let c = cal(
            "America/New_York",
            vec![
                window("w", "0 30 2 * * *", 4, &["prod"]),
                window("x", "0 30 1 * * *", 4, &["prod"]),
            ],
            vec![],
        );
        // 2027-03-14: 02:00 EST jumps to 03:00 EDT; 02:30 is missing.
        let spring = c
            .openings_of("w", utc(2027, 3, 13, 12, 0), utc(2027, 3, 15, 12, 0))
            .unwrap();
        assert_eq!(
            spring,
            vec![
                opening("w", utc(2027, 3, 14, 7, 0), 4),
                opening("w", utc(2027, 3, 15, 6, 30), 4)
            ]
        );
        // 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
        let fall = c
            .openings_of("x", utc(2026, 10, 31, 12, 0), utc(2026, 11, 2, 12, 0))
            .unwrap();
        assert_eq!(
            fall,
            vec![
                opening("x", utc(2026, 11, 1, 5, 30), 4),
                opening("x", utc(2026, 11, 2, 6, 30), 4)
            ]
        );
    }

    #[test]
    fn duration_is_elapsed_time_across_a_change() {
        // Midnight BST on fall-back night, four hours: ends 03:00 GMT, which
        // the wall clock shows as only three hours later.
        let c = cal(
            "Europe/London",
            vec![window("w", "0 0 0 * * *", 4, &["prod"])],
            vec![],
        );
        let got = c.openings(utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0));
        assert_eq!(got, vec![opening("w", utc(2026, 10, 24, 23, 0), 4)]);
        assert_eq!(got[0].end.with_timezone(&c.tz).hour(), 3);
    }

    #[test]
    fn openings_range_is_half_open_and_sorted_by_start_then_name() {
        let c = cal(
            "UTC",
            vec![
                window("b", "0 0 10 * * *", 1, &["prod"]),
                window("a", "0 0 10 * * *", 1, &["prod"]),
                window("c", "0 0 9 * * *", 1, &["prod"]),
            ],
            vec![],
        );
        let got = c.openings(utc(2026, 1, 1, 10, 0), utc(2026, 1, 2, 10, 0));
        let keys: Vec<_> = got.iter().map(|o| (o.start, o.window.as_str())).collect();
        assert_eq!(
            keys,
            vec![
                (utc(2026, 1, 1, 10, 0), "a"),
                (utc(2026, 1, 1, 10, 0), "b"),
                (utc(2026, 1, 2, 9, 0), "c"),
            ]
        );
        assert!(c
            .openings(utc(2026, 1, 2, 0, 0), utc(2026, 1, 1, 0, 0))
            .is_empty());
    }

    #[test]
    fn openings_of_unknown_window_lists_the_known_ones() {
        let err = thursday()
            .openings_of("friday", utc(2026, 1, 1, 0, 0), utc(2026, 2, 1, 0, 0))
            .unwrap_err();
        assert_eq!(
            err,
            CalendarError::UnknownWindow {
                name: "friday".into(),
                known: vec!["Thursday night".into()]
            }
        );
        assert_eq!(
            err.to_string(),
            "there is no release window called \"friday\"; known windows: Thursday night"
        );
    }

    #[test]
    fn window_lookup_ignores_case_and_whitespace() {
        let c = thursday();
        assert_eq!(c.window(" THURSDAY night").unwrap().name, "Thursday night");
        assert!(c.window("thursday").is_none());
    }

    // ---- freezes ----

    #[test]
    fn freezes_overlapping_respects_half_open_bounds() {
        let c = cal(
            "UTC",
            vec![],
            vec![
                freeze("before", utc(2026, 1, 1, 0, 0), utc(2026, 1, 1, 10, 0)),
                freeze("inside", utc(2026, 1, 1, 11, 0), utc(2026, 1, 1, 11, 30)),
                freeze("after", utc(2026, 1, 1, 12, 0), utc(2026, 1, 2, 0, 0)),
                freeze("straddle", utc(2026, 1, 1, 11, 59), utc(2026, 1, 1, 13, 0)),
                freeze("empty", utc(2026, 1, 1, 11, 0), utc(2026, 1, 1, 11, 0)),
            ],
        );
        let names: Vec<_> = c
            .freezes_overlapping(utc(2026, 1, 1, 10, 0), utc(2026, 1, 1, 12, 0))
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names, vec!["inside", "straddle"]);
        // An empty range is the instant itself.
        let names: Vec<_> = c
            .freezes_overlapping(utc(2026, 1, 1, 11, 0), utc(2026, 1, 1, 11, 0))
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names, vec!["inside"]);
    }

    #[test]
    fn freeze_at_reports_the_longest_lasting_freeze() {
        let c = cal(
            "UTC",
            vec![],
            vec![
                freeze("short", utc(2026, 1, 1, 0, 0), utc(2026, 1, 2, 0, 0)),
                freeze("long", utc(2026, 1, 1, 0, 0), utc(2026, 1, 9, 0, 0)),
            ],
        );
        assert_eq!(c.freeze_at(utc(2026, 1, 1, 5, 0)).unwrap().name, "long");
        assert!(c.freeze_at(utc(2026, 1, 9, 0, 0)).is_none());
    }

    #[test]
    fn validate_freeze_requires_from_before_to() {
        let (a, b) = (utc(2026, 1, 1, 0, 0), utc(2026, 1, 2, 0, 0));
        assert_eq!(Calendar::validate_freeze(a, b), Ok(()));
        assert_eq!(
            Calendar::validate_freeze(b, a),
            Err(CalendarError::FreezeOrder { from: b, to: a })
        );
        let err = Calendar::validate_freeze(a, a).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a freeze must end after it starts, but this one runs from \
             2026-01-01T00:00:00Z to 2026-01-01T00:00:00Z"
        );
    }

    // ---- next_free_opening ----

    #[test]
    fn next_free_opening_without_freezes_is_the_next_opening() {
        let c = thursday();
        let b = c
            .next_free_opening("thursday NIGHT", utc(2026, 1, 6, 0, 0))
            .unwrap();
        assert_eq!(b.opening, opening("Thursday night", utc(2026, 1, 8, 22, 0), 4));
        assert!(b.skipped.is_empty());
        // An opening starting exactly at `after` is included...
        let b = c
            .next_free_opening("Thursday night", utc(2026, 1, 8, 22, 0))
            .unwrap();
        assert_eq!(b.opening.start, utc(2026, 1, 8, 22, 0));
        // ...but one already under way is not "next".
        let b = c
            .next_free_opening("Thursday night", utc(2026, 1, 8, 22, 1))
            .unwrap();
        assert_eq!(b.opening.start, utc(2026, 1, 15, 22, 0));
    }

    #[test]
    fn next_free_opening_skips_frozen_openings_and_names_the_freeze() {
        let mut c = thursday();
        c.freezes = vec![
            freeze("year end", utc(2025, 12, 20, 0, 0), utc(2026, 1, 5, 0, 0)),
            // Touches only the tail of the 8 Jan opening (which ends 02:00).
            freeze("audit", utc(2026, 1, 9, 1, 0), utc(2026, 1, 16, 0, 0)),
        ];
        let b = c
            .next_free_opening("Thursday night", utc(2025, 12, 24, 0, 0))
            .unwrap();
        assert_eq!(
            b.skipped,
            vec![
                (
                    opening("Thursday night", utc(2025, 12, 25, 22, 0), 4),
                    "year end".to_string()
                ),
                (
                    opening("Thursday night", utc(2026, 1, 1, 22, 0), 4),
                    "year end".to_string()
                ),
                (
                    opening("Thursday night", utc(2026, 1, 8, 22, 0), 4),
                    "audit".to_string()
                ),
                (
                    opening("Thursday night", utc(2026, 1, 15, 22, 0), 4),
                    "audit".to_string()
                ),
            ]
        );
        assert_eq!(b.opening, opening("Thursday night", utc(2026, 1, 22, 22, 0), 4));
    }

    #[test]
    fn next_free_opening_errors() {
        let mut c = thursday();
        assert!(matches!(
            c.next_free_opening("nope", utc(2026, 1, 1, 0, 0)),
            Err(CalendarError::UnknownWindow { .. })
        ));
        c.freezes = vec![freeze("forever", utc(2026, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0))];
        let err = c
            .next_free_opening("Thursday night", utc(2026, 1, 1, 0, 0))
            .unwrap_err();
        assert_eq!(
            err,
            CalendarError::NoFreeOpening {
                window: "Thursday night".into(),
                days: SEARCH_HORIZON_DAYS
            }
        );
        assert_eq!(
            err.to_string(),
            "release window \"Thursday night\" has no opening free of freezes in the next 366 days"
        );
        // A window whose cron never fires again.
        let past = cal(
            "UTC",
            vec![window("old", "0 0 22 * * Thu 2020", 4, &["prod"])],
            vec![],
        );
        assert!(matches!(
            past.next_free_opening("old", utc(2026, 1, 1, 0, 0)),
            Err(CalendarError::NoFreeOpening {
                days: SEARCH_HORIZON_DAYS,
                ..
            })
        ));
    }

    #[test]
    fn next_free_opening_stops_after_the_opening_cap() {
        // Every minute, frozen for ten days: the cap is hit after ~7 days.
        let c = cal(
            "UTC",
            vec![window("minutely", "0 * * * * *", 0, &["prod"])],
            vec![freeze("long", utc(2026, 1, 1, 0, 0), utc(2026, 1, 11, 0, 0))],
        );
        let err = c
            .next_free_opening("minutely", utc(2026, 1, 1, 0, 0))
            .unwrap_err();
        assert_eq!(
            err,
            CalendarError::NoFreeOpening {
                window: "minutely".into(),
                days: 7
            }
        );
    }

    // ---- opening_at ----

    #[test]
    fn opening_at_finds_an_opening_under_way() {
        let c = thursday();
        let o = opening("Thursday night", utc(2026, 1, 8, 22, 0), 4);
        assert_eq!(c.opening_at("PROD", utc(2026, 1, 8, 22, 0)), Some(o.clone()));
        assert_eq!(c.opening_at("staging", utc(2026, 1, 9, 1, 59)), Some(o));
        assert_eq!(c.opening_at("prod", utc(2026, 1, 9, 2, 0)), None);
        assert_eq!(c.opening_at("prod", utc(2026, 1, 8, 21, 59)), None);
        assert_eq!(c.opening_at("qa", utc(2026, 1, 8, 23, 0)), None);
    }

    #[test]
    fn opening_at_looks_back_a_full_duration_and_prefers_the_latest_end() {
        let c = cal(
            "UTC",
            vec![
                window("weekend", "0 0 18 * * Fri", 60, &["prod"]),
                window("sat", "0 0 9 * * Sat", 3, &["prod"]),
            ],
            vec![],
        );
        // Sunday 17:00, 47 hours into the weekend window.
        assert_eq!(
            c.opening_at("prod", utc(2026, 1, 11, 17, 0)),
            Some(opening("weekend", utc(2026, 1, 9, 18, 0), 60))
        );
        // Saturday 10:00: both contain it; the weekend one lasts longer.
        assert_eq!(
            c.opening_at("prod", utc(2026, 1, 10, 10, 0)).unwrap().window,
            "weekend"
        );
    }

    // ---- check_at and gate ----

    fn frozen_thursday() -> Calendar {
        let mut c = thursday();
        c.freezes = vec![freeze("incident", utc(2026, 1, 8, 23, 0), utc(2026, 1, 10, 0, 0))];
        c
    }

    #[test]
    fn check_at_ok_inside_an_unfrozen_opening() {
        let c = frozen_thursday();
        assert_eq!(
            c.check_at("prod", utc(2026, 1, 8, 22, 30)),
            Ok(opening("Thursday night", utc(2026, 1, 8, 22, 0), 4))
        );
    }

    #[test]
    fn check_at_outside_window_gives_the_next_free_opening() {
        let c = frozen_thursday();
        let err = c.check_at("prod", utc(2026, 1, 7, 12, 0)).unwrap_err();
        // The 8 Jan opening is overlapped by "incident", so next is the 15th.
        let next = opening("Thursday night", utc(2026, 1, 15, 22, 0), 4);
        assert_eq!(
            err,
            CalendarError::NotInWindow {
                env: "prod".into(),
                at: utc(2026, 1, 7, 12, 0),
                next: Some(next)
            }
        );
        assert_eq!(
            err.to_string(),
            "\"prod\" is outside every release window at 2026-01-07T12:00:00Z; the next free opening \
             is \"Thursday night\" from 2026-01-15T22:00:00Z to 2026-01-16T02:00:00Z"
        );
    }

    #[test]
    fn check_at_in_freeze_names_it_and_gives_the_next_free_opening() {
        let c = frozen_thursday();
        let err = c.check_at("prod", utc(2026, 1, 8, 23, 30)).unwrap_err();
        let next = opening("Thursday night", utc(2026, 1, 15, 22, 0), 4);
        assert_eq!(
            err,
            CalendarError::InFreeze {
                freeze: "incident".into(),
                next: Some(next)
            }
        );
        assert!(err
            .to_string()
            .starts_with("deployments are frozen by \"incident\"; the next free"));
        // A freeze outside any window is still reported as the freeze.
        let err = c.check_at("prod", utc(2026, 1, 9, 12, 0)).unwrap_err();
        assert!(matches!(err, CalendarError::InFreeze { .. }));
    }

    #[test]
    fn check_at_with_no_free_opening_says_so() {
        let mut c = thursday();
        c.freezes = vec![freeze("forever", utc(2026, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0))];
        let err = c.check_at("prod", utc(2026, 1, 2, 0, 0)).unwrap_err();
        assert_eq!(
            err,
            CalendarError::InFreeze {
                freeze: "forever".into(),
                next: None
            }
        );
        assert_eq!(
            err.to_string(),
            "deployments are frozen by \"forever\"; there is no free opening in the next 366 days"
        );
    }

    #[test]
    fn check_at_unknown_env() {
        let err = thursday().check_at(" qa ", utc(2026, 1, 8, 22, 30)).unwrap_err();
        assert_eq!(err, CalendarError::NoWindowFor { env: "qa".into() });
        assert_eq!(err.to_string(), "no release window serves the environment \"qa\"");
    }

    #[test]
    fn gate_without_emergency() {
        let c = frozen_thursday();
        assert_eq!(
            c.gate("prod", utc(2026, 1, 8, 22, 30), false),
            Gate::Open {
                opening: opening("Thursday night", utc(2026, 1, 8, 22, 0), 4)
            }
        );
        let next = Some(opening("Thursday night", utc(2026, 1, 15, 22, 0), 4));
        assert_eq!(
            c.gate("prod", utc(2026, 1, 7, 12, 0), false),
            Gate::Closed {
                reason: GateReason::OutsideWindow { next: next.clone() }
            }
        );
        assert_eq!(
            c.gate("prod", utc(2026, 1, 8, 23, 30), false),
            Gate::Closed {
                reason: GateReason::InFreeze {
                    freeze: "incident".into(),
                    next
                }
            }
        );
        assert_eq!(
            c.gate("qa", utc(2026, 1, 8, 22, 30), false),
            Gate::Closed {
                reason: GateReason::NoWindowFor { env: "qa".into() }
            }
        );
    }

    #[test]
    fn gate_with_emergency_reports_what_was_bypassed() {
        let c = frozen_thursday();
        // Open anyway: no bypass to report.
        assert!(matches!(
            c.gate("prod", utc(2026, 1, 8, 22, 30), true),
            Gate::Open { .. }
        ));
        assert_eq!(
            c.gate("prod", utc(2026, 1, 7, 12, 0), true),
            Gate::Emergency {
                outside_window: true,
                freeze: None
            }
        );
        assert_eq!(
            c.gate("prod", utc(2026, 1, 8, 23, 30), true),
            Gate::Emergency {
                outside_window: false,
                freeze: Some("incident".into())
            }
        );
        assert_eq!(
            c.gate("prod", utc(2026, 1, 9, 12, 0), true),
            Gate::Emergency {
                outside_window: true,
                freeze: Some("incident".into())
            }
        );
        // An unknown environment is not waved through.
        assert_eq!(
            c.gate("qa", utc(2026, 1, 8, 22, 30), true),
            Gate::Closed {
                reason: GateReason::NoWindowFor { env: "qa".into() }
            }
        );
    }

    #[test]
    fn negative_duration_is_treated_as_zero() {
        let mut c = thursday();
        c.windows[0].duration = Duration::hours(-3);
        let got = c.openings(utc(2026, 1, 5, 0, 0), utc(2026, 1, 12, 0, 0));
        assert_eq!(got[0].start, got[0].end);
        assert_eq!(c.opening_at("prod", utc(2026, 1, 8, 22, 0)), None);
    }

    #[test]
    fn gap_end_handles_midnight_and_half_hour_transitions() {
        // Santiago springs forward at 24:00: Sunday 00:00 does not exist.
        let c = cal(
            "America/Santiago",
            vec![window("w", "0 0 0 * * Sun", 1, &["prod"])],
            vec![],
        );
        let got = c.openings(utc(2026, 9, 1, 0, 0), utc(2026, 9, 10, 0, 0));
        // 2026-09-06 00:00 -04 is skipped to 01:00 -03 = 04:00 UTC.
        assert_eq!(got, vec![opening("w", utc(2026, 9, 6, 4, 0), 1)]);
        // Lord Howe moves by half an hour: 02:00 -> 02:30 local (+10:30 -> +11).
        let c = cal(
            "Australia/Lord_Howe",
            vec![window("w", "0 15 2 * * *", 1, &["prod"])],
            vec![],
        );
        let got = c.openings(utc(2026, 10, 3, 0, 0), utc(2026, 10, 4, 0, 0));
        // 2026-10-04 02:30 +11 = 2026-10-03 15:30 UTC.
        assert_eq!(got, vec![opening("w", utc(2026, 10, 3, 15, 30), 1)]);
    }

    // ---- properties ----

    const ZONES: &[&str] = &[
        "Europe/London",
        "America/New_York",
        "Australia/Sydney",
        "Australia/Lord_Howe",
        "America/Santiago",
        "Asia/Kolkata",
        "Pacific/Chatham",
        "UTC",
    ];

    /// Cron texts that hit the small hours (where transitions happen) often.
    fn arb_cron() -> impl Strategy<Value = String> {
        (
            prop_oneof![
                Just("0".to_string()),
                Just("30".to_string()),
                Just("0/15".to_string()),
                (0u32..60).prop_map(|m| m.to_string())
            ],
            prop_oneof![
                (0u32..4).prop_map(|h| h.to_string()),
                (0u32..24).prop_map(|h| h.to_string()),
                Just("*/6".to_string()),
                Just("1-3".to_string())
            ],
            prop_oneof![
                Just("*".to_string()),
                Just("Sun".to_string()),
                Just("Mon-Fri".to_string()),
                Just("Sat,Sun".to_string())
            ],
        )
            .prop_map(|(m, h, d)| format!("0 {m} {h} * * {d}"))
    }

    fn arb_zone() -> impl Strategy<Value = Tz> {
        proptest::sample::select(ZONES).prop_map(tz)
    }

    /// Instants in 2025..2028, half of them in the months where the zones
    /// above change their clocks, so 64 cases still meet plenty of gaps and
    /// repeated hours.
    fn arb_instant() -> impl Strategy<Value = DateTime<Utc>> {
        prop_oneof![
            (0i64..3 * 365 * 24 * 60).prop_map(|m| utc(2025, 1, 1, 0, 0) + Duration::minutes(m)),
            (
                2025i32..2028,
                proptest::sample::select(&[3u32, 4, 9, 10][..]),
                1u32..29,
                0i64..24 * 60
            )
                .prop_map(|(y, mo, d, m)| utc(y, mo, d, 0, 0) + Duration::minutes(m)),
        ]
    }

    fn arb_freezes() -> impl Strategy<Value = Vec<(i64, i64)>> {
        // (offset from base in hours, length in hours)
        proptest::collection::vec((-48i64..24 * 30, 1i64..24 * 10), 0..4)
    }

    fn build(zone: Tz, crons: &[String], hours: i64, base: DateTime<Utc>, fr: &[(i64, i64)]) -> Calendar {
        Calendar {
            tz: zone,
            windows: crons
                .iter()
                .enumerate()
                .map(|(i, c)| window(&format!("w{i}"), c, hours, &["prod"]))
                .collect(),
            freezes: fr
                .iter()
                .enumerate()
                .map(|(i, (off, len))| {
                    let from = base + Duration::hours(*off);
                    freeze(&format!("f{i}"), from, from + Duration::hours(*len))
                })
                .collect(),
        }
    }

    /// Whether `t` is the first instant after a spring-forward gap.
    fn is_gap_end(zone: Tz, t: DateTime<Utc>) -> bool {
        let before = zone.offset_from_utc_datetime(&(t - Duration::seconds(1)).naive_utc());
        let at = zone.offset_from_utc_datetime(&t.naive_utc());
        before.fix().local_minus_utc() < at.fix().local_minus_utc()
    }

    /// Instants in `year` at which `zone` changes its UTC offset, to within
    /// a quarter of an hour (enough to aim tests at them).
    fn transitions(zone: Tz, year: i32) -> Vec<DateTime<Utc>> {
        let offset = |t: DateTime<Utc>| zone.offset_from_utc_datetime(&t.naive_utc()).fix();
        let mut out = Vec::new();
        let mut t = utc(year, 1, 1, 0, 0);
        while t.year() == year {
            let next = t + Duration::minutes(15);
            if offset(t) != offset(next) {
                out.push(next);
            }
            t = next;
        }
        out
    }

    /// The properties every result of `openings` must have: in range, sorted
    /// and unique, each matching its cron in local time (or being the end of a
    /// gap that the cron matched inside), never a second occurrence, and none
    /// of the natively computed occurrences missing.
    fn check_openings(c: &Calendar, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), TestCaseError> {
        let zone = c.tz;
        let got = c.openings(from, to);
        for pair in got.windows(2) {
            prop_assert!((pair[0].start, &pair[0].window) < (pair[1].start, &pair[1].window));
        }
        for o in &got {
            prop_assert!(from <= o.start && o.start < to);
            prop_assert_eq!(o.end - o.start, c.window(&o.window).unwrap().duration);
            let w = c.window(&o.window).unwrap();
            let local = o.start.with_timezone(&zone);
            if !w.schedule.includes(local) {
                // Documented gap shift: the cron matched a wall-clock time
                // inside the gap that ends at `start`.
                prop_assert!(is_gap_end(zone, o.start), "{o:?} local {local}");
                let gap_from = (o.start - Duration::seconds(1))
                    .with_timezone(&zone)
                    .naive_local();
                let hit = w
                    .schedule
                    .after(&Utc.from_utc_datetime(&gap_from))
                    .next()
                    .unwrap();
                prop_assert!(
                    hit.naive_utc() < local.naive_local(),
                    "{o:?}: no match in the gap"
                );
            }
            // Never the second occurrence of a repeated wall-clock time.
            let earliest = zone.from_local_datetime(&local.naive_local()).earliest().unwrap();
            prop_assert_eq!(earliest.with_timezone(&Utc), o.start);
        }
        // Every native occurrence that is unambiguous, or the first of an
        // ambiguous pair, is an opening.
        for w in &c.windows {
            for t in w
                .schedule
                .after(&(from - Duration::seconds(1)).with_timezone(&zone))
            {
                let tu = t.with_timezone(&Utc);
                if tu >= to {
                    break;
                }
                let first = zone.from_local_datetime(&t.naive_local()).earliest().unwrap();
                if tu >= from && first == t {
                    prop_assert!(
                        got.iter().any(|o| o.window == w.name && o.start == tu),
                        "missing {tu}"
                    );
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn openings_match_cron_are_sorted_unique_and_complete(
            zone in arb_zone(),
            crons in proptest::collection::vec(arb_cron(), 1..3),
            from in arb_instant(),
            days in 1i64..40,
        ) {
            let c = build(zone, &crons, 2, from, &[]);
            check_openings(&c, from, from + Duration::days(days))?;
        }

        /// The same properties, aimed straight at clock changes: `from` just
        /// before a transition, cron hours at the wall-clock hours it touches.
        #[test]
        fn openings_around_transitions_follow_the_dst_rules(
            zone in proptest::sample::select(&ZONES[..5]),
            year in 2025i32..2028,
            pick in any::<proptest::sample::Index>(),
            before_h in 0i64..30,
            minute in prop_oneof![Just(0u32), Just(30u32), 0u32..60],
            hour_pick in 0usize..4,
            every_quarter in any::<bool>(),
        ) {
            let zone = tz(zone);
            let ts = transitions(zone, year);
            prop_assume!(!ts.is_empty());
            let t = ts[pick.index(ts.len())];
            let before = (t - Duration::seconds(1)).with_timezone(&zone).hour();
            let after = t.with_timezone(&zone).hour();
            let hour = [before, (before + 1) % 24, (before + 1) % 24, after][hour_pick];
            let minutes = if every_quarter { "0/15".to_string() } else { minute.to_string() };
            let cron = format!("0 {minutes} {hour} * * *");
            let from = t - Duration::hours(before_h);
            let c = build(zone, &[cron], 2, from, &[]);
            check_openings(&c, from, t + Duration::days(2))?;
        }

        #[test]
        fn next_free_opening_is_free_and_skips_exactly_the_frozen_ones(
            zone in arb_zone(),
            cron in arb_cron(),
            hours in 1i64..30,
            after in arb_instant(),
            fr in arb_freezes(),
        ) {
            let c = build(zone, std::slice::from_ref(&cron), hours, after, &fr);
            match c.next_free_opening("w0", after) {
                Ok(b) => {
                    prop_assert!(b.opening.start >= after);
                    for f in &c.freezes {
                        prop_assert!(!(f.from < b.opening.end && b.opening.start < f.to), "{f:?} overlaps");
                    }
                    let earlier = c.openings_of("w0", after, b.opening.start).unwrap();
                    let skipped: Vec<_> = b.skipped.iter().map(|(o, _)| o.clone()).collect();
                    prop_assert_eq!(&earlier, &skipped);
                    for (o, name) in &b.skipped {
                        let f = c.freezes.iter().find(|f| &f.name == name).unwrap();
                        prop_assert!(f.from < o.end && o.start < f.to);
                    }
                }
                Err(CalendarError::NoFreeOpening { .. }) => {
                    let all = c.openings_of("w0", after, after + Duration::days(366)).unwrap();
                    prop_assert!(all.iter().all(|o| !c.freezes_overlapping(o.start, o.end).is_empty()));
                }
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
        }

        #[test]
        fn gate_is_open_iff_check_at_is_ok(
            zone in arb_zone(),
            crons in proptest::collection::vec(arb_cron(), 1..3),
            hours in 1i64..12,
            base in arb_instant(),
            fr in arb_freezes(),
            probes in proptest::collection::vec(0i64..24 * 14 * 60, 1..8),
            env in prop_oneof![Just("prod"), Just("PROD"), Just("qa")],
        ) {
            let c = build(zone, &crons, hours, base, &fr);
            for p in probes {
                let now = base + Duration::minutes(p);
                let check = c.check_at(env, now);
                for emergency in [false, true] {
                    let gate = c.gate(env, now, emergency);
                    match (&gate, &check) {
                        (Gate::Open { opening }, Ok(o)) => prop_assert_eq!(opening, o),
                        (Gate::Open { .. }, Err(_)) | (_, Ok(_)) => prop_assert!(false, "{gate:?} vs {check:?}"),
                        (Gate::Emergency { outside_window, freeze }, Err(_)) => {
                            prop_assert!(emergency);
                            prop_assert!(*outside_window || freeze.is_some());
                            prop_assert_eq!(*outside_window, c.opening_at(env, now).is_none());
                            prop_assert_eq!(freeze.is_some(), c.freeze_at(now).is_some());
                        }
                        (Gate::Closed { .. }, Err(e)) => {
                            let unknown_env = matches!(e, CalendarError::NoWindowFor { .. });
                            prop_assert!(!emergency || unknown_env);
                        }
                    }
                }
                if let Ok(o) = &check {
                    prop_assert!(o.contains(now));
                    prop_assert!(c.freeze_at(now).is_none());
                }
            }
        }
    }
}
