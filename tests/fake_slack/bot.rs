//! The real Slack adapter, run as the binary runs it (the service in its
//! own runtime, on a thread of its own) against a [`FakeSlack`], on a real
//! database ([`crate::common::database_url`] of a file in the test's
//! directory: that file, or with the switch set a PostgreSQL database);
//! [`Bot::crash`] stops it mid-flight, as a killed process stops, and
//! [`start`] on the same directory starts it again.

use super::{FakeSlack, TEAM};
use release_desk::app::App;
use release_desk::chat::slack::config::Tokens;
use release_desk::clock::ManualClock;
use release_desk::config::Config;
use release_desk::db::Db;
use release_desk::handlers::{Invoker, Reply};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The signing secret the bot is given.
pub const SECRET: &str = "signing-secret-for-tests";

/// A running bot.
pub struct Bot {
    /// The clock it runs on (shared).
    pub clock: ManualClock,
    /// The file its database is named after (the file itself on SQLite).
    pub db: PathBuf,
    /// Its database: [`crate::common::database_url`] of `db`.
    pub url: String,
    config: Arc<Config>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

/// Starts the bot on the database of `dir/desk.sqlite` with `extra` config
/// (TOML after the `[slack]` section), in HTTP mode on `listen` or else
/// Socket Mode.
pub fn start(
    fake: &FakeSlack,
    dir: &Path,
    clock: &ManualClock,
    extra: &str,
    listen: Option<std::net::SocketAddr>,
) -> Bot {
    let listen = listen.map(|a| a.to_string()).unwrap_or_default();
    let toml = format!(
        "[slack]\napi_base = \"{}\"\nlisten = \"{listen}\"\n{extra}",
        fake.api_base()
    );
    let config = Arc::new(Config::from_layers(Some(&toml)).unwrap());
    let db = dir.join("desk.sqlite");
    // The same directory gives the same database again: a restart finds its records.
    let url = crate::common::database_url(&db);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (file, cfg, c) = (db.clone(), config.clone(), clock.clone());
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async move {
            let db = Db::open(&crate::common::database_url(&file)).await?;
            let app = App {
                db,
                config: cfg,
                clock: Arc::new(c),
                workspace: "unset".into(),
                pipelines: None,
                telemetry: Default::default(),
                leader: Default::default(),
            };
            let tokens = Tokens::from_env(|k| {
                Some(match k {
                    "SLACK_BOT_TOKEN" => "xoxb-bot".to_string(),
                    "SLACK_APP_TOKEN" => "xapp-app".to_string(),
                    _ => SECRET.to_string(),
                })
            })
            .unwrap();
            tokio::select! {
                r = release_desk::chat::slack::runner::run(app, tokens) => r,
                _ = stopped => Ok(()),
            }
        })
    });
    Bot {
        clock: clock.clone(),
        db,
        url,
        config,
        stop: Some(stop),
        thread: Some(thread),
    }
}

impl Bot {
    /// Stops the bot where it is, as a killed process stops (its runtime
    /// and every task in it dropped); returns how the runner ended.
    pub fn crash(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(t) => t.join().expect("the bot's thread panicked"),
            None => Ok(()),
        }
    }

    /// Whether the bot is still running.
    pub fn running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// The words of the answer to `line` typed by a user with no role, read
    /// on a connection of the test's own (the bot's records as they are).
    pub async fn ask(&self, line: &str) -> String {
        let db = Db::open(&self.url).await.unwrap();
        let app = App {
            db: db.clone(),
            config: self.config.clone(),
            clock: Arc::new(self.clock.clone()),
            workspace: TEAM.into(),
            pipelines: None,
            telemetry: Default::default(),
            leader: Default::default(),
        };
        let who = Invoker {
            actor: release_desk::domain::records::Actor {
                id: "U0READER".into(),
                name: "reader".into(),
                roles: Default::default(),
            },
            channel: "C0GEN".into(),
        };
        let (Reply::Public(m) | Reply::Private(m)) = app.command_line(TEAM, &who, line).await;
        // Its connections go back now, not whenever the pool is dropped (a
        // PostgreSQL server shared by the suite has a connection limit).
        db.close().await;
        m.plain()
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.crash();
    }
}
