//! The SQL that differs between SQLite and PostgreSQL, one fragment or
//! statement per backend; everything else is one text for both.

use super::Backend;

/// Claims an interaction id; returns a number whose multiples of 256 are
/// the cue to forget old ids (SQLite: the rowid, which counts claims;
/// PostgreSQL has none, so a hash of the id, as evenly spread).
pub(super) fn claim_interaction(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "INSERT OR IGNORE INTO interactions (id, seen_at) VALUES ($1, $2) RETURNING rowid",
        Backend::Postgres => {
            "INSERT INTO interactions (id, seen_at) VALUES ($1, $2) ON CONFLICT DO NOTHING
             RETURNING CAST(hashtext(id) & 255 AS BIGINT)"
        }
    }
}

/// The answers owed, oldest first (equal times in claim order on SQLite;
/// by id on PostgreSQL, which keeps no insertion order).
pub(super) fn unanswered(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => {
            "SELECT id, token, guild, channel, answer FROM interactions
             WHERE token IS NOT NULL AND guild = $3 AND seen_at >= $1 AND seen_at < $2 ORDER BY seen_at, rowid"
        }
        Backend::Postgres => {
            "SELECT id, token, guild, channel, answer FROM interactions
             WHERE token IS NOT NULL AND guild = $3 AND seen_at >= $1 AND seen_at < $2 ORDER BY seen_at, id"
        }
    }
}

/// Whole weeks in a non-negative number of `days`: SQLite's CAST to an
/// integer truncates; PostgreSQL's rounds to the nearest (day 4 would be
/// week 1), so it truncates first.
pub(super) fn whole_weeks(b: Backend, days: &str) -> String {
    match b {
        Backend::Sqlite => format!("CAST({days} / 7 AS BIGINT)"),
        Backend::Postgres => format!("CAST(trunc({days} / 7) AS BIGINT)"),
    }
}
