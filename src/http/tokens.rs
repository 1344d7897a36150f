//! `release-desk token`: create, list and revoke the API's tokens.

use crate::db::{self, Db};
use crate::domain::token;
use crate::render::readiness as words;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// What `token` was asked to do (the command line's subcommands).
#[derive(Debug, Clone, clap::Subcommand)]
pub enum TokenCmd {
    /// Makes a token and prints it once, as the last line; only its hash is kept.
    Create {
        /// Its name: the actor of everything done with it.
        #[arg(long)]
        name: String,
        /// What it may do: readiness, results, deploy (comma-separated).
        #[arg(long)]
        scopes: String,
    },
    /// The tokens, never their values.
    List,
    /// Stops accepting a token.
    Revoke {
        /// Its name.
        name: String,
    },
}

/// `release-desk token`: the subcommand, and where.
#[derive(Debug, Clone, clap::Args)]
pub struct TokenArgs {
    /// What to do.
    #[command(subcommand)]
    pub what: TokenCmd,
    /// The SQLite file (default: DATABASE_URL, else database.url).
    #[arg(long, global = true)]
    pub db: Option<std::path::PathBuf>,
    /// The server whose tokens these are (as for `report --guild`).
    #[arg(long, global = true, value_name = "ID")]
    pub guild: Option<String>,
}

/// Runs `release-desk token` on `guild`'s tokens, now; what to print.
pub async fn run(config: &crate::config::Config, args: TokenArgs, guild: &str) -> anyhow::Result<String> {
    use crate::clock::Clock;
    let db = match &args.db {
        Some(p) => Db::open(&p.display().to_string()).await?,
        None => Db::open(&config.database_url).await?,
    };
    let now = crate::clock::SystemClock.now();
    command(&db, guild, args.what, now, config.timezone).await
}

/// Runs `cmd` on `guild`'s tokens; what to print (for `Create`, the token is its last line).
pub async fn command(
    db: &Db,
    guild: &str,
    cmd: TokenCmd,
    now: DateTime<Utc>,
    tz: Tz,
) -> anyhow::Result<String> {
    match cmd {
        TokenCmd::Create { name, scopes } => {
            anyhow::ensure!(
                token::valid_name(&name),
                "--name {name:?}: expected 1 to 64 letters, digits, '-', '_' or '.'"
            );
            let set =
                token::parse_scopes(&scopes).map_err(|bad| {
                    anyhow::anyhow!(
                    "--scopes {scopes:?}: {}expected a comma-separated list of readiness, results, deploy",
                    if bad.is_empty() { String::new() } else { format!("{bad:?} is not a scope; ") }
                )
                })?;
            let mut bytes = [0u8; 32];
            getrandom::getrandom(&mut bytes)
                .map_err(|e| anyhow::anyhow!("no randomness for the token: {e}"))?;
            let secret = token::from_bytes(&bytes);
            let key = token::scopes_key(&set);
            db::tokens::create(db, guild, &name, &key, &token::digest(&secret), now).await?;
            Ok(words::token_created(&name, &key, &secret))
        }
        TokenCmd::List => {
            let mut conn = db.pool.acquire().await?;
            Ok(words::token_list(&db::tokens::list(&mut conn, guild).await?, tz))
        }
        TokenCmd::Revoke { name } => {
            anyhow::ensure!(
                db::tokens::revoke(db, guild, &name, now).await?,
                "no API token called {name:?} that is not revoked already (release-desk token list)"
            );
            Ok(format!("API token {name:?} revoked."))
        }
    }
}
