//! Why `migrate-db` copies nothing, as facts (render/migrate_db words
//! them), and the URL without its password for any message.

use super::canonical::Kind;
use std::path::PathBuf;

/// Why nothing was copied (the target is left as it was).
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// `--from` names no file (an in-memory database).
    SourceNotAFile,
    /// `--from` names a file that does not exist.
    SourceMissing {
        /// The file.
        path: PathBuf,
    },
    /// A running bot holds the source.
    SourceLocked {
        /// The file.
        path: PathBuf,
        /// The bot's pid, when readable.
        pid: Option<u32>,
    },
    /// The source has no release-desk migrations.
    SourceUnknown {
        /// The file.
        path: PathBuf,
    },
    /// The source's migrations are not this binary's (a newer release-desk wrote it).
    SourceNewer {
        /// The source's schema version.
        version: i64,
        /// The newest this binary knows.
        known: i64,
    },
    /// `--to` is not a postgres:// URL.
    TargetNotPostgres,
    /// The target's schema version is not the source's.
    TargetVersion {
        /// The source's.
        source: i64,
        /// The target's.
        target: i64,
    },
    /// The target has tables but no release-desk migrations.
    TargetForeign {
        /// One of its tables.
        table: String,
    },
    /// The target holds rows.
    TargetNotEmpty {
        /// Each table with rows, and how many.
        tables: Vec<(String, i64)>,
    },
    /// A table is in one database only (the same version should make this impossible).
    TableMissing {
        /// The table.
        table: String,
        /// True when it is the target that lacks it.
        in_target: bool,
    },
    /// A table's columns differ between the two.
    ColumnsDiffer {
        /// The table.
        table: String,
        /// The source's columns.
        source: Vec<String>,
        /// The target's columns.
        target: Vec<String>,
    },
    /// A target column of a type the copy does not know, or not the source column's.
    UnknownType {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Its type.
        ty: String,
    },
    /// A source value the target column cannot hold.
    BadValue {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The row's key values.
        key: String,
        /// What the source holds there.
        found: &'static str,
        /// What the column holds.
        expected: Kind,
    },
    /// The source's foreign keys form a cycle: no order to copy in.
    ReferenceCycle,
    /// After the copy, a table's count or checksum differs (nothing was committed).
    Mismatch {
        /// The table.
        table: String,
        /// The source's rows and checksum.
        source: (u64, String),
        /// The target's.
        target: (u64, String),
    },
}

/// A refusal, or an error on the way.
#[derive(Debug)]
pub enum Failure {
    /// Refused: see the reason.
    Refused(Refusal),
    /// Something failed (connection, statement).
    Error(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Error(e)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::Error(e.into())
    }
}

impl From<Refusal> for Failure {
    fn from(r: Refusal) -> Self {
        Failure::Refused(r)
    }
}

/// `url` with its password (in the user part or a `password=` parameter)
/// replaced by `***`, for messages.
pub fn redacted(url: &str) -> String {
    let (url, query) = match url.split_once('?') {
        Some((u, q)) => (u, Some(q)),
        None => (url, None),
    };
    let mut out = redacted_userinfo(url);
    if let Some(q) = query {
        let params: Vec<String> = q
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

fn redacted_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let authority_end = url[scheme_end..].find('/').map_or(url.len(), |i| scheme_end + i);
    match url[scheme_end..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &url[scheme_end..scheme_end + at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end], &url[scheme_end + at..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_never_shown() {
        assert_eq!(
            redacted("postgres://u:s3cret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redacted("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
        assert_eq!(redacted("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redacted("postgres://h/db?user=a"), "postgres://h/db?user=a");
        assert_eq!(
            redacted("postgres://h/db?user=a&password=x&sslmode=disable"),
            "postgres://h/db?user=a&password=***&sslmode=disable"
        );
        assert!(!redacted("postgresql://admin:hunter2@10.0.0.1/x").contains("hunter2"));
    }
}
