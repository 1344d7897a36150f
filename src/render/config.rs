//! What `check-config` says about a valid configuration.

use crate::config::Config;

/// The summary, and what Discord would still refuse.
pub fn summary(config: &Config) -> String {
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
    out
}
