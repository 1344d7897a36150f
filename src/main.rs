//! `release-desk`: the command line.

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use release_desk::app::App;
use release_desk::chat::console::{self, ConsoleChat};
use release_desk::clock::{ManualClock, SystemClock};
use release_desk::config::Config;
use release_desk::db::{lock, Db};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// ITIL Release and Deployment Management as a chat bot.
///
/// With DISCORD_TOKEN set, runs the Discord bot; without it, starts the local
/// console on an SQLite file.
#[derive(Parser)]
#[command(name = "release-desk", version)]
struct Cli {
    /// A TOML file layered over the embedded defaults.
    #[arg(long, global = true, env = "RELEASE_DESK_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// The chat bot: Discord (DISCORD_TOKEN), or Slack when only SLACK_BOT_TOKEN is set (see README).
    Run,
    /// The local console: slash commands typed (or piped) one line at a time.
    Console {
        /// The SQLite file (default ./release-desk.sqlite), or a postgres:// URL.
        #[arg(long)]
        db: Option<PathBuf>,
        /// The clock's start time, RFC 3339 (default now), for repeatable runs.
        #[arg(long)]
        start: Option<String>,
        /// Also serve the HTTP API there (e.g. 127.0.0.1:8080) until the console ends.
        #[arg(long, value_name = "ADDR")]
        http: Option<std::net::SocketAddr>,
    },
    /// Metrics of the process over a period.
    Report {
        /// The SQLite file, or a postgres:// URL.
        #[arg(long)]
        db: PathBuf,
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// Last day (YYYY-MM-DD).
        #[arg(long)]
        to: String,
        /// text, json or csv.
        #[arg(long, default_value = "text")]
        format: String,
        /// Also write a chart (PNG).
        #[arg(long)]
        chart: Option<PathBuf>,
        /// The server whose records are reported (a Discord server id, or `console` for the local
        /// console's). Default: discord.guild_id; with discord.guild_id = 0 (commands registered
        /// globally) the console's, since the served server is learned only when the bot connects:
        /// give its id here.
        #[arg(long, value_name = "ID")]
        guild: Option<String>,
    },
    /// Validates the configuration and says what is wrong.
    CheckConfig,
    /// Prints the Slack app manifest (JSON) generated from the command definitions.
    SlackManifest {
        /// HTTP mode: the public base URL Slack delivers to (`{URL}/slack/events`);
        /// without it, the manifest enables Socket Mode.
        #[arg(long, value_name = "URL")]
        request_url: Option<String>,
        /// The app's and bot user's name.
        #[arg(long, default_value = "release-desk")]
        name: String,
    },
    /// A consistent copy of the database (also of a running bot's) in a new file.
    Backup {
        /// The new file to write; an existing file is refused.
        #[arg(long)]
        to: PathBuf,
        /// The SQLite file (default: the configured database, DATABASE_URL or database.url).
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// API tokens for the HTTP API (readiness, pipeline results, deployments).
    Token(release_desk::http::tokens::TokenArgs),
    MigrateDb(release_desk::db::migrate_db::Args),
}

fn load_config(path: Option<&std::path::Path>) -> Result<Config, ExitCode> {
    match Config::load(path) {
        Ok(mut c) => {
            c.apply_env();
            Ok(c)
        }
        Err(e) => {
            eprint!("{e}");
            Err(ExitCode::from(2))
        }
    }
}

fn main() -> ExitCode {
    release_desk::telemetry::init_logs();
    let cli = Cli::parse();
    let config = match load_config(cli.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // One thread: the application loop is single-threaded already, and the gateway beside it
    // on the same thread answered faster and used less memory than on two workers
    // (BENCHMARKS.md, "Discord"). SQLite work runs on sqlx's connection threads either way.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Some(Cmd::CheckConfig) => print_out(&release_desk::render::config::summary(&config)),
            Some(Cmd::SlackManifest { request_url, name }) => slack_manifest(request_url.as_deref(), &name),
            Some(Cmd::Backup { to, db }) => run_backup(&config, db, &to).await,
            Some(Cmd::Console { db, start, http }) => run_console(config, db, start, http).await,
            Some(Cmd::Run) => run_bot(config).await,
            Some(Cmd::Report {
                db,
                from,
                to,
                format,
                chart,
                guild,
            }) => run_report(config, db, ReportArgs { from, to, format, chart, guild }).await,
            Some(Cmd::MigrateDb(args)) => print_out(&release_desk::render::migrate_db::outcome(args.run().await)?),
            Some(Cmd::Token(args)) => {
                let guild = config.workspace_for(args.guild.clone(), console::GUILD)?;
                print_out(&release_desk::http::tokens::run(&config, args, &guild).await?)
            }
            None => {
                let set = |k: &str| std::env::var(k).is_ok_and(|t| !t.trim().is_empty());
                if set("DISCORD_TOKEN") || set("SLACK_BOT_TOKEN") {
                    run_bot(config).await
                } else {
                    eprintln!(
                        "No DISCORD_TOKEN set: starting the local console on ./release-desk.sqlite.\n\
                         Set DISCORD_TOKEN (see README, \"Connecting to Discord\") to run the Discord bot instead. Type :help for help."
                    );
                    run_console(config, None, None, None).await
                }
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<release_desk::chat::discord::TokenRefused>() => {
            eprintln!("release-desk: {e:#}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("release-desk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run_console(
    mut config: Config,
    db: Option<PathBuf>,
    start: Option<String>,
    http: Option<std::net::SocketAddr>,
) -> anyhow::Result<()> {
    // The console's reactions are records of its own: no event can be lost.
    config.recount_every = None;
    let start: Option<DateTime<Utc>> = match start {
        Some(s) => Some(
            DateTime::parse_from_rfc3339(&s)
                .with_context(|| {
                    format!("--start {s:?}: expected an RFC 3339 time such as 2026-12-01T09:00:00Z")
                })?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    // Like `run`: --db, else DATABASE_URL or [database] url when it names a file.
    let path = match db {
        Some(p) => p.display().to_string(),
        None => lock::db_file(&config.database_url)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "release-desk.sqlite".to_string()),
    };
    // A PostgreSQL server has no lock file: its writers take turns on an advisory lock.
    if !release_desk::db::is_postgres(&path) {
        lock::ensure_free(std::path::Path::new(&path)).map_err(|e| locked(e, "a console"))?;
    }
    // Before the connection threads start: they inherit both (console/cpu.rs says why).
    console::cpu::keep_to_one_cpu();
    console::cpu::run_as_batch();
    let db = Db::open(&path).await?;
    let start = match start {
        Some(t) => t,
        // A wall clock behind the records would run jobs twice and date records before their past.
        None => {
            let mut conn = db.pool.acquire().await?;
            let seen = release_desk::db::console::last_seen(&mut conn, console::GUILD).await?;
            seen.map_or_else(Utc::now, |t| t.max(Utc::now()))
        }
    };
    let clock = ManualClock::new(start);
    let app = App {
        db: db.clone(),
        config: Arc::new(config),
        clock: Arc::new(clock.clone()),
        workspace: console::GUILD.to_string(),
        pipelines: Some(Arc::new(release_desk::http::Answers)),
        // The console is its own chat platform: connected from the start.
        telemetry: Arc::new(release_desk::telemetry::Telemetry::already_connected()),
        leader: Default::default(),
    };
    let out: console::Out = Arc::new(Mutex::new(Box::new(std::io::stdout())));
    let files = console::files_beside(&path);
    let chat = ConsoleChat::new(db, out).with_files(files.clone());
    let server = release_desk::http::start(&app, console::GUILD, http.or(app.config.http_listen)).await?;
    let ran = if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        console::run_terminal(&app, &chat, &clock, console::history_beside(&path, &files)).await
    } else {
        let echo = !std::io::stdin().is_terminal();
        console::run(
            &app,
            &chat,
            &clock,
            tokio::io::BufReader::new(tokio::io::stdin()),
            echo,
        )
        .await
    };
    server.stop().await?;
    // The .sqlite file alone is then a complete copy: nothing is left in the -wal beside it.
    app.db.checkpoint_truncate().await?;
    app.db.close().await;
    ran
}

/// `slack-manifest`: the app manifest for Slack's "create from manifest".
fn slack_manifest(request_url: Option<&str>, name: &str) -> anyhow::Result<()> {
    let m = release_desk::chat::slack::manifest::printed(name, request_url).map_err(anyhow::Error::msg)?;
    print_out(&m)
}

/// Prints `text` and a newline. A reader that stops early (`| head`) is no
/// error; println! would panic there instead.
fn print_out(text: &str) -> anyhow::Result<()> {
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to standard output"),
    }
}

/// What `report` was asked for, beside the database.
struct ReportArgs {
    from: String,
    to: String,
    format: String,
    chart: Option<PathBuf>,
    guild: Option<String>,
}

async fn run_report(config: Config, db: PathBuf, args: ReportArgs) -> anyhow::Result<()> {
    use release_desk::domain::timefmt::parse_date;
    let ReportArgs {
        from,
        to,
        format,
        chart,
        guild,
    } = args;
    // One workspace per report: a report never mixes servers.
    let guild = config.workspace_for(guild, console::GUILD)?;
    let from = parse_date(&from).map_err(|e| anyhow::anyhow!("--from {from:?}: expected {e}"))?;
    let to = parse_date(&to).map_err(|e| anyhow::anyhow!("--to {to:?}: expected {e}"))?;
    let render = match format.as_str() {
        "text" => release_desk::render::report::text,
        "json" => release_desk::render::report::json,
        "csv" => release_desk::render::report::csv,
        other => anyhow::bail!("--format {other:?}: expected text, json or csv"),
    };
    let url = db.display().to_string();
    let server = release_desk::db::is_postgres(&url);
    anyhow::ensure!(server || db.exists(), "--db {}: no such database", db.display());
    let db = Db::open(&url).await?;
    let report = release_desk::handlers::report::build(&db, &config, &guild, from, to).await?;
    // The chart still gets written when the reader stopped early.
    print_out(&render(&report))?;
    if let Some(path) = chart {
        let png = release_desk::render::report::chart(&report)?;
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("chart written to {}", path.display());
    }
    Ok(())
}

/// What to say when the database's lock is held: whose it is, and how to
/// look at the data anyway.
fn locked(e: lock::LockError, who: &str) -> anyhow::Error {
    match e {
        lock::LockError::Held { db, lock, pid } => {
            let holder = pid.map_or_else(|| "another process".to_string(), |p| format!("process {p}"));
            anyhow::anyhow!(
                "{} is in use by a running release-desk bot ({holder}, holding {}): {who} cannot work on it. \
                 Stop that bot, or take a copy with `release-desk backup --db {} --to COPY.sqlite` and open the copy.",
                db.display(),
                lock.display(),
                db.display()
            )
        }
        lock::LockError::Io(path, e) => anyhow::anyhow!("cannot lock {}: {e}", path.display()),
    }
}

/// `backup`: the given database, or the configured one, copied to `to`.
async fn run_backup(config: &Config, db: Option<PathBuf>, to: &std::path::Path) -> anyhow::Result<()> {
    let db = match db {
        Some(db) => db,
        None => release_desk::db::backup::configured_file(&config.database_url)?,
    };
    release_desk::db::backup::backup(&db, to).await?;
    eprintln!("{} copied to {}", db.display(), to.display());
    Ok(())
}

/// `run`: Slack when its bot token is set and Discord's is not, else Discord.
async fn run_bot(config: Config) -> anyhow::Result<()> {
    let discord = std::env::var("DISCORD_TOKEN")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let slack = release_desk::chat::slack::config::Tokens::from_env(|k| std::env::var(k).ok());
    match (discord, slack) {
        (None, Some(tokens)) => {
            let ids = release_desk::chat::slack::config::check_ids(&config);
            ids.map_err(|e| anyhow::anyhow!("{e}(see README, \"Connecting to Slack\", for finding ids)"))?;
            let (_lock, app) = open_bot(config).await?;
            // The API serves one workspace: before Slack connects, only a configured one.
            let team = app.config.slack.team_id.clone();
            if team.is_empty() && app.config.http_listen.is_some() {
                tracing::warn!("[http] listen is set but [slack] team_id is not: the HTTP API needs the served workspace before Slack connects; not started");
            }
            let listen = app.config.http_listen.filter(|_| !team.is_empty());
            let _server = release_desk::http::start(&app, &team, listen).await?;
            release_desk::chat::slack::runner::run(app, tokens).await
        }
        (discord, slack) => {
            if slack.is_some() {
                tracing::warn!("DISCORD_TOKEN and SLACK_BOT_TOKEN are both set: running Discord (one platform per process)");
            }
            let token = discord.context(
                "DISCORD_TOKEN is not set: the Discord bot needs its token there (see README, \"Connecting to Discord\"; for Slack, SLACK_BOT_TOKEN)",
            )?;
            if let Err(e) = config.check_discord_ids() {
                anyhow::bail!("{e}(see README, \"Connecting to Discord\", for finding channel and role ids)");
            }
            let (_lock, app) = open_bot(config).await?;
            // The workspace as `report` picks it: discord.guild_id, else the console's.
            let _server = release_desk::http::start(&app, &app.workspace, app.config.http_listen).await?;
            release_desk::chat::discord::run(app, token).await
        }
    }
}

/// The bot's database, locked until the returned guard is dropped (no
/// console and no second bot works on it meanwhile), and the application on it.
async fn open_bot(config: Config) -> anyhow::Result<(Option<lock::Held>, App)> {
    let held = match lock::db_file(&config.database_url) {
        Some(file) => Some(lock::hold(&file).map_err(|e| locked(e, "the bot"))?),
        None => None,
    };
    let opening = std::time::Instant::now();
    let db = Db::open_service(&config.database_url).await?;
    tracing::info!(ms = opening.elapsed().as_millis() as u64, "database open");
    let app = App {
        db,
        leader: release_desk::service::leader::for_config(&config)?,
        // The runner settles it once it knows the served server.
        workspace: config
            .discord_guild()
            .unwrap_or_else(|| release_desk::chat::console::GUILD.to_string()),
        config: Arc::new(config),
        clock: Arc::new(SystemClock),
        pipelines: Some(Arc::new(release_desk::http::Answers)),
        telemetry: Default::default(),
    };
    Ok((held, app))
}
