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

/// Records an answer (`answer`) and forgets `forgets` taken ones, in the
/// values' order: token, guild, channel, answer, id, then the ids taken.
/// SQLite: statements with `?` placeholders, each ended, to go before the
/// `COMMIT` of the same text. PostgreSQL: one statement (a prepared
/// statement holds one), the forgetting as a data-modifying `WITH`, which
/// runs whether or not the outer statement reads it; it cannot touch the
/// recorded row, which was claimed by this transaction, so taken by nobody yet.
pub(super) fn answers_written(b: Backend, answer: bool, forgets: usize) -> String {
    let mut n = 0;
    let mut mark = || match b {
        Backend::Sqlite => "?".to_string(),
        Backend::Postgres => {
            n += 1;
            format!("${n}")
        }
    };
    let record = answer.then(|| {
        let [token, guild, channel, json, id] = [(); 5].map(|_| mark());
        format!("UPDATE interactions SET token = {token}, guild = {guild}, channel = {channel}, answer = {json} WHERE id = {id}")
    });
    let forget = (forgets > 0).then(|| {
        let ids: Vec<String> = (0..forgets).map(|_| mark()).collect();
        format!(
            "UPDATE interactions SET token = NULL, answer = NULL WHERE token IS NOT NULL AND id IN ({})",
            ids.join(", ")
        )
    });
    match (b, record, forget) {
        (Backend::Postgres, Some(record), Some(forget)) => format!("WITH taken AS ({forget}) {record}"),
        (Backend::Postgres, record, forget) => record.or(forget).unwrap_or_default(),
        (Backend::Sqlite, record, forget) => record.into_iter().chain(forget).map(|s| s + ";\n").collect(),
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
