//! Completions for a command option as it is typed: which ids to offer.
//! The adapter only fits them to its platform (lengths, how many).

use crate::command::parse::resolve;
use crate::command::spec::Registry;
use crate::db::{self, Db};

/// What to offer for the option being typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completions {
    /// Kept in front of every offered value: a list (`RFC-1,RFC-2`)
    /// completes its last item, keeping the ones before.
    pub before: String,
    /// (id, label), newest first, matching what was typed.
    pub items: Vec<(String, String)>,
}

/// Completions for option `option` of command `command` (subcommand
/// `sub`) in `guild`, where `typed` is what the option holds so far.
pub async fn complete(
    db: &Db,
    guild: &str,
    command: &str,
    sub: Option<&str>,
    option: &str,
    typed: &str,
) -> anyhow::Result<Completions> {
    let format = resolve(Registry::get(), command, sub)
        .ok()
        .and_then(|leaf| leaf.options().iter().find(|o| o.name == option))
        .and_then(|o| o.format.clone());
    let (before, typed) = match format.as_deref() {
        Some("rfc-list") => match typed.rsplit_once(',') {
            Some((head, last)) => (format!("{head},"), last.trim().to_lowercase()),
            None => (String::new(), typed.trim().to_lowercase()),
        },
        _ => (String::new(), typed.trim().to_lowercase()),
    };
    let items = ids_for(db, guild, format.as_deref())
        .await?
        .into_iter()
        .filter(|(id, label)| {
            typed.is_empty() || id.to_lowercase().contains(&typed) || label.to_lowercase().contains(&typed)
        })
        .rev()
        .collect();
    Ok(Completions { before, items })
}

/// Ids to offer for an option of `format` (`rfc`, `rfc-list`, `release`, `target`,
/// `incident`), oldest first, with a label.
async fn ids_for(db: &Db, guild: &str, format: Option<&str>) -> anyhow::Result<Vec<(String, String)>> {
    let mut conn = db.pool.acquire().await?;
    Ok(match format {
        Some("rfc" | "rfc-list") => db::rfcs::list(&mut conn, guild, None)
            .await?
            .into_iter()
            .map(|r| (r.rid().to_string(), r.title.clone()))
            .collect(),
        Some("release") => db::releases::list(&mut conn, guild, None)
            .await?
            .into_iter()
            .map(|r| {
                (
                    r.rid().to_string(),
                    crate::render::choices::release_label(&r.name, &r.version),
                )
            })
            .collect(),
        Some("target") => {
            let mut ids: Vec<(String, String)> = db::releases::list(&mut conn, guild, None)
                .await?
                .into_iter()
                .map(|r| {
                    (
                        r.rid().to_string(),
                        crate::render::choices::release_label(&r.name, &r.version),
                    )
                })
                .collect();
            // Offered first (the list is shown newest first).
            ids.push((
                "all".to_string(),
                crate::render::choices::every_release_label().to_string(),
            ));
            ids
        }
        Some("incident") => db::incidents::list(&mut conn, guild, None)
            .await?
            .into_iter()
            .map(|i| (format!("INC-{}", i.number), i.title.clone()))
            .collect(),
        _ => vec![],
    })
}
