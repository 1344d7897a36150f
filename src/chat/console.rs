//! The local console: a chat platform in the terminal. Its messages,
//! reactions and users live in the same SQLite file (tables `console_*`), so
//! a restart continues the same conversation. Lines are read one at a time;
//! each runs to completion, with every message it causes, before the next.

use super::{Chat, ChatError, Outgoing, Posted, Reactor};
use crate::app::App;
use crate::clock::Clock;
use crate::db::{self, Db};
use crate::domain::records::Actor;
use crate::domain::roles::{Role, Roles};
use crate::domain::timefmt::parse_duration;
use crate::handlers::polls::ReactionEvent;
use crate::handlers::{Invoker, Reply};
use async_trait::async_trait;
use chrono::Duration;
use std::io::Write;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// The console's one workspace.
pub const GUILD: &str = "console";
/// The bot's user on the console platform.
pub const BOT: &str = "release-desk";

/// The furthest one `:advance` moves the clock: every job on the way runs,
/// so a longer jump would take minutes, and dates would near chrono's end.
pub const MAX_ADVANCE_DAYS: i64 = 366;

/// Where console output goes (stdout, or a buffer in tests).
pub type Out = Arc<Mutex<Box<dyn Write + Send>>>;

/// The console as a chat platform.
pub struct ConsoleChat {
    db: Db,
    out: Out,
    /// Where attachments are written.
    files: std::path::PathBuf,
    /// Reactions the bot added, printed together on one line.
    reacts: Mutex<Option<(String, i64, Vec<String>)>>,
}

impl ConsoleChat {
    /// A console platform on `db`, printing to `out`.
    pub fn new(db: Db, out: Out) -> Self {
        ConsoleChat {
            db,
            out,
            files: std::path::PathBuf::from("."),
            reacts: Mutex::new(None),
        }
    }

    /// Writes attachments into `dir` (the console prints their path and first lines).
    pub fn with_files(mut self, dir: std::path::PathBuf) -> Self {
        self.files = dir;
        self
    }

    fn write(&self, text: &str) {
        self.flush_reacts();
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        // A console whose terminal went away has no one to tell.
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    /// Prints the pending `[#ch msg:N +✅ +❌]` line.
    pub fn flush_reacts(&self) {
        let pending = self.reacts.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(p) = pending {
            self.print_reacts(p);
        }
    }

    fn print_reacts(&self, (channel, id, emojis): (String, i64, Vec<String>)) {
        let adds: Vec<String> = emojis.iter().map(|e| format!("+{e}")).collect();
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(out, "[{} msg:{id} {}]", channel_label(&channel), adds.join(" "));
        let _ = out.flush();
    }

    /// The text, and for an attachment the file it was written to and its first lines.
    fn body(&self, message: &Outgoing) -> String {
        let mut text = message.text.clone();
        if let Some(a) = &message.attachment {
            // Only a file name of our own making, never a path from elsewhere.
            let name: String = a
                .name
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
                .collect();
            let path = self.files.join(if name.is_empty() {
                "attachment".to_string()
            } else {
                name
            });
            match std::fs::write(&path, &a.content) {
                Ok(()) => {
                    text.push_str(&format!(
                        "\n  attachment written to {} ({} bytes):",
                        path.display(),
                        a.content.len()
                    ));
                    for line in String::from_utf8_lossy(&a.content).lines().take(6) {
                        text.push_str(&format!("\n    {line}"));
                    }
                }
                Err(e) => text.push_str(&format!(
                    "\n  attachment {} could not be written: {e}",
                    path.display()
                )),
            }
        }
        text
    }

    /// Posts a command's visible answer in `channel`.
    pub async fn post_reply(&self, channel: &str, message: &Outgoing) -> anyhow::Result<()> {
        let mut conn = self.db.pool.acquire().await?;
        let (id, _) = db::console::post(&mut conn, channel, &self.body(message), None).await?;
        self.write(&format!(
            "[{} msg:{id}]\n{}",
            channel_label(channel),
            self.body(message)
        ));
        Ok(())
    }

    /// Shows a private answer.
    pub fn ephemeral(&self, user: &str, message: &Outgoing) {
        self.write(&format!("[ephemeral → {user}]\n{}", self.body(message)));
    }

    /// Says something about the console itself.
    pub fn note(&self, text: &str) {
        self.write(&format!("[console] {text}"));
    }
}

fn channel_label(channel: &str) -> String {
    match channel.strip_prefix("dm:") {
        Some(user) => format!("dm → {user}"),
        None => format!("#{channel}"),
    }
}

fn internal(e: anyhow::Error) -> ChatError {
    ChatError::Retry {
        after: None,
        message: format!("console storage: {e:#}"),
    }
}

fn message_number(at: &Posted) -> Result<i64, ChatError> {
    at.id
        .parse()
        .map_err(|_| ChatError::Permanent(format!("no console message {}", at.id)))
}

#[async_trait]
impl Chat for ConsoleChat {
    async fn post(&self, channel: &str, message: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        let mut conn = self.db.pool.acquire().await.map_err(|e| internal(e.into()))?;
        let (id, new) = db::console::post(&mut conn, channel, &self.body(message), Some(nonce))
            .await
            .map_err(internal)?;
        if new {
            self.write(&format!(
                "[{} msg:{id}]\n{}",
                channel_label(channel),
                self.body(message)
            ));
        }
        Ok(Posted {
            channel: channel.to_string(),
            id: id.to_string(),
        })
    }

