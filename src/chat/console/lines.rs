//! The console's input: console lines (`:as`, `:advance`, …) and slash
//! commands, one line at a time, each run to completion with every message
//! it causes before the next.

use super::{ConsoleChat, GUILD, MAX_ADVANCE_DAYS};
use crate::app::App;
use crate::clock::Clock;
use crate::db;
use crate::domain::records::Actor;
use crate::domain::roles::{Role, Roles};
use crate::domain::timefmt::parse_duration;
use crate::handlers::reaction::ReactionEvent;
use crate::handlers::{Invoker, PostedByCommit, Reply};
use chrono::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Who is typing, and where.
pub(super) struct Session {
    pub(super) actor: Actor,
    pub(super) chat_roles: Vec<String>,
    pub(super) channel: String,
    /// The roles this session stored for each user (`console_users`): an
    /// `:as` that changes nothing writes nothing.
    stored: std::collections::HashMap<String, Vec<String>>,
}

impl Session {
    /// A plain member in `#general`, until `:as` and `:in` say otherwise.
    pub(super) fn new() -> Session {
        Session {
            actor: Actor {
                id: "you".into(),
                name: "you".into(),
                roles: Roles::new(),
            },
            chat_roles: vec![],
            channel: "general".into(),
            stored: Default::default(),
        }
    }
}

/// Runs one line typed or piped (already echoed if it is to be).
pub(super) async fn one_line(
    app: &App,
    chat: &ConsoleChat,
    clock: &crate::clock::ManualClock,
    s: &mut Session,
    line: &str,
) {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return;
    }
    if let Err(e) = step(app, chat, clock, s, line).await {
        chat.note(&format!("error: {e:#}"));
    }
    chat.flush_reacts();
}

/// Runs the console over `input` until it ends. `echo` prints each line as
/// `> line` first (when input is not a terminal).
pub async fn run(
    app: &App,
    chat: &ConsoleChat,
    clock: &crate::clock::ManualClock,
    input: impl AsyncBufRead + Unpin,
    echo: bool,
) -> anyhow::Result<()> {
    // Catch up on whatever fell due while the console was not running.
    app.settle(chat, Duration::zero()).await?;
    chat.flush_reacts();
    let mut s = Session::new();
    let mut input = input;
    let mut bytes = Vec::new();
    let mut number = 0u64;
    loop {
        bytes.clear();
        if input.read_until(b'\n', &mut bytes).await? == 0 {
            break;
        }
        number += 1;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        // One bad line is answered and skipped; the lines after it still run.
        let line = match std::str::from_utf8(&bytes) {
            Ok(line) => line,
            Err(e) => {
                if echo {
                    chat.write(&format!("> {}", String::from_utf8_lossy(&bytes)));
                }
                chat.note(&crate::render::console::not_utf8(number, e.valid_up_to()));
                continue;
            }
        };
        if echo {
            chat.write(&format!("> {line}"));
        }
        one_line(app, chat, clock, &mut s, line).await;
    }
    Ok(())
}

