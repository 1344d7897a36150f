//! The database a benchmark runs on: SQLite files (the default), or with
//! `BENCH_DATABASE=postgres` a throwaway PostgreSQL cluster the bench starts
//! itself (tests/common/pg.rs: 127.0.0.1, a free port, stopped on drop), or
//! with `BENCH_DATABASE_URL=postgres://…` that server. Each database the
//! bench asks for is a new one there, so runs never see each other's rows.
//! `common::backend`, for the benches that take both backends.
#![allow(dead_code)] // not every bench asks for every item

use super::pg;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the bench's databases live.
pub enum Backend {
    /// SQLite files at the paths the bench chooses.
    Sqlite,
    /// New databases on a PostgreSQL server: one this bench started (kept
    /// here so it is stopped when the bench ends), or one it was given.
    Postgres {
        server: String,
        cluster: Option<pg::Cluster>,
    },
}

impl Backend {
    /// From `BENCH_DATABASE_URL` (a PostgreSQL server) or `BENCH_DATABASE`
    /// (`sqlite`, the default, or `postgres`); panics on anything else.
    pub fn from_env() -> Backend {
        if let Some(url) = std::env::var("BENCH_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            assert!(
                release_desk::db::is_postgres(&url),
                "BENCH_DATABASE_URL names a PostgreSQL server (postgres://…), not {}",
                pg::redacted(&url)
            );
            return Backend::Postgres {
                server: url,
                cluster: None,
            };
        }
        match std::env::var("BENCH_DATABASE").unwrap_or_default().as_str() {
            "" | "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" | "pg" => {
                let cluster = pg::Cluster::start();
                Backend::Postgres {
                    server: cluster.url(),
                    cluster: Some(cluster),
                }
            }
            other => panic!("BENCH_DATABASE is sqlite or postgres, not {other:?}"),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Backend::Postgres { .. })
    }

    /// A new database: the SQLite file at `path`, or a new database on the server.
    pub fn database(&self, path: &Path) -> String {
        match self {
            Backend::Sqlite => path.to_str().expect("a UTF-8 bench path").to_string(),
            Backend::Postgres { server, .. } => pg::create_database(server),
        }
    }

    /// The server's URL (PostgreSQL only).
    pub fn server(&self) -> Option<&str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres { server, .. } => Some(server),
        }
    }

    /// What the bench runs on, for its first line: the backend, the server's
    /// version and the settings that decide a commit's cost.
    pub async fn describe(&self) -> String {
        let Backend::Postgres { server, cluster } = self else {
            return "SQLite (files in a temporary directory; WAL, synchronous = NORMAL)".into();
        };
        let settings = async {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(server).await.ok()?;
            let mut shown = Vec::new();
            for name in ["server_version", "fsync", "synchronous_commit"] {
                let v: String = release_desk::db::query_scalar(&format!("SHOW {name}"))
                    .fetch_one(&mut conn)
                    .await
                    .ok()?;
                shown.push(format!("{name} = {v}"));
            }
            Some(shown.join(", "))
        }
        .await
        .unwrap_or_else(|| "settings unknown".into());
        let whose = if cluster.is_some() {
            "a throwaway cluster this bench started"
        } else {
            "the server of BENCH_DATABASE_URL"
        };
        format!("PostgreSQL at {} ({whose}; {settings})", pg::redacted(server))
    }
}

/// `pgbench` of the PostgreSQL installation that has the server programs:
/// on PATH, else the newest /usr/lib/postgresql/*/bin (Debian's place).
pub fn pgbench() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("pgbench"))
        .find(|p| p.is_file());
    on_path.or_else(|| {
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                Some((
                    e.file_name().to_str()?.parse().ok()?,
                    e.path().join("bin/pgbench"),
                ))
            })
            .filter(|(_, p)| p.is_file())
            .collect();
        found.sort();
        found.pop().map(|(_, p)| p)
    })
}

/// Transactions per second `pgbench` reports for `n` runs of `script` on
/// `database` (a URL), one client, prepared statements; or why not.
pub fn pgbench_rate(database: &str, script: &str, n: usize) -> Result<f64, String> {
    let program = pgbench().ok_or("pgbench not found (Debian's postgresql package has it)")?;
    let file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    std::fs::write(file.path(), script).map_err(|e| e.to_string())?;
    let out = Command::new(&program)
        .args(["-n", "-M", "prepared", "-c", "1", "-t", &n.to_string(), "-f"])
        .arg(file.path())
        .arg(database)
        .output()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "pgbench exited with {}: {text}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    // "tps = 1234.567890 (without initial connection time)"
    text.lines()
        .filter(|l| l.starts_with("tps = "))
        .find_map(|l| l["tps = ".len()..].split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("no tps line in pgbench's output: {text}"))
}
