//! Wording of the calendar: bookings, freezes, window announcements, the
//! calendar view and its iCalendar file.

use crate::chat::{Attachment, Outgoing, StateClass};
use crate::domain::calendar::{CalendarError, Freeze, Opening};
use crate::domain::records::Release;
use crate::domain::timefmt::show_time;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use icalendar::{Component, EventLike};

/// `Thu 3 Dec 2026 22:00–02:00` in the calendar's zone.
fn times(o: &Opening, tz: Tz) -> String {
    let end = if o.end - o.start < chrono::Duration::hours(24) {
        o.end.with_timezone(&tz).format("%H:%M").to_string()
    } else {
        show_time(o.end, tz)
    };
    format!("{}–{}", show_time(o.start, tz), end)
}

/// How long ahead, as people say it: `24h`, `1h`, `3d`, `90m`.
fn ahead(d: chrono::Duration) -> String {
    if d <= chrono::Duration::hours(48) && d.num_seconds() % 3600 == 0 {
        format!("{}h", d.num_hours())
    } else {
        crate::domain::timefmt::format_duration(d)
    }
}

/// `weekly-prod Thu 3 Dec 2026 22:00–02:00`.
fn span(o: &Opening, tz: Tz) -> String {
    format!("{} {}", o.window, times(o, tz))
}

fn next(o: &Option<Opening>, tz: Tz) -> String {
    match o {
        Some(o) => format!("the next free opening is {}", span(o, tz)),
        None => "no free opening was found in the coming year".into(),
    }
}

/// A calendar refusal, with times in the calendar's zone.
pub fn error(e: &CalendarError, tz: Tz) -> String {
    match e {
        CalendarError::UnknownWindow { name, known } => {
            format!(
                "There is no release window {name:?}. Windows: {}.",
                known.join(", ")
            )
        }
        CalendarError::NoFreeOpening { window, days } => {
            format!("Window {window} has no opening free of freezes in the next {days} days.")
        }
        CalendarError::NotInWindow { env, at, next: n } => format!(
            "{} is outside every release window serving {env}; {}.",
            show_time(*at, tz),
            next(n, tz)
        ),
        CalendarError::InFreeze { freeze, next: n } => {
            format!("That time is inside the freeze {freeze}; {}.", next(n, tz))
        }
        CalendarError::NoWindowFor { env } => format!("No release window serves the environment {env}."),
        CalendarError::FreezeOrder { .. } => "A freeze must end after it starts.".into(),
    }
}

/// A window that does not serve the release's production environment.
pub fn wrong_window(window: &str, env: &str, serves: &[String]) -> String {
    format!(
        "Window {window} serves {}, not {env}: a release is booked into a window serving its last environment.",
        serves.join(", ")
    )
}

/// The booking answer.
pub fn scheduled(
    r: &Release,
    o: &Opening,
    skipped: &[(Opening, String)],
    conflicts: &[(Release, Vec<String>)],
    tz: Tz,
) -> Outgoing {
    let mut s = format!(
        "{} {} scheduled into {} ({})",
        r.rid(),
        r.name,
        span(o, tz),
        tz.name()
    );
    for (o, freeze) in skipped {
        s.push_str(&format!(
            "\n  skipped {} — inside the freeze {freeze}",
            span(o, tz)
        ));
    }
    for (other, items) in conflicts {
        s.push_str(&format!(
            "\n  conflict: {} {} changes {} in the same window — both release managers are told",
            other.rid(),
            other.name,
            items.join(", ")
        ));
    }
    Outgoing::text(s)
}

/// The note to a release manager about two releases changing the same items.
pub fn conflict(mine: &Release, other: &Release, items: &[String], o: &Opening, tz: Tz) -> Outgoing {
    Outgoing::text(format!(
        "Conflict in {}: {} {} and {} {} both change {}. Agree an order, or move one of them.",
        span(o, tz),
        mine.rid(),
        mine.name,
        other.rid(),
        other.name,
        items.join(", ")
    ))
    .class(StateClass::Waiting)
}

/// A freeze declared.
pub fn freeze_declared(f: &Freeze, by: &str, booked: &[Release], tz: Tz) -> Outgoing {
    let mut s = format!(
        "Freeze {} declared by {by}: {} – {} ({}){}",
        f.name,
        show_time(f.from, tz),
        show_time(f.to, tz),
        tz.name(),
        f.reason.as_ref().map(|r| format!(" — {r}")).unwrap_or_default()
    );
    if !booked.is_empty() {
        let ids: Vec<String> = booked.iter().map(|r| r.rid().to_string()).collect();
        s.push_str(&format!(
            "\n  booked inside it: {} — reschedule with /release schedule",
            ids.join(", ")
        ));
    }
    s.push_str("\n  no deployment starts inside it except emergency releases");
    Outgoing::text(s).class(StateClass::Waiting)
}

/// Whether a release is ready for its window, in words.
pub fn readiness(r: &Release) -> String {
    let authorized = r.lifecycle.state.is_authorized();
    format!(
        "{} — {}",
        r.lifecycle.state,
        if authorized {
            "authorized"
        } else {
            "not authorized yet"
        }
    )
}

/// Which announcement of a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Ahead of the opening (by this long).
    Before(chrono::Duration),
    /// It opened.
    Open,
    /// It closed.
    Close,
}

