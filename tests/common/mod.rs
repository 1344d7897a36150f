//! Test support: the real application and console platform on a real SQLite
//! file, or with `RELEASE_DESK_TEST_POSTGRES` set, on a new database of that
//! PostgreSQL server (see [`pg`]).
#![allow(dead_code)]

pub mod pg;

pub use pg::database_url;

use release_desk::app::App;
use release_desk::chat::console::{self, ConsoleChat};
use release_desk::chat::Chat;
use release_desk::clock::ManualClock;
use release_desk::config::Config;
use release_desk::db::Db;
use release_desk::handlers::{Invoker, Reply};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// A shared buffer the console prints into.
#[derive(Clone, Default)]
pub struct Buffer(pub Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The application and the console platform, in process.
pub struct Harness {
    pub app: App,
    pub chat: ConsoleChat,
    pub clock: ManualClock,
    pub out: Buffer,
}

impl Harness {
    /// The defaults without release windows (see tests/no-windows.toml).
    pub async fn open(path: &Path) -> Harness {
        Self::with_config(path, no_windows()).await
    }

    /// The application with `config` on the database kept at `path` (see [`database_url`]).
    pub async fn with_config(path: &Path, config: Config) -> Harness {
        let db = Db::open(&database_url(path)).await.unwrap();
        let clock = ManualClock::new("2026-12-01T09:00:00Z".parse().unwrap());
        let app = App {
            db: db.clone(),
            config: Arc::new(config),
            clock: Arc::new(clock.clone()),
            workspace: console::GUILD.to_string(),
            pipelines: None,
            telemetry: Default::default(),
            leader: Default::default(),
        };
        let out = Buffer::default();
        let sink: console::Out = Arc::new(Mutex::new(Box::new(out.clone())));
        let chat = ConsoleChat::new(db, sink).with_files(path.parent().unwrap().to_path_buf());
        Harness {
            app,
            chat,
            clock,
            out,
        }
    }

    /// Runs console lines exactly as the console does.
    pub async fn run(&self, lines: &str) {
        console::run(&self.app, &self.chat, &self.clock, lines.as_bytes(), false)
            .await
            .unwrap();
    }

    /// `user` with the chat roles `roles` (comma-separated), in #general.
    fn invoker(&self, user: &str, roles: &str) -> Invoker {
        Invoker {
            actor: release_desk::domain::records::Actor {
                id: user.into(),
                name: user.into(),
                roles: self.app.config.itil_roles(roles.split(',')),
            },
            channel: "general".into(),
        }
    }

    /// Runs a command and commits its effects without delivering anything.
    pub async fn command_only(&self, user: &str, roles: &str, line: &str) -> Reply {
        self.app
            .command_line(console::GUILD, &self.invoker(user, roles), line)
            .await
    }

    /// [`Harness::command_only`] once per `key`, as the Discord adapter runs
    /// an interaction: None when the key changed records before.
    pub async fn command_keyed(&self, user: &str, roles: &str, line: &str, key: &str) -> Option<Reply> {
        let cmd = release_desk::command::Command::parse(line, self.app.config.timezone).unwrap();
        self.app
            .command_once(console::GUILD, &self.invoker(user, roles), cmd, key, None)
            .await
    }

    /// Posts outbox entry `id` to the platform without recording it, as a
    /// crash right after the platform accepted it would leave things.
    pub async fn post_without_recording(&self, channel: &str) {
        let mut conn = self.app.db.pool.acquire().await.unwrap();
        let entries = release_desk::db::outbox::pending(&mut conn, console::GUILD, self.clock_now(), 100)
            .await
            .unwrap();
        let (id, body) = entries
            .into_iter()
            .find_map(|e| match e.action {
                release_desk::db::outbox::Action::Post { channel: c, body } if c == channel => {
                    Some((e.id, body))
                }
                _ => None,
            })
            .expect("a pending post");
        self.chat.post(channel, &body, &format!("rd{id}")).await.unwrap();
    }

    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use release_desk::clock::Clock;
        self.clock.now()
    }

    pub async fn settle(&self) {
        self.app
            .settle(&self.chat, chrono::Duration::zero())
            .await
            .unwrap();
        self.chat.flush_reacts();
    }

    pub fn output(&self) -> String {
        String::from_utf8(self.out.0.lock().unwrap().clone()).unwrap()
    }
}

/// The test configuration without release windows.
pub fn no_windows() -> Config {
    Config::from_layers(Some(&std::fs::read_to_string(no_windows_path()).unwrap())).unwrap()
}

