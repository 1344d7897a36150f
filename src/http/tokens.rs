//! `release-desk token`: create, list and revoke the API's tokens.

use crate::db::{self, Db};
use crate::domain::token;
use crate::render::readiness as words;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// What `token` was asked to do.
#[derive(Debug, Clone)]
pub enum TokenCmd {
    /// A new token with these scopes (`readiness,results,deploy`).
    Create {
        /// Its name: the actor of everything it does.
        name: String,
        /// Comma-separated scopes.
        scopes: String,
    },
    /// Every token, never their values.
    List,
    /// Stop accepting the token called this.
    Revoke {
        /// Its name.
        name: String,
    },
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
