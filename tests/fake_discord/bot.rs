//! The real `release-desk run` process, configured against a fake.

use super::Fake;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// Channel ids in the test config.
pub const ANNOUNCE: u64 = 2001;
pub const CAB: u64 = 2002;
pub const ECAB: u64 = 2003;
pub const DEPLOY: u64 = 2004;
/// A channel people type in.
pub const GENERAL: u64 = 2010;

/// Role ids in the test config.
pub const RELEASE_MANAGER: u64 = 3001;
pub const CHANGE_MANAGER: u64 = 3002;
pub const CAB_MEMBER: u64 = 3003;
pub const ECAB_MEMBER: u64 = 3004;
pub const BUILD_MANAGER: u64 = 3005;
pub const DEPLOYMENT_STAFF: u64 = 3006;
pub const ELS_STAFF: u64 = 3007;

/// The token the bot is given; it must never appear in its logs.
pub const TOKEN: &str = "fake-token-aXk29Qz.secret";

/// A running bot.
pub struct Bot {
    pub child: Child,
    pub dir: Option<tempfile::TempDir>,
    /// The SQLite file the database is named after (the file itself on SQLite).
    pub db: PathBuf,
    /// The database the bot runs on: [`crate::common::database_url`] of
    /// `db` (that file, or with the switch set a PostgreSQL database), or
    /// the URL given to [`Bot::start_on`]. The test's own reads open this.
    pub url: String,
    pub log: PathBuf,
    /// When the process was spawned.
    pub spawned_at: std::time::Instant,
    /// Fragments of the ERROR lines this test causes on purpose; any other
    /// ERROR line fails the test when the bot is stopped or dropped.
    pub expected_errors: Vec<String>,
    /// This test sends an event serenity cannot read, on purpose.
    pub expected_dropped_event: bool,
}

impl Bot {
    /// Starts `release-desk run` against `fake` with `extra` TOML layered over the test config.
    pub fn start(fake: &Fake, extra: &str) -> Bot {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(fake, extra, dir, super::GUILD)
    }

    /// Started with `discord.guild_id = 0`: commands registered globally.
    pub fn start_global(fake: &Fake, extra: &str) -> Bot {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(fake, extra, dir, 0)
    }

    /// The same, in an existing directory (a restart on the same database).
    pub fn start_in(fake: &Fake, extra: &str, dir: tempfile::TempDir, guild: u64) -> Bot {
        Self::start_with(
            env!("CARGO_BIN_EXE_release-desk"),
            fake,
            extra,
            dir,
            guild,
            "release_desk=debug,serenity=info",
        )
    }

    /// Bare `release-desk --config …` (no subcommand): with `DISCORD_TOKEN`
    /// set it runs the bot, as `run` does.
    pub fn start_bare(fake: &Fake) -> Bot {
        let dir = tempfile::tempdir().unwrap();
        Self::spawn(
            env!("CARGO_BIN_EXE_release-desk"),
            fake,
            "",
            dir,
            super::GUILD,
            "release_desk=debug,serenity=info",
            None,
        )
    }

    /// `release-desk run` on the database at `url` (DATABASE_URL, so the
    /// SQLite file of the test config is not used): one of several
    /// instances on one PostgreSQL database.
    pub fn start_on(fake: &Fake, extra: &str, url: &str) -> Bot {
        let mut bot = Self::spawn_on(
            env!("CARGO_BIN_EXE_release-desk"),
            fake,
            extra,
            tempfile::tempdir().unwrap(),
            super::GUILD,
            "release_desk=debug,serenity=info",
            Some("run"),
            Some(url),
        );
        bot.db = PathBuf::new();
        bot
    }

    /// `exe run` in `dir` against `fake`, logging at `log_filter`.
    pub fn start_with(
        exe: &str,
        fake: &Fake,
        extra: &str,
        dir: tempfile::TempDir,
        guild: u64,
        log_filter: &str,
    ) -> Bot {
        Self::spawn(exe, fake, extra, dir, guild, log_filter, Some("run"))
    }

    /// `exe run` in `dir` against `fake`, on the database `url` (a
    /// PostgreSQL server, say), or with `None` on the test's own database
    /// for `dir` ([`crate::common::database_url`]), as [`Bot::start_with`].
    pub fn start_with_database(
        exe: &str,
        fake: &Fake,
        dir: tempfile::TempDir,
        guild: u64,
        log_filter: &str,
        url: Option<&str>,
    ) -> Bot {
        let mut bot = Self::spawn_on(exe, fake, "", dir, guild, log_filter, Some("run"), url);
        if url.is_some() {
            bot.db = PathBuf::new();
        }
        bot
    }

    fn spawn(
        exe: &str,
        fake: &Fake,
        extra: &str,
        dir: tempfile::TempDir,
        guild: u64,
        log_filter: &str,
        subcommand: Option<&str>,
    ) -> Bot {
        Self::spawn_on(exe, fake, extra, dir, guild, log_filter, subcommand, None)
    }

