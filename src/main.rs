//! `release-desk`: the command line.

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use release_desk::app::App;
use release_desk::chat::console::{self, ConsoleChat};
use release_desk::clock::{ManualClock, SystemClock};
use release_desk::config::Config;
use release_desk::db::Db;
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
    /// The chat bot (Discord; token from DISCORD_TOKEN, database from DATABASE_URL or config).
    Run,
    /// The local console: slash commands typed (or piped) one line at a time.
    Console {
        /// The SQLite file (default ./release-desk.sqlite).
        #[arg(long)]
        db: Option<PathBuf>,
        /// The clock's start time, RFC 3339 (default now), for repeatable runs.
        #[arg(long)]
        start: Option<String>,
    },
    /// Metrics of the process over a period.
    Report {
        /// The SQLite file.
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
    },
    /// Validates the configuration and says what is wrong.
    CheckConfig,
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RELEASE_DESK_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let config = match load_config(cli.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // One thread: the application loop is single-threaded already, and the
    // gateway beside it on the same thread answered faster and used less
    // memory than on two workers (BENCHMARKS.md, "Discord"). SQLite work
    // runs on sqlx's connection threads either way.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Some(Cmd::CheckConfig) => check_config(&config),
            Some(Cmd::Console { db, start }) => run_console(config, db, start).await,
            Some(Cmd::Run) => run_bot(config).await,
            Some(Cmd::Report { db, from, to, format, chart }) => run_report(config, db, from, to, format, chart).await,
            None => {
                if std::env::var("DISCORD_TOKEN").is_ok_and(|t| !t.trim().is_empty()) {
                    run_bot(config).await
                } else {
                    eprintln!(
                        "No DISCORD_TOKEN set: starting the local console on ./release-desk.sqlite.\n\
                         Set DISCORD_TOKEN (see README, \"Connecting to Discord\") to run the Discord bot instead. Type :help for help."
                    );
                    run_console(config, None, None).await
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

async fn run_console(config: Config, db: Option<PathBuf>, start: Option<String>) -> anyhow::Result<()> {
    let start: DateTime<Utc> = match start {
        Some(s) => DateTime::parse_from_rfc3339(&s)
            .with_context(|| {
                format!("--start {s:?}: expected an RFC 3339 time such as 2026-12-01T09:00:00Z")
            })?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    let path = db
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "release-desk.sqlite".to_string());
    let db = Db::open(&path).await?;
    let clock = ManualClock::new(start);
    let app = App {
        db: db.clone(),
        config: Arc::new(config),
        clock: Arc::new(clock.clone()),
    };
    let out: console::Out = Arc::new(Mutex::new(Box::new(std::io::stdout())));
    let files = std::path::Path::new(&path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| p.to_path_buf())
        .unwrap_or_else(|| ".".into());
    let chat = ConsoleChat::new(db, out).with_files(files);
    let stdin = std::io::stdin();
    let echo = !stdin.is_terminal();
    console::run(
        &app,
        &chat,
        &clock,
        tokio::io::BufReader::new(tokio::io::stdin()),
        echo,
    )
    .await
}

/// `check-config`: the summary, and what Discord would still refuse.
fn check_config(config: &Config) -> anyhow::Result<()> {
    let mut out = format!(
        "configuration is valid: {} window(s), {} freeze(s), time zone {}, environments {}",
        config.windows.len(),
        config.freezes.len(),
        config.timezone,
        config.environments.join(" → ")
    );
    if let Err(e) = config.check_discord_ids() {
        out.push_str("\nfor the console only: the Discord bot (`run`) needs ids instead of names:");
        for problem in &e.0 {
            out.push_str(&format!("\n  {problem}"));
        }
    }
    print_out(&out)
}

/// Prints `text` and a newline. A reader that stops early (`| head`) is no
/// error; println! would panic there instead.
fn print_out(text: &str) -> anyhow::Result<()> {
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to standard output"),
    }
}

async fn run_report(
    config: Config,
    db: PathBuf,
    from: String,
    to: String,
    format: String,
    chart: Option<PathBuf>,
) -> anyhow::Result<()> {
    use release_desk::domain::timefmt::parse_date;
    let from = parse_date(&from).map_err(|e| anyhow::anyhow!("--from {from:?}: expected {e}"))?;
    let to = parse_date(&to).map_err(|e| anyhow::anyhow!("--to {to:?}: expected {e}"))?;
    let render = match format.as_str() {
        "text" => release_desk::render::report::text,
        "json" => release_desk::render::report::json,
        "csv" => release_desk::render::report::csv,
        other => anyhow::bail!("--format {other:?}: expected text, json or csv"),
    };
    anyhow::ensure!(db.exists(), "--db {}: no such database", db.display());
    let db = Db::open(&db.display().to_string()).await?;
    let report = release_desk::handlers::report::build(&db, &config, from, to).await?;
    // The chart still gets written when the reader stopped early.
    print_out(&render(&report))?;
    if let Some(path) = chart {
        let png = release_desk::render::report::chart(&report)?;
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("chart written to {}", path.display());
    }
    Ok(())
}

async fn run_bot(config: Config) -> anyhow::Result<()> {
    let token = std::env::var("DISCORD_TOKEN")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .context("DISCORD_TOKEN is not set: the Discord bot needs its token there (see README, \"Connecting to Discord\")")?;
    if let Err(e) = config.check_discord_ids() {
        anyhow::bail!("{e}(see README, \"Connecting to Discord\", for finding channel and role ids)");
    }
    let opening = std::time::Instant::now();
    let db = Db::open_service(&config.database_url).await?;
    tracing::info!(ms = opening.elapsed().as_millis() as u64, "database open");
    let app = App {
        db,
        config: Arc::new(config),
        clock: Arc::new(SystemClock),
    };
    release_desk::chat::discord::run(app, token).await
}
