//! The calendar's tests, by theme; the shared builders are here.

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

mod booking;
mod cron_native;
mod gate;
mod openings;
mod properties;