async fn step(
    app: &App,
    chat: &ConsoleChat,
    clock: &crate::clock::ManualClock,
    s: &mut Session,
    line: &str,
) -> anyhow::Result<()> {
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    match word {
        ":as" => {
            let Some((user, words)) = split_as(rest) else {
                chat.note(crate::render::console::AS_USAGE);
                return Ok(());
            };
            let chat_names: Vec<String> = app.config.roles.values().flatten().cloned().collect();
            let mut known = Vec::new();
            let mut unknown = Vec::new();
            for w in words {
                match canonical_role(&w, &chat_names) {
                    Some(r) => known.push(r),
                    None => unknown.push(w),
                }
            }
            // A typo would silently make someone a plain member: refuse, change nothing.
            if !unknown.is_empty() {
                let itil: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
                chat.note(&crate::render::console::unknown_roles(
                    &unknown,
                    &itil,
                    &chat_names,
                ));
                return Ok(());
            }
            s.actor = Actor {
                id: user.clone(),
                name: user.clone(),
                roles: app.config.itil_roles(known.iter().map(String::as_str)),
            };
            s.chat_roles = known;
            if s.stored.get(&user) != Some(&s.chat_roles) {
                let mut conn = app.db.writing_conn().await?;
                db::console::set_user(&mut conn, &user, &s.chat_roles).await?;
                s.stored.insert(user, s.chat_roles.clone());
            }
        }
        ":in" => {
            let channel = rest.trim_start_matches('#');
            if channel.is_empty() || channel.starts_with("dm:") {
                chat.note("usage: :in <channel>");
            } else {
                s.channel = channel.to_string();
            }
        }
        ":react" | ":unreact" => react(app, chat, s, rest, word == ":react").await?,
        ":advance" => match parse_duration(rest) {
            Ok(d) if d > Duration::days(MAX_ADVANCE_DAYS) => {
                chat.note(&crate::render::console::advance_too_far(rest, MAX_ADVANCE_DAYS))
            }
            Ok(d) if d > Duration::zero() => {
                let Some(target) = clock.now().checked_add_signed(d) else {
                    chat.note(&crate::render::console::advance_too_far(rest, MAX_ADVANCE_DAYS));
                    return Ok(());
                };
                // Each job runs at its own time, so what it records and says is dated right.
                while let Some(due) = crate::scheduler::next_due(&app.db, &app.workspace)
                    .await?
                    .filter(|t| *t <= target)
                {
                    clock.set(due);
                    app.settle(chat, Duration::zero()).await?;
                }
                clock.set(target);
                app.settle(chat, Duration::zero()).await?;
            }
            _ => chat.note("usage: :advance <duration>, e.g. :advance 90m (units s, m, h, d)"),
        },
        ":now" => chat.note(&format!("now {}", clock.now().to_rfc3339())),
        ":help" if !rest.is_empty() => chat.note(&help_for(rest)),
        ":help" => {
            let paths: Vec<String> = crate::command::spec::Registry::get()
                .leaves()
                .iter()
                .map(|l| l.path())
                .collect();
            chat.note(&format!(
                "console lines: :as <user> [roles], :in <channel>, :react <msg|last:#channel> <emoji>, :unreact …, :advance <duration>, :now, :help /command [subcommand]\n  commands: {}",
                paths.join(", ")
            ));
        }
        _ if word.starts_with('/') && line.split_whitespace().last() == Some("help") => {
            let typed = line.trim_end().trim_end_matches("help");
            chat.note(&help_for(typed));
        }
        _ if word.starts_with('/') => {
            let who = Invoker {
                actor: s.actor.clone(),
                channel: s.channel.clone(),
            };
            let posted = PostedByCommit::new(&s.channel, ConsoleChat::text_alone);
            let reply = app.command_line_posting(GUILD, &who, line, Some(&posted)).await;
            app.settle_queued(chat, Duration::zero()).await?;
            chat.flush_reacts();
            match reply {
                Reply::Public(m) => chat.post_reply(&s.channel, &m, posted.id()).await?,
                Reply::Private(m) => chat.ephemeral(&s.actor.name, &m),
            }
        }
        _ => chat.note(&format!(
            "{word:?} is not a command: commands start with /, console lines with : (try :help)"
        )),
    }
    Ok(())
}

