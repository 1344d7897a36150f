//! The local console: a chat platform in the terminal. Its messages,
//! reactions and users live in the same SQLite file (tables `console_*`), so
//! a restart continues the same conversation. Lines are read one at a time;
//! each runs to completion, with every message it causes, before the next.

use super::{Chat, ChatError, Outgoing, Posted, Reactor};
use crate::db::{self, Db};
use async_trait::async_trait;
use std::io::Write;
use std::sync::{Arc, Mutex};

pub mod complete;
pub mod cpu;
mod interactive;
mod lines;
pub use interactive::run_terminal;
pub use lines::run;

/// The console's one workspace.
pub const GUILD: &str = "console";

/// Where the console writes attachments: beside its SQLite file, or for a
/// PostgreSQL server (no file to be beside), the current directory.
pub fn files_beside(db: &str) -> std::path::PathBuf {
    if crate::db::is_postgres(db) {
        return std::env::current_dir().unwrap_or_else(|_| ".".into());
    }
    std::path::Path::new(db)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| p.to_path_buf())
        .unwrap_or_else(|| ".".into())
}

/// The line-editing history file: `<db>.history`, or in `files` for a server.
pub fn history_beside(db: &str, files: &std::path::Path) -> std::path::PathBuf {
    if crate::db::is_postgres(db) {
        files.join("release-desk.history")
    } else {
        format!("{db}.history").into()
    }
}
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

    pub(super) fn write(&self, text: &str) {
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
        if let Some(text) = Self::text_alone(message) {
            return text;
        }
        let mut text = message.plain();
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
                Ok(()) => text.push_str(&crate::render::console::attachment(&path, &a.content)),
                Err(e) => text.push_str(&format!(
                    "\n  attachment {} could not be written: {e}",
                    path.display()
                )),
            }
        }
        text
    }

    /// The text of a message with nothing to write beside it (no
    /// attachment): what a command's commit can post
    /// ([`crate::handlers::PostedByCommit`]).
    pub fn text_alone(message: &Outgoing) -> Option<String> {
        message.attachment.is_none().then(|| message.plain())
    }

    /// Shows a command's visible answer in `channel`, posting it first
    /// unless the command's commit did (`posted`: its id).
    pub async fn post_reply(
        &self,
        channel: &str,
        message: &Outgoing,
        posted: Option<i64>,
    ) -> anyhow::Result<()> {
        let id = match posted {
            Some(id) => id,
            None => {
                let mut conn = self.db.writing_conn().await?;
                db::console::post(&mut conn, channel, &self.body(message), None)
                    .await?
                    .0
            }
        };
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
        let mut conn = self.db.writing_conn().await.map_err(internal)?;
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
        let mut conn = self.db.writing_conn().await.map_err(internal)?;
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
        let mut conn = self.db.writing_conn().await.map_err(internal)?;
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
        let mut conn = self.db.writing_conn().await.map_err(internal)?;
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
