//! The console on a real terminal (tmux): the banner and the prompt, Tab
//! completion of an option and of a choice, ↑ recalling the last line,
//! `:help` of one command, and the history kept in a file.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of this test's own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> std::process::Output {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux is needed (.ci/run installs it)");
        out
    }

    fn pane(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status.success());
    }

    fn text(&self, text: &str) {
        assert!(self.cmd(&["send-keys", "-t", "t", "-l", text]).status.success());
    }

    /// Waits until `ok` holds for the pane; panics with the pane after 20 s.
    fn wait(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let pane = self.pane();
            if ok(&pane) {
                return pane;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the pane:\n{pane}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The line the cursor is on: the prompt and what is typed after it.
    fn last_line(pane: &str) -> String {
        pane.lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("")
            .to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

fn start(db: &Path) -> Tmux {
    let t = Tmux {
        socket: format!("release-desk-test-{}", std::process::id()),
    };
    let command = format!(
        "env -u DISCORD_TOKEN -u DATABASE_URL -u RELEASE_DESK_CONFIG '{}' console --db '{}' --start 2026-12-01T09:00:00Z --config '{}'",
        env!("CARGO_BIN_EXE_release-desk"),
        db.display(),
        common::no_windows_path().display()
    );
    let out = t.cmd(&["new-session", "-d", "-s", "t", "-x", "200", "-y", "50", &command]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    t
}

#[test]
fn prompt_completion_history_and_help_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tty.sqlite");
    let t = start(&db);
    // The pane shows the banner, then the prompt of a plain member in #general.
    t.wait("the banner and prompt", |p| {
        p.contains("type :help") && Tmux::last_line(p) == "you (member) #general>"
    });
    t.text(":as rita release_manager");
    t.keys(&["Enter"]);
    t.wait("rita's prompt", |p| {
        Tmux::last_line(p) == "rita (release_manager) #general>"
    });
    // Tab completes an option name, then a choice.
    t.text("/rfc new ti");
    t.keys(&["Tab"]);
    t.wait("title: completed", |p| {
        Tmux::last_line(p).ends_with("> /rfc new title:")
    });
    t.text("Login ty");
    t.keys(&["Tab"]);
    t.wait("type: completed", |p| {
        Tmux::last_line(p).ends_with("/rfc new title:Login type:")
    });
    t.text("no");
    t.keys(&["Tab"]);
    t.wait("normal completed", |p| {
        Tmux::last_line(p).ends_with("type:normal")
    });
    t.text(" risk:low impact:none");
    t.keys(&["Enter"]);
    t.wait("the RFC opened", |p| {
        p.contains("RFC-1") && Tmux::last_line(p).ends_with("#general>")
    });
    // ↑ brings the last line back into the prompt.
    t.keys(&["Up"]);
    t.wait("the line recalled", |p| {
        Tmux::last_line(p)
            == "rita (release_manager) #general> /rfc new title:Login type:normal risk:low impact:none"
    });
    t.keys(&["C-u"]);
    t.text(":help /release submit");
    t.keys(&["Enter"]);
    let help = t.wait("the help of /release submit", |p| {
        p.contains("example: /release submit id:REL-1") && Tmux::last_line(p).ends_with("#general>")
    });
    assert!(help.contains("/release submit — "), "{help}");
    assert!(help.contains("who: release_manager"), "{help}");
    t.keys(&["C-d"]);
    let history = db.with_file_name("tty.sqlite.history");
    let deadline = Instant::now() + Duration::from_secs(20);
    while t.cmd(&["has-session", "-t", "t"]).status.success() {
        assert!(
            Instant::now() < deadline,
            "the console did not end on Ctrl-D:\n{}",
            t.pane()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let kept = std::fs::read_to_string(&history).unwrap();
    assert!(kept.contains(":as rita release_manager"), "{kept}");
    assert!(kept.contains(":help /release submit"), "{kept}");
}