async fn react(app: &App, chat: &ConsoleChat, s: &Session, rest: &str, add: bool) -> anyhow::Result<()> {
    let mut parts = rest.split_whitespace();
    let (Some(target), Some(emoji), None) = (parts.next(), parts.next(), parts.next()) else {
        chat.note("usage: :react <msg|last:#channel> <emoji>");
        return Ok(());
    };
    let mut conn = app.db.writing_conn().await?;
    // The latest message of a channel is in that channel: one read, not two.
    let (id, channel) = match target.strip_prefix("last:") {
        Some(ch) => {
            let channel = ch.trim_start_matches('#');
            (
                db::console::last_in(&mut conn, channel).await?,
                Some(channel.to_string()),
            )
        }
        None => (target.trim_start_matches("msg:").parse::<i64>().ok(), None),
    };
    let Some(id) = id else {
        chat.note(&format!("no message {target}"));
        return Ok(());
    };
    let channel = match channel {
        Some(c) => Some(c),
        None => db::console::channel_of(&mut conn, id).await?,
    };
    let Some(channel) = channel else {
        chat.note(&format!("no message {id}"));
        return Ok(());
    };
    let changed = if add {
        db::console::add_reaction(&mut conn, id, &s.actor.id, emoji).await?
    } else {
        db::console::remove_reaction(&mut conn, id, &s.actor.id, emoji).await?
    };
    drop(conn);
    if !changed || channel.starts_with("dm:") {
        return Ok(());
    }
    let ev = ReactionEvent {
        message: id.to_string(),
        channel,
        user: s.actor.id.clone(),
        name: s.actor.name.clone(),
        roles: s.actor.roles.clone(),
        emoji: emoji.to_string(),
        added: add,
        bot: false,
    };
    app.reaction(GUILD, &ev).await?;
    app.settle_queued(chat, Duration::zero()).await
}

/// The help of `/release submit` or of `/release` (then its subcommands).
fn help_for(typed: &str) -> String {
    let reg = crate::command::spec::Registry::get();
    let mut words = typed.trim().trim_start_matches('/').split_whitespace();
    let name = words.next().unwrap_or("");
    let Some(def) = reg.command(name) else {
        let known: Vec<String> = reg.commands.iter().map(|c| format!("/{}", c.name)).collect();
        return format!("no command /{name} — commands: {}", known.join(", "));
    };
    let sub = words.next();
    match crate::command::parse::resolve(reg, name, sub) {
        Ok(leaf) => crate::render::help::leaf(&leaf),
        Err(_) if !def.sub.is_empty() && sub.is_none() => crate::render::help::command(def),
        Err(e) => e.to_string(),
    }
}

/// `:as` arguments: a user (quoted when it has spaces) and roles, comma- or space-separated.
fn split_as(rest: &str) -> Option<(String, Vec<String>)> {
    let rest = rest.trim();
    let (user, roles) = match rest.strip_prefix('"') {
        Some(quoted) => {
            let (user, after) = quoted.split_once('"')?;
            (user.trim(), after)
        }
        None => rest.split_once(char::is_whitespace).unwrap_or((rest, "")),
    };
    if user.is_empty() {
        return None;
    }
    let roles = roles
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    Some((user.to_string(), roles))
}

/// A role as typed, in any case: an ITIL role's key, or a chat role of the config as spelled there.
fn canonical_role(word: &str, chat_roles: &[String]) -> Option<String> {
    Role::ALL
        .iter()
        .map(|r| r.key().to_string())
        .chain(chat_roles.iter().cloned())
        .find(|k| k.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_takes_a_quoted_user_and_roles_in_any_case() {
        assert_eq!(
            split_as(r#""bob smith" Release_Manager,cab_member"#),
            Some((
                "bob smith".into(),
                vec!["Release_Manager".into(), "cab_member".into()]
            ))
        );
        assert_eq!(split_as("alice"), Some(("alice".into(), vec![])));
        assert_eq!(
            split_as("alice a, b"),
            Some(("alice".into(), vec!["a".into(), "b".into()]))
        );
        assert_eq!(split_as(""), None);
        assert_eq!(split_as(r#""unclosed"#), None);
        assert_eq!(split_as(r#""" cab_member"#), None);
        let chat = vec!["CAB".to_string()];
        assert_eq!(
            canonical_role("RELEASE_MANAGER", &chat).as_deref(),
            Some("release_manager")
        );
        assert_eq!(canonical_role("cab", &chat).as_deref(), Some("CAB"));
        assert_eq!(canonical_role("release-manager", &chat), None);
    }
}
