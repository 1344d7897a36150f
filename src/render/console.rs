//! What the console says about its own input.

/// A piped line that is not UTF-8: answered, skipped, and the console goes on.
pub fn not_utf8(line: u64, valid_up_to: usize) -> String {
    format!(
        "error: line {line} is not valid UTF-8 (bad byte after {valid_up_to} bytes); it was skipped — type or pipe UTF-8 text"
    )
}

/// An `:advance` past the cap.
pub fn advance_too_far(typed: &str, max_days: i64) -> String {
    format!(
        "error: :advance {typed} is too far — at most {max_days}d at a time (every job on the way runs); advance in steps"
    )
}

/// An attachment the console wrote to `path`: its size, and the first lines
/// of a text file. A binary file (a PNG chart) is never printed: its bytes
/// would garble the terminal.
pub fn attachment(path: &std::path::Path, content: &[u8]) -> String {
    let text = std::str::from_utf8(content).ok().filter(|t| {
        !t.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    });
    match text {
        Some(t) => {
            let mut s = format!(
                "\n  attachment written to {} ({} bytes):",
                path.display(),
                content.len()
            );
            for line in t.lines().take(6) {
                s.push_str(&format!("\n    {line}"));
            }
            s
        }
        None => format!(
            "\n  attachment written to {} ({} bytes, binary: open the file to see it)",
            path.display(),
            content.len()
        ),
    }
}

/// `:as` with roles nobody has: nothing changed, and the roles that exist.
pub fn unknown_roles(unknown: &[String], itil: &[&str], chat: &[String]) -> String {
    let mut s = format!(
        "error: no role {} — nothing changed. ITIL roles: {}",
        unknown.join(", "),
        itil.join(", ")
    );
    if !chat.is_empty() {
        s.push_str(&format!("; chat roles from the config: {}", chat.join(", ")));
    }
    s.push_str(" (e.g. :as alice release_manager,cab_member)");
    s
}

/// `:as` without a user.
pub const AS_USAGE: &str =
    "usage: :as <user> [role,role…] — quote a name with spaces: :as \"bob smith\" release_manager";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_attachments_show_their_size_never_their_bytes() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let s = attachment(std::path::Path::new("chart.png"), png);
        assert_eq!(
            s,
            "\n  attachment written to chart.png (16 bytes, binary: open the file to see it)"
        );
        let csv = attachment(std::path::Path::new("r.csv"), b"a,b\n1,2\n");
        assert_eq!(
            csv,
            "\n  attachment written to r.csv (8 bytes):\n    a,b\n    1,2"
        );
    }
}
