//! Every storage-facing test takes its database from the switch
//! (`RELEASE_DESK_TEST_POSTGRES`, through `common::database_url`), so the
//! PostgreSQL pass of scripts/test really runs it on PostgreSQL. Found from
//! the source: a test outside `tests/common/` and outside scripts/test's
//! `sqlite_only` binaries that opens a database from anything but
//! `database_url` (`Db::open(path.to_str()…)`), hands the binary a `--db`
//! that is not one, or names SQLite itself (`sqlite://`, sqlx's SQLite
//! types) needs an entry in [`ALLOWED`] saying why.

/// What opens a database, by its first argument.
const OPENERS: &[&str] = &["Db::open(", "Db::open_at(", "Db::open_service("];

/// What names SQLite itself wherever it stands.
const SQLITE_NAMES: &[&str] = &[
    "sqlite://",
    "SqliteConnectOptions",
    "SqliteConnection",
    "SqlitePool",
];

/// The places that keep SQLite on purpose: (file, a fragment of what was
/// found, why). An entry that matches nothing is reported too.
pub const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "tests/write_tx.rs",
        "Db::open(&url)",
        "url is common::database_url's, kept to connect another writer to the same database",
    ),
    (
        "tests/write_tx.rs",
        "SqliteConnectOptions::from_str",
        "another writer on the SQLite file, refused by SQLite's own lock (PostgreSQL's branch tries the advisory lock)",
    ),
    (
        "tests/write_tx.rs",
        "SqliteConnection::connect_with",
        "that other writer's connection, SQLite's branch only",
    ),
    (
        "tests/fake_discord/bot.rs",
        "SqliteConnectOptions",
        "pending_deliveries reads the bot's SQLite file read-only; on PostgreSQL it connects to the bot's URL",
    ),
    (
        "tests/discord_gateway.rs",
        "url = \\\"sqlite://{}\\\"",
        "a configuration refused at start: no database is opened, and the test checks no file was written",
    ),
    (
        "tests/restart.rs",
        "Db::open_service(path.to_str()",
        "the checkpointer and the -wal file it empties are SQLite's",
    ),
    (
        "tests/cab_workflow.rs",
        "Db::open_at(&url",
        "SQLite's migration 17 over its own data; PostgreSQL's migrations start from an empty database",
    ),
    (
        "tests/console_input.rs",
        "\"--db\".as_ref(), db, \"--start\"",
        "console_on passes --db as given: console() hands it common::database_url, the backup test its file",
    ),
    (
        "tests/console_input.rs",
        "\"--db\".as_ref(), db.as_os_str(), \"--to\"",
        "backup copies an SQLite file (VACUUM INTO); PostgreSQL's is pg_dump",
    ),
    (
        "tests/console_input.rs",
        "Db::open(db.to_str()",
        "backup copies an SQLite file (VACUUM INTO); PostgreSQL's is pg_dump",
    ),
    (
        "tests/console_input.rs",
        "Db::open(copy.to_str()",
        "backup copies an SQLite file (VACUUM INTO); PostgreSQL's is pg_dump",
    ),
    (
        "tests/cli.rs",
        "\"--db\".as_ref(), db, \"--from\"",
        "run_report_on passes --db as given: run_report hands it common::database_url, the refusal test a file that is not there",
    ),
    (
        "tests/leadership.rs",
        "Db::open(&url)",
        "a cluster of its own: the leader's advisory lock is PostgreSQL's",
    ),
];

/// The binaries scripts/test does not run again on PostgreSQL (its
/// `sqlite_only=( … )` list, one name a line, each with its reason).
pub fn sqlite_only(script: &str) -> Vec<String> {
    script
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("sqlite_only=("))
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with(')'))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| !w.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Whether the checks apply to `path`: not the switch's own helper, not a
/// file of a `sqlite_only` binary (`tests/NAME.rs` or under `tests/NAME/`).
fn checked(path: &str, sqlite_only: &[String]) -> bool {
    let Some(rel) = path.strip_prefix("tests/") else {
        return false;
    };
    let first = rel.split('/').next().unwrap_or("").trim_end_matches(".rs");
    first != "common" && !sqlite_only.iter().any(|s| s == first)
}

/// `text` with whole-line comments blanked (line numbers kept; a `//`
/// inside a line may be `sqlite://`, so only lines that start with one).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| if l.trim_start().starts_with("//") { "" } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text of the call whose `(` is at `open` in `code`, up to its `)`,
/// whitespace runs as one space.
fn call_text(code: &str, open: usize) -> String {
    let mut depth = 0;
    let mut end = code.len();
    for (i, c) in code[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    end = open + i + 1;
                    break;
                }
            }
            _ => {}
        }
    }
    squeeze(&code[open..end])
}

fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn line_of(code: &str, at: usize) -> usize {
    code[..at].matches('\n').count() + 1
}

/// Everything in `files` (path, text) that opens SQLite behind the
/// switch's back: (path, line, what was found).
pub fn direct_sqlite(files: &[(String, String)], sqlite_only: &[String]) -> Vec<(String, usize, String)> {
    let mut found = Vec::new();
    for (path, text) in files.iter().filter(|(p, _)| checked(p, sqlite_only)) {
        let code = code(text);
        for opener in OPENERS {
            for (at, _) in code.match_indices(opener) {
                let open = at + opener.len() - 1;
                let call = call_text(&code, open);
                // `bot.url` and the like: a harness's URL, itself from database_url.
                let arg = call.trim_start_matches('(').split(',').next().unwrap_or("");
                let from_switch =
                    call.contains("database_url(") || arg.trim_end_matches(')').ends_with(".url");
                if !from_switch {
                    found.push((
                        path.clone(),
                        line_of(&code, at),
                        format!("{}{call}", &opener[..opener.len() - 1]),
                    ));
                }
            }
        }
        for (at, _) in code.match_indices("\"--db\"") {
            // The argument after it: within the rest of this line and the next two.
            let after: String = code[at..].splitn(4, '\n').take(3).collect::<Vec<_>>().join(" ");
            if !after.contains("database_url(") {
                found.push((path.clone(), line_of(&code, at), squeeze(&after)));
            }
        }
        for name in SQLITE_NAMES {
            for (at, _) in code.match_indices(name) {
                let line = code[..at].rsplit('\n').next().unwrap_or("").len();
                let start = at - line;
                let end = code[at..].find('\n').map_or(code.len(), |i| at + i);
                found.push((path.clone(), line_of(&code, at), squeeze(&code[start..end])));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// What is wrong: each finding no entry of `allowed` explains, and each
/// entry that explains nothing (stale).
pub fn unexplained(found: &[(String, usize, String)], allowed: &[(&str, &str, &str)]) -> Vec<String> {
    let explains = |(file, fragment, _): &(&str, &str, &str), (path, _, what): &(String, usize, String)| {
        file == path && what.contains(fragment)
    };
    let mut errs: Vec<String> = found
        .iter()
        .filter(|f| !allowed.iter().any(|a| explains(a, f)))
        .map(|(path, line, what)| {
            format!("{path}:{line}: opens SQLite behind the switch (use common::database_url, or allow it with why): {what}")
        })
        .collect();
    errs.extend(
        allowed
            .iter()
            .filter(|a| !found.iter().any(|f| explains(a, f)))
            .map(|(file, fragment, _)| format!("allowed but not found (stale): {file}: {fragment}")),
    );
    errs
}
