//! A command's answer is committed with its transaction (`Ctx::commit`),
//! which records a public answer in the same commit: a handler that
//! answers (`-> Handled`, or a `Reply`) and commits with `tx.commit()` would
//! leave its public answer unrecorded, lost to a crash before the platform
//! took it.

/// The functions of `src/handlers/` that answer and commit on their own:
/// `path: fn name`.
pub fn bare_commits(files: &[(String, String)]) -> Vec<String> {
    let mut errs = vec![];
    for (path, text) in files.iter().filter(|(p, _)| p.starts_with("src/handlers/")) {
        // Each piece starts at a function's name and runs to the next one's.
        for piece in text.split("fn ").skip(1) {
            let name: String = piece
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let signature = piece.split('{').next().unwrap_or("");
            let returns = signature.split("->").nth(1).unwrap_or("");
            let answers = returns.contains("Handled") || returns.contains("Reply");
            // Ctx::commit is the one way, and commits itself.
            if answers && name != "commit" && piece.contains("tx.commit()") {
                errs.push(format!(
                    "{path}: fn {name} answers but commits with tx.commit(), not ctx.commit"
                ));
            }
        }
    }
    errs
}
