//! Why typed text is not a valid command, in the words the user sees.

/// Why typed text is not a valid command. Shown to the user as written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    /// The line does not start with `/`.
    #[error("Commands start with / — for example /rfc new or /release show. Commands: {}.", .known.join(", "))]
    NotACommand {
        /// The valid commands.
        known: Vec<String>,
    },
    /// No such command.
    #[error("Unknown command /{name}. Commands: {}.", .known.join(", "))]
    UnknownCommand {
        /// What was typed.
        name: String,
        /// The valid commands.
        known: Vec<String>,
    },
    /// A subcommand is needed.
    #[error("/{command} needs a subcommand: {}.", .subs.join(", "))]
    MissingSubcommand {
        /// The command.
        command: String,
        /// Its subcommands.
        subs: Vec<String>,
    },
    /// No such subcommand.
    #[error("/{command} has no subcommand {name:?}. Subcommands: {}.", .subs.join(", "))]
    UnknownSubcommand {
        /// The command.
        command: String,
        /// What was typed.
        name: String,
        /// Its subcommands.
        subs: Vec<String>,
    },
    /// A quote was opened and not closed.
    #[error("Unterminated quote in {option}: close it with \".")]
    UnterminatedQuote {
        /// The option being read.
        option: String,
    },
    /// A word that is not `name:value`.
    #[error(
        "{path}: {token:?} is not an option — write name:value (quotes for spaces: title:\"Two words\")."
    )]
    NotAnOption {
        /// The command.
        path: String,
        /// The word.
        token: String,
    },
    /// No such option.
    #[error("{path} has no option {name:?}. Options: {}.", .known.join(", "))]
    UnknownOption {
        /// The command.
        path: String,
        /// What was typed.
        name: String,
        /// Its options.
        known: Vec<String>,
    },
    /// An option given twice.
    #[error("{path}: option {name} is given twice.")]
    DuplicateOption {
        /// The command.
        path: String,
        /// The option.
        name: String,
    },
    /// A required option is missing.
    #[error("{path} needs {name}: {description}.")]
    MissingOption {
        /// The command.
        path: String,
        /// The option.
        name: String,
        /// What it is.
        description: String,
    },
    /// Several required options are missing, each with what it takes.
    #[error("{path} needs {} options: {}.", .missing.len(), .missing.join(", "))]
    MissingOptions {
        /// The command.
        path: String,
        /// Each missing option and what it takes.
        missing: Vec<String>,
    },
    /// Not one of the choices.
    #[error("{option}: {value:?} is not a choice. Choose one of: {}.", .choices.join(", "))]
    BadChoice {
        /// The option.
        option: String,
        /// What was typed.
        value: String,
        /// The choices.
        choices: Vec<String>,
    },
    /// A value that is not what the option takes.
    #[error("{option}: {value:?} is not valid — expected {expected}.")]
    BadValue {
        /// The option.
        option: String,
        /// What was typed.
        value: String,
        /// What it takes.
        expected: String,
    },
    /// A control character (NUL, escape, …) in a value: never stored, it
    /// would garble every message and export that shows it.
    #[error("{option} contains a control character ({code} at character {at}): type plain text.")]
    ControlCharacter {
        /// The option.
        option: String,
        /// The character, as U+XXXX.
        code: String,
        /// Its position, from 1.
        at: usize,
    },
    /// Text over the limit.
    #[error("{option} is too long: {len} characters, at most {max}.")]
    TooLong {
        /// The option.
        option: String,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Options that exclude each other, or need each other.
    #[error("{path}: {message}")]
    Conflict {
        /// The command.
        path: String,
        /// What is wrong.
        message: String,
    },
}