    #[allow(clippy::too_many_arguments)]
    fn spawn_on(
        exe: &str,
        fake: &Fake,
        extra: &str,
        dir: tempfile::TempDir,
        guild: u64,
        log_filter: &str,
        subcommand: Option<&str>,
        database_url: Option<&str>,
    ) -> Bot {
        let db = dir.path().join("bot.sqlite");
        // The same path gives the same database again: a restart in `dir` finds its records.
        let url = match database_url {
            Some(url) => url.to_string(),
            None => crate::common::database_url(&db),
        };
        let config = dir.path().join("config.toml");
        let log = dir.path().join(format!(
            "bot-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::write(
            &config,
            format!(
                r#"
[database]
url = "{url}"
[discord]
api_base = "{base}"
guild_id = {guild}
[channels]
announcements = "{ANNOUNCE}"
cab = "{CAB}"
ecab = "{ECAB}"
deployments = "{DEPLOY}"
[roles]
release_manager = ["{RELEASE_MANAGER}"]
change_manager = ["{CHANGE_MANAGER}"]
cab_member = ["{CAB_MEMBER}"]
ecab_member = ["{ECAB_MEMBER}"]
build_manager = ["{BUILD_MANAGER}"]
deployment_staff = ["{DEPLOYMENT_STAFF}"]
els_staff = ["{ELS_STAFF}"]
{extra}
"#,
                base = fake.base(),
            ),
        )
        .unwrap();
        let spawned_at = std::time::Instant::now();
        let mut command = Command::new(exe);
        match database_url {
            Some(url) => command.env("DATABASE_URL", url),
            None => command.env_remove("DATABASE_URL"),
        };
        let child = command
            .args(subcommand)
            .arg("--config")
            .arg(&config)
            .env("DISCORD_TOKEN", TOKEN)
            .env_remove("RELEASE_DESK_CONFIG")
            .env("RELEASE_DESK_LOG", log_filter)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Bot {
            child,
            dir: Some(dir),
            db,
            url,
            log,
            spawned_at,
            expected_errors: vec![],
            expected_dropped_event: false,
        }
    }

    /// Allows ERROR lines containing `fragment`: this test causes them.
    pub fn expect_error(&mut self, fragment: &str) {
        self.expected_errors.push(fragment.to_string());
    }

    /// Allows the warning that serenity dropped an event: this test sends one.
    pub fn expect_dropped_event(&mut self) {
        self.expected_dropped_event = true;
    }

    /// The bot's database, opened beside the running bot (its schema is
    /// the bot's already, so opening migrates nothing).
    pub async fn open_db(&self) -> release_desk::db::Db {
        release_desk::db::Db::open(&self.url)
            .await
            .unwrap_or_else(|e| panic!("opening the bot's database: {e:#}"))
    }

    /// Outbox entries the bot has still to deliver (read-only on SQLite,
    /// one plain connection on PostgreSQL, beside the running bot).
    pub async fn pending_deliveries(&self) -> i64 {
        const PENDING: &str = "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND superseded = 0";
        if release_desk::db::is_postgres(&self.url) {
            let mut conn: sqlx::PgConnection = sqlx::Connection::connect(&self.url).await.unwrap();
            let n = release_desk::db::query_scalar(PENDING)
                .fetch_one(&mut conn)
                .await
                .unwrap();
            sqlx::Connection::close(conn).await.unwrap();
            n
        } else {
            let opts = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&self.db)
                .read_only(true);
            let mut conn = sqlx::ConnectOptions::connect(&opts).await.unwrap();
            release_desk::db::query_scalar(PENDING)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        }
    }

    /// Waits until the bot has delivered everything it queued: the positive
    /// sign to wait for before asserting that something was never sent.
    pub async fn wait_delivered(&self, secs: u64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let pending = self.pending_deliveries().await;
            if pending == 0 {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{pending} outbox entries still undelivered after {secs} s:\n{}",
                self.log()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// What the bot logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the bot (SIGKILL, as a crash), keeping its directory for a restart.
    pub fn stop(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.checked_dir()
    }

    /// Stops the bot as a service manager does (SIGTERM, then waits for
    /// it to exit), keeping its directory for a restart.
    pub fn terminate(mut self) -> tempfile::TempDir {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return self.checked_dir();
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("the bot did not exit within 10 s of SIGTERM:\n{}", self.log());
    }

    fn checked_dir(&mut self) -> tempfile::TempDir {
        let log = self.log();
        assert!(!log.contains(TOKEN), "the token appeared in the log");
        assert!(
            self.expected_dropped_event || !log.contains("not understood"),
            "serenity dropped an event:\n{log}"
        );
        assert!(!log.contains("panicked"), "the bot panicked:\n{log}");
        let unexpected = unexpected_errors(&log, &self.expected_errors);
        assert!(
            unexpected.is_empty(),
            "the bot logged errors this test did not expect:\n{}\n\nfull log:\n{log}",
            unexpected.join("\n")
        );
        self.dir.take().expect("the bot's directory")
    }
}

/// The lines of `log` at level ERROR that contain none of `expected`.
pub fn unexpected_errors<'a>(log: &'a str, expected: &[String]) -> Vec<&'a str> {
    log.lines()
        // tracing's format: timestamp, level, target, message.
        .filter(|l| l.split_whitespace().nth(1) == Some("ERROR"))
        .filter(|l| !expected.iter().any(|e| l.contains(e.as_str())))
        .collect()
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A test that never stopped its bot is held to the same checks,
        // unless it is failing already (a second panic would abort).
        if self.dir.is_some() && !std::thread::panicking() {
            self.checked_dir();
        }
    }
}