    async fn edit(&self, at: &Posted, message: &Outgoing) -> Result<(), ChatError> {
        let id = message_number(at)?;
        let mut conn = self.db.pool.acquire().await.map_err(|e| internal(e.into()))?;
        let body = self.body(message);
        if !db::console::edit(&mut conn, id, &body).await.map_err(internal)? {
            return Err(ChatError::Permanent(format!("no console message {id}")));
        }
        self.write(&format!(
            "[{} msg:{id} edited]\n{body}",
            channel_label(&at.channel)
        ));
        Ok(())
    }

    async fn react(&self, at: &Posted, emoji: &str) -> Result<(), ChatError> {
        let id = message_number(at)?;
        let mut conn = self.db.pool.acquire().await.map_err(|e| internal(e.into()))?;
        if db::console::add_reaction(&mut conn, id, BOT, emoji)
            .await
            .map_err(internal)?
        {
            let mut pending = self.reacts.lock().unwrap_or_else(|e| e.into_inner());
            match pending.as_mut() {
                Some((_, pid, emojis)) if *pid == id => emojis.push(emoji.to_string()),
                _ => {
                    let previous = pending.replace((at.channel.clone(), id, vec![emoji.to_string()]));
                    drop(pending);
                    if let Some(p) = previous {
                        self.print_reacts(p);
                    }
                }
            }
        }
        Ok(())
    }

    async fn reactions(&self, at: &Posted, emoji: &str) -> Result<Vec<Reactor>, ChatError> {
        let id = message_number(at)?;
        let mut conn = self.db.pool.acquire().await.map_err(|e| internal(e.into()))?;
        let who = db::console::reactors(&mut conn, id, emoji)
            .await
            .map_err(internal)?;
        Ok(who
            .into_iter()
            .map(|(user, chat_roles)| Reactor {
                bot: user == BOT,
                name: user.clone(),
                user,
                chat_roles,
            })
            .collect())
    }

    async fn direct(&self, user: &str, message: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        let channel = format!("dm:{user}");
        let mut conn = self.db.pool.acquire().await.map_err(|e| internal(e.into()))?;
        let (id, new) = db::console::post(&mut conn, &channel, &self.body(message), Some(nonce))
            .await
            .map_err(internal)?;
        if new {
            self.write(&format!("[dm → {user}]\n{}", self.body(message)));
        }
        Ok(Posted {
            channel,
            id: id.to_string(),
        })
    }
}

/// Who is typing, and where.
struct Session {
    actor: Actor,
    chat_roles: Vec<String>,
    channel: String,
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
    let mut s = Session {
        actor: Actor {
            id: "you".into(),
            name: "you".into(),
            roles: Roles::new(),
        },
        chat_roles: vec![],
        channel: "general".into(),
    };
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
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Err(e) = step(app, chat, clock, &mut s, line).await {
            chat.note(&format!("error: {e:#}"));
        }
        chat.flush_reacts();
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
            let mut parts = rest.split_whitespace();
            let Some(user) = parts.next() else {
                chat.note("usage: :as <user> [role,role…]");
                return Ok(());
            };
            let words: Vec<String> = parts
                .flat_map(|p| p.split(','))
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect();
            let roles = app.config.itil_roles(words.iter().map(String::as_str));
            let unknown: Vec<&String> = words
                .iter()
                .filter(|w| Role::from_str(w).is_err() && app.config.itil_roles([w.as_str()]).is_empty())
                .collect();
            if !unknown.is_empty() {
                let known: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
                chat.note(&format!(
                    "unknown role(s) {} — use {} or a chat role from the config",
                    unknown.iter().map(|w| w.as_str()).collect::<Vec<_>>().join(", "),
                    known.join(", ")
                ));
            }
            s.actor = Actor {
                id: user.to_string(),
                name: user.to_string(),
                roles,
            };
            s.chat_roles = words;
            let mut conn = app.db.pool.acquire().await?;
            db::console::set_user(&mut conn, user, &s.chat_roles).await?;
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
        ":help" => {
            let paths: Vec<String> = crate::command::spec::Registry::get()
                .leaves()
                .iter()
                .map(|l| l.path())
                .collect();
            chat.note(&format!(
                "console lines: :as <user> [roles], :in <channel>, :react <msg|last:#channel> <emoji>, :unreact …, :advance <duration>, :now\n  commands: {}",
                paths.join(", ")
            ));
        }
        _ if word.starts_with('/') => {
            let who = Invoker {
                actor: s.actor.clone(),
                channel: s.channel.clone(),
            };
            let reply = app.command_line(GUILD, &who, line).await;
            app.settle(chat, Duration::zero()).await?;
            chat.flush_reacts();
            match reply {
                Reply::Public(m) => chat.post_reply(&s.channel, &m).await?,
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
    let mut conn = app.db.pool.acquire().await?;
    let id = match target.strip_prefix("last:") {
        Some(ch) => db::console::last_in(&mut conn, ch.trim_start_matches('#')).await?,
        None => target.trim_start_matches("msg:").parse::<i64>().ok(),
    };
    let Some(id) = id else {
        chat.note(&format!("no message {target}"));
        return Ok(());
    };
    let Some(channel) = db::console::channel_of(&mut conn, id).await? else {
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
        user: s.actor.id.clone(),
        name: s.actor.name.clone(),
        roles: s.actor.roles.clone(),
        emoji: emoji.to_string(),
        added: add,
        bot: false,
    };
    app.reaction(GUILD, &ev).await?;
    app.settle(chat, Duration::zero()).await
}
