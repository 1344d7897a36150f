//! The console on a terminal: line editing, history kept next to the
//! database, a prompt saying who is typing where, and Tab completion.
//! Piped input never comes here (`lines::run` keeps its echo).

use super::complete::complete;
use super::lines::{one_line, Session};
use super::{ConsoleChat, GUILD};
use crate::app::App;
use crate::command::spec::Registry;
use chrono::Duration;
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The completer: the registry, and the record ids fetched before each line.
struct Complete {
    ids: Arc<Mutex<Vec<String>>>,
}

impl Completer for Complete {
    type Candidate = String;
    fn complete(&self, line: &str, pos: usize, _: &Context<'_>) -> rustyline::Result<(usize, Vec<String>)> {
        let ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        Ok(complete(Registry::get(), &line[..pos], &ids))
    }
}
impl Hinter for Complete {
    type Hint = String;
}
impl Highlighter for Complete {}
impl Validator for Complete {}
impl Helper for Complete {}

/// The prompt: `alice (release_manager, cab_member) #general> `.
fn prompt(s: &Session) -> String {
    let roles: Vec<&str> = s.actor.roles.iter().map(|r| r.key()).collect();
    let roles = if roles.is_empty() {
        "member".to_string()
    } else {
        roles.join(", ")
    };
    format!("{} ({roles}) #{}> ", s.actor.name, s.channel)
}

/// Runs the console on a terminal until Ctrl-D; history goes to `history`.
pub async fn run_terminal(
    app: &App,
    chat: &ConsoleChat,
    clock: &crate::clock::ManualClock,
    history: PathBuf,
) -> anyhow::Result<()> {
    app.settle(chat, Duration::zero()).await?;
    chat.flush_reacts();
    chat.write(crate::render::help::BANNER);
    let ids = Arc::new(Mutex::new(Vec::new()));
    let mut editor: Editor<Complete, FileHistory> = Editor::new()?;
    editor.set_helper(Some(Complete { ids: ids.clone() }));
    // No history yet is the first run, not an error.
    let _ = editor.load_history(&history);
    let mut s = Session::new();
    loop {
        {
            let mut conn = app.db.pool.acquire().await?;
            let fresh = crate::db::console::record_ids(&mut conn, GUILD).await?;
            *ids.lock().unwrap_or_else(|e| e.into_inner()) = fresh;
        }
        let p = prompt(&s);
        // The editor blocks on the terminal; the runtime has one thread.
        let (back, read) = tokio::task::spawn_blocking(move || {
            let read = editor.readline(&p);
            (editor, read)
        })
        .await?;
        editor = back;
        match read {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                    // Saved after each line: a console killed later keeps what was typed.
                    if let Err(e) = editor.save_history(&history) {
                        chat.note(&format!("history not saved to {}: {e}", history.display()));
                    }
                }
                one_line(app, chat, clock, &mut s, &line).await;
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
