//! Release windows and freezes of a release calendar, and the arithmetic on them.
//!
//! Every instant in this API is a `DateTime<Utc>`: callers (chat commands, the
//! deployment gate) never have to care which zone a calendar lives in.  Windows,
//! however, are *defined* in the calendar's IANA time zone, because "Thursday
//! 22:00" means Thursday 22:00 on the wall clock of the people running the
//! release, summer or winter.
//!
//! How a window's cron is read, daylight-saving time included, is in
//! `wall_clock`; the deployment gate and the calendar's errors in `gate`.

#![warn(missing_docs)]

mod gate;
#[cfg(test)]
mod tests;
mod wall_clock;

pub use gate::{CalendarError, Gate};
pub use wall_clock::parse_cron;

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