/// Where that configuration lives.
pub fn no_windows_path() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/no-windows.toml")
}

/// A write transaction that holds the database's write lock: on SQLite a
/// transaction takes it with its first statement, so one is run.
pub async fn holding_the_write_lock(db: &Db) -> release_desk::db::Tx {
    let mut tx = db.begin().await.unwrap();
    let one: i64 = release_desk::db::query_scalar("SELECT CAST(1 AS BIGINT)")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    assert_eq!(one, 1);
    tx
}

pub async fn sql_count(db: &Db, sql: &str) -> i64 {
    release_desk::db::query_scalar(sql)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// The tables of the schema (the migrator's own excepted), by name.
pub async fn table_names(db: &Db) -> Vec<String> {
    let sql = match db.backend() {
        release_desk::db::Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT LIKE '_sqlx%' ORDER BY name"
        }
        release_desk::db::Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = 'public' \
             AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_sqlx%' ORDER BY 1"
        }
    };
    release_desk::db::query_scalar(sql)
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

/// The columns of `table`, in order.
pub async fn column_names(db: &Db, table: &str) -> Vec<String> {
    let sql = match db.backend() {
        release_desk::db::Backend::Sqlite => "SELECT name FROM pragma_table_info($1) ORDER BY cid",
        release_desk::db::Backend::Postgres => {
            "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position"
        }
    };
    release_desk::db::query_scalar(sql)
        .bind(table)
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

/// The SQL function that shows a value as text with its type kept apart
/// (SQLite's `quote`, PostgreSQL's `quote_nullable`).
pub fn quote_fn(db: &Db) -> &'static str {
    match db.backend() {
        release_desk::db::Backend::Sqlite => "quote",
        release_desk::db::Backend::Postgres => "quote_nullable",
    }
}

/// Everything stored, as text, to prove a refused command changed nothing:
/// every column of every row (`quote()` keeps types and blobs apart), the
/// rows of a table in a stable order.
pub async fn snapshot(db: &Db) -> String {
    let tables: Vec<String> = table_names(db)
        .await
        .into_iter()
        .filter(|t| !t.starts_with("console_"))
        .collect();
    let mut out = String::new();
    for t in tables {
        let columns = column_names(db, &t).await;
        assert!(!columns.is_empty(), "table {t} has no columns");
        let row = columns
            .iter()
            .map(|c| format!("{}(\"{}\")", quote_fn(db), c.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" || ',' || ");
        let rows: Vec<String> =
            release_desk::db::query_scalar(&format!("SELECT {row} AS r FROM \"{t}\" ORDER BY r"))
                .fetch_all(&db.pool)
                .await
                .unwrap_or_else(|e| panic!("snapshot of {t}: {e}"));
        out.push_str(&format!("{t} ({}): {}\n", columns.join(","), rows.join(" | ")));
    }
    out
}

/// Runs the real binary's console over `script`, without release windows.
pub fn console_run(script: &str, db: &Path, start: &str) -> String {
    console_run_with(script, db, Some(&no_windows_path()), start)
}

/// Runs the real binary's console over `script` with a configuration file (or the defaults).
pub fn console_run_with(script: &str, db: &Path, config: Option<&Path>, start: &str) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_release-desk"));
    cmd.args(["console", "--db"])
        .arg(database_url(db))
        .args(["--start", start]);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    // On a server the console writes its attachments in its directory: the test's.
    if let (Some(_), Some(dir)) = (pg::switched_server(), db.parent()) {
        cmd.current_dir(dir);
    }
    let mut child = cmd
        .env_remove("DISCORD_TOKEN")
        .env_remove("DATABASE_URL")
        .env_remove("RELEASE_DESK_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "console exited with {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The channel of workspace `guild`'s bot message with platform id
/// `message` (a reaction arrives with both).
pub async fn channel_of(db: &Db, guild: &str, message: &str) -> String {
    release_desk::db::query_scalar("SELECT channel FROM bot_messages WHERE guild = $1 AND platform_id = $2")
        .bind(guild)
        .bind(message)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// Runs the real binary with `args` and `stdin` piped in, with no chat
/// token, database URL or config file taken from the environment.
pub fn release_desk(args: &[&std::ffi::OsStr], stdin: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_release-desk"))
        .args(args)
        .env_remove("DISCORD_TOKEN")
        .env_remove("DATABASE_URL")
        .env_remove("RELEASE_DESK_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}