/// One window announcement.
pub fn announcement(
    phase: Phase,
    o: &Opening,
    serves: &[String],
    releases: &[Release],
    missed: &[Release],
    freeze: Option<&str>,
    tz: Tz,
) -> Outgoing {
    let head = match phase {
        Phase::Before(d) => format!(
            "Release window {} opens in {}: {} ({})",
            o.window,
            ahead(d),
            times(o, tz),
            tz.name()
        ),
        Phase::Open => format!(
            "Release window {} is open: {} ({})",
            o.window,
            times(o, tz),
            tz.name()
        ),
        Phase::Close => format!("Release window {} has closed ({})", o.window, times(o, tz)),
    };
    let mut s = format!("{head}\n  serves: {}", serves.join(", "));
    if let Some(f) = freeze {
        s.push_str(&format!(
            "\n  inside the freeze {f}: only emergency releases may deploy"
        ));
    }
    let listed: Vec<&Release> = releases
        .iter()
        .filter(|r| !missed.iter().any(|m| m.row == r.row))
        .collect();
    if releases.is_empty() {
        s.push_str("\n  no releases scheduled");
    } else if !listed.is_empty() {
        for r in listed {
            s.push_str(&format!(
                "\n  {} {} ({}) — {}",
                r.rid(),
                r.name,
                r.version,
                readiness(r)
            ));
        }
    }
    for r in missed {
        s.push_str(&format!(
            "\n  MISSED: {} {} was not deployed in this window ({})",
            r.rid(),
            r.name,
            r.lifecycle.state
        ));
    }
    Outgoing::text(s).class(StateClass::Waiting)
}

/// The missed-window notice for subscribers.
pub fn missed(r: &Release, o: &Opening, tz: Tz) -> Outgoing {
    Outgoing::text(format!(
        "{} {} missed its window {} — state {}. Reschedule it with /release schedule.",
        r.rid(),
        r.name,
        span(o, tz),
        r.lifecycle.state
    ))
    .class(StateClass::Waiting)
    .about([r.rid()])
}

/// Two notices to one person as one message.
pub fn joined(first: &Outgoing, second: &Outgoing) -> Outgoing {
    let mut both = first.clone();
    both.append(second);
    both
}

/// `/calendar show`.
pub fn show(
    days: u32,
    openings: &[(Opening, Vec<String>, Vec<Release>)],
    freezes: &[Freeze],
    tz: Tz,
) -> Outgoing {
    let mut s = format!("Release calendar — next {days} days ({})", tz.name());
    if openings.is_empty() {
        s.push_str("\n  no window opens in this period");
    }
    for (o, serves, releases) in openings {
        s.push_str(&format!("\n  {} · {}", span(o, tz), serves.join(", ")));
        if let Some(f) = freezes.iter().find(|f| f.overlaps(o.start, o.end)) {
            s.push_str(&format!(" · FROZEN ({})", f.name));
        }
        for r in releases {
            s.push_str(&format!(
                "\n      {} {} ({}) — {}",
                r.rid(),
                r.name,
                r.version,
                readiness(r)
            ));
        }
    }
    if !freezes.is_empty() {
        s.push_str("\n  freezes:");
        for f in freezes {
            s.push_str(&format!(
                "\n    {} {} – {}{}",
                f.name,
                show_time(f.from, tz),
                show_time(f.to, tz),
                f.reason.as_ref().map(|r| format!(" — {r}")).unwrap_or_default()
            ));
        }
    }
    Outgoing::text(s)
}

/// `/calendar ics`: an RFC 5545 file of windows, freezes and scheduled releases.
pub fn ics(
    days: u32,
    openings: &[(Opening, Vec<String>, Vec<Release>)],
    freezes: &[Freeze],
    now: DateTime<Utc>,
    tz: Tz,
) -> Outgoing {
    let mut cal = icalendar::Calendar::new();
    cal.name("release-desk");
    let stamp = |e: &mut icalendar::Event| {
        e.timestamp(now);
    };
    for (o, serves, releases) in openings {
        let mut e = icalendar::Event::new();
        stamp(&mut e);
        e.uid(&format!(
            "window-{}-{}@release-desk",
            o.window,
            o.start.timestamp()
        ))
        .summary(&format!("Release window {} ({})", o.window, serves.join(", ")))
        .starts(o.start)
        .ends(o.end);
        if !releases.is_empty() {
            let list: Vec<String> = releases
                .iter()
                .map(|r| format!("{} {} ({})", r.rid(), r.name, r.version))
                .collect();
            e.description(&format!("Scheduled: {}", list.join("; ")));
        }
        cal.push(e.done());
        for r in releases {
            let mut e = icalendar::Event::new();
            stamp(&mut e);
            e.uid(&format!(
                "release-{}-{}@release-desk",
                r.number,
                o.start.timestamp()
            ))
            .summary(&format!("{} {} {}", r.rid(), r.name, r.version))
            .description(&readiness(r))
            .starts(o.start)
            .ends(o.end);
            cal.push(e.done());
        }
    }
    for f in freezes {
        let mut e = icalendar::Event::new();
        stamp(&mut e);
        e.uid(&format!(
            "freeze-{}-{}@release-desk",
            f.name.replace(char::is_whitespace, "-"),
            f.from.timestamp()
        ))
        .summary(&format!("Freeze: {}", f.name))
        .starts(f.from)
        .ends(f.to);
        if let Some(r) = &f.reason {
            e.description(r);
        }
        cal.push(e.done());
    }
    let text = cal.done().to_string();
    let events = openings.len() + openings.iter().map(|o| o.2.len()).sum::<usize>() + freezes.len();
    Outgoing {
        attachment: Some(Attachment {
            name: "release-desk.ics".into(),
            content: text.into_bytes(),
        }),
        ..Outgoing::text(format!(
            "Release calendar for the next {days} days: {} in release-desk.ics ({})",
            super::human::count(events as i64, "event", "events"),
            tz.name()
        ))
    }
}
