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
