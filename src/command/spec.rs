//! The command definitions of `commands/`, embedded in the binary. Chat
//! registration, console parsing, help and permission checks all read them.

use crate::domain::roles::Access;
use serde::Deserialize;
use std::sync::OnceLock;

/// The definition files, by command name.
pub const FILES: &[(&str, &str)] = &[
    ("rfc", include_str!("../../commands/rfc.toml")),
    ("release", include_str!("../../commands/release.toml")),
    ("package", include_str!("../../commands/package.toml")),
    ("deploy", include_str!("../../commands/deploy.toml")),
    ("incident", include_str!("../../commands/incident.toml")),
    ("known-error", include_str!("../../commands/known-error.toml")),
    ("audit", include_str!("../../commands/audit.toml")),
    ("calendar", include_str!("../../commands/calendar.toml")),
    ("subscribe", include_str!("../../commands/subscribe.toml")),
    ("unsubscribe", include_str!("../../commands/unsubscribe.toml")),
    ("report", include_str!("../../commands/report.toml")),
];

/// The type of an option, as chat platforms know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptionType {
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// A decimal number.
    Number,
}

/// One option of a command.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionDef {
    /// Its name (`id`, `title`).
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: OptionType,
    /// Whether it must be given.
    #[serde(default)]
    pub required: bool,
    /// Longest text accepted.
    #[serde(default)]
    pub max_length: Option<usize>,
    /// Smallest number accepted.
    #[serde(default)]
    pub min: Option<f64>,
    /// Largest number accepted.
    #[serde(default)]
    pub max: Option<f64>,
    /// The only values accepted, if any.
    #[serde(default)]
    pub choices: Vec<String>,
    /// What the text must look like beyond its type (`release`, `version`, `time`…).
    #[serde(default)]
    pub format: Option<String>,
    /// Whether chat offers completions (ids).
    #[serde(default)]
    pub autocomplete: bool,
    /// Help text.
    pub description: String,
}

/// Longest text accepted where a definition sets no limit (Discord's own limit is 6,000 per command).
pub const DEFAULT_MAX_LENGTH: usize = 1000;

impl OptionDef {
    /// How a refusal names this option when it is missing: its name with
    /// its choices, or its description when it has none.
    pub fn missing_summary(&self) -> String {
        if self.choices.is_empty() {
            format!("{} ({})", self.name, self.description)
        } else {
            format!("{} (one of {})", self.name, self.choices.join(", "))
        }
    }

    /// The longest text accepted.
    pub fn max_len(&self) -> usize {
        self.max_length.unwrap_or(DEFAULT_MAX_LENGTH)
    }
}

/// A subcommand (`/release new`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubDef {
    /// Its name.
    pub name: String,
    /// Help text.
    pub description: String,
    /// ITIL roles that may run it, or `everyone`; none declared: no one.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Its options.
    #[serde(default)]
    pub options: Vec<OptionDef>,
}

/// A top-level command; either it has subcommands or options of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandDef {
    /// Its name.
    pub name: String,
    /// Help text.
    pub description: String,
    /// Subcommands.
    #[serde(default)]
    pub sub: Vec<SubDef>,
    /// Roles (or `everyone`), for a command without subcommands.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Options, for a command without subcommands.
    #[serde(default)]
    pub options: Vec<OptionDef>,
}

/// What one invocation resolves to: the roles and options that apply.
#[derive(Debug, Clone, Copy)]
pub struct Leaf<'a> {
    /// The command.
    pub command: &'a CommandDef,
    /// The subcommand, if the command has them.
    pub sub: Option<&'a SubDef>,
}

impl<'a> Leaf<'a> {
    /// The options that apply.
    pub fn options(&self) -> &'a [OptionDef] {
        self.sub.map_or(&self.command.options, |s| &s.options)
    }

    /// Who may run it; None when its definition declares no one (default
    /// deny: such a command is refused, never open). A declaration that
    /// does not read also counts as none, though [`Registry`] refuses to load one.
    pub fn access(&self) -> Option<Access> {
        let names = self.sub.map_or(&self.command.roles, |s| &s.roles);
        Access::declared(names).and_then(Result::ok)
    }

    /// `/release new`.
    pub fn path(&self) -> String {
        match self.sub {
            Some(s) => format!("/{} {}", self.command.name, s.name),
            None => format!("/{}", self.command.name),
        }
    }
}

/// All definitions.
#[derive(Debug)]
pub struct Registry {
    /// The commands, in the order of [`FILES`].
    pub commands: Vec<CommandDef>,
}

impl Registry {
    /// Parses the embedded files; the test suite proves they parse.
    fn load() -> Result<Registry, String> {
        let mut commands = Vec::new();
        for (file, text) in FILES {
            let def: CommandDef = toml::from_str(text).map_err(|e| format!("commands/{file}.toml: {e}"))?;
            if def.name != *file {
                return Err(format!("commands/{file}.toml names itself {}", def.name));
            }
            for leaf in def.sub.iter().map(|s| &s.roles).chain([&def.roles]) {
                if let Some(Err(e)) = Access::declared(leaf) {
                    return Err(format!("commands/{file}.toml: {e}"));
                }
            }
            commands.push(def);
        }
        Ok(Registry { commands })
    }

    /// The definitions, parsed once.
    pub fn get() -> &'static Registry {
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        REGISTRY
            .get_or_init(|| Registry::load().unwrap_or_else(|e| panic!("embedded command definition: {e}")))
    }

    /// A command by name.
    pub fn command(&self, name: &str) -> Option<&CommandDef> {
        self.commands.iter().find(|c| c.name == name)
    }

    /// Every invocable leaf.
    pub fn leaves(&self) -> Vec<Leaf<'_>> {
        self.commands
            .iter()
            .flat_map(|c| {
                if c.sub.is_empty() {
                    vec![Leaf {
                        command: c,
                        sub: None,
                    }]
                } else {
                    c.sub
                        .iter()
                        .map(|s| Leaf {
                            command: c,
                            sub: Some(s),
                        })
                        .collect()
                }
            })
            .collect()
    }
}
