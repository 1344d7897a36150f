//! A throwaway PostgreSQL cluster for tests: `initdb` into a temporary
//! directory, a server on 127.0.0.1 on a free port with its socket inside
//! that directory, stopped (`pg_ctl stop -m immediate`) and removed on drop.
//! Never the system's cluster or port 5432. As root, the server programs run
//! as the `postgres` user (they refuse root).
//!
//! Also the switch that puts a test's database on PostgreSQL: with
//! `RELEASE_DESK_TEST_POSTGRES=<server url>` set, [`database_url`] answers a
//! new database on that server instead of the SQLite file.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The variable naming the PostgreSQL server the storage tests use instead of SQLite.
pub const SWITCH: &str = "RELEASE_DESK_TEST_POSTGRES";

/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running throwaway cluster.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    /// Starts a cluster; panics with what is missing or what went wrong.
    pub fn start() -> Cluster {
        Self::try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts a cluster, or says why it could not.
    pub fn try_start() -> Result<Cluster, String> {
        let bin = server_programs()?;
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("release-desk-pg.")
            .tempdir()
            .map_err(|e| format!("temporary directory for PostgreSQL: {e}"))?;
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(dir.path()))?;
        }
        let mut cluster = Cluster {
            dir,
            bin,
            port: 0,
            as_postgres,
        };
        cluster.initdb()?;
        // Another process may take the free port before the server binds it: try again.
        let mut last = String::new();
        for _ in 0..3 {
            cluster.port = free_port()?;
            match cluster.pg_ctl_start() {
                Ok(()) => return Ok(cluster),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The server's URL (its `postgres` database).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of a new, empty database on this cluster.
    pub fn fresh_database(&self) -> String {
        create_database(&self.url())
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `program` from the server's directory, as the `postgres` user when root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn initdb(&self) -> Result<(), String> {
        // C collation: text compares as bytes, as SQLite's does (times are RFC 3339 text).
        run(self
            .command("initdb")
            .arg("-D")
            .arg(self.data())
            .args([
                "--auth=trust",
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .current_dir(self.dir.path()))
        .map(drop)
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=300",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        // -w: pg_ctl returns once the server accepts connections (or fails at the timeout).
        let started = run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-o", &options, "-l"])
            .arg(&log)
            .args(["-w", "-t", &START_TIMEOUT.as_secs().to_string(), "start"])
            .current_dir(self.dir.path()));
        started.map(drop).map_err(|e| {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            format!(
                "PostgreSQL did not start accepting connections on 127.0.0.1:{}: {e}\nserver log:\n{log}",
                self.port
            )
        })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.port != 0 {
            let _ = self
                .command("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["stop", "-m", "immediate", "-w"])
                .current_dir(self.dir.path())
                .output();
        }
    }
}

/// The directory holding `initdb` and `pg_ctl`: the one on PATH, else the
/// newest /usr/lib/postgresql/*/bin (Debian keeps them there).
fn server_programs() -> Result<PathBuf, String> {
    let has_both = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(d) = std::env::split_paths(&path).find(|d| has_both(d)) {
            return Ok(d);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, d)| has_both(d))
        .collect();
    versions.sort();
    versions.pop().map(|(_, d)| d).ok_or_else(|| {
        "PostgreSQL's server programs (initdb, pg_ctl) are not on PATH nor in /usr/lib/postgresql/*/bin: \
         install Debian's `postgresql` package (apt-get install postgresql)"
            .to_string()
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("a free port: {e}"))
}

/// Runs `cmd`; its output, or what it said when it failed.
fn run(cmd: &mut Command) -> Result<Output, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{cmd:?} exited with {}: {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// `server` (a PostgreSQL URL) with its database part replaced by `database`.
pub fn with_database(server: &str, database: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{database}", &base[..end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// A new database's name, unique on a server shared by test processes.
fn database_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "rd_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Creates an empty database on `server` and returns its URL. Usable from
/// async code and plain tests alike: the creation runs on its own thread.
pub fn create_database(server: &str) -> String {
    let server = server.to_string();
    std::thread::spawn(move || {
        let name = database_name();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            use sqlx::{Connection, Executor};
            let mut conn = sqlx::PgConnection::connect(&server)
                .await
                .unwrap_or_else(|e| panic!("connecting to the test PostgreSQL {}: {e}", redacted(&server)));
            conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
                .await
                .unwrap_or_else(|e| panic!("creating database {name}: {e}"));
            conn.close().await.unwrap();
        });
        with_database(&server, &name)
    })
    .join()
    .unwrap_or_else(|_| panic!("creating a test database failed (see above)"))
}

/// `url` without its password, for messages.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
            None => url.to_string(),
        },
        _ => url.to_string(),
    }
}

/// The server the storage tests run on instead of SQLite, if the switch is set.
pub fn switched_server() -> Option<String> {
    std::env::var(SWITCH).ok().filter(|s| !s.is_empty())
}

/// The database a test keeps at `path`: that SQLite file, or with the switch
/// set, a new PostgreSQL database on the switch's server, the same one each
/// time for the same path (a test that reopens its database or restarts the
/// binary on it finds its records).
pub fn database_url(path: &Path) -> String {
    database_url_on(switched_server().as_deref(), path)
}

/// [`database_url`] with the switch's server given.
pub fn database_url_on(server: Option<&str>, path: &Path) -> String {
    match server {
        None => path.to_str().expect("a UTF-8 test path").to_string(),
        Some(server) => {
            type ByPath = HashMap<(String, PathBuf), String>;
            static BY_PATH: Mutex<Option<ByPath>> = Mutex::new(None);
            let mut map = BY_PATH.lock().unwrap_or_else(|e| e.into_inner());
            map.get_or_insert_with(HashMap::new)
                .entry((server.to_string(), path.to_path_buf()))
                .or_insert_with(|| create_database(server))
                .clone()
        }
    }
}
