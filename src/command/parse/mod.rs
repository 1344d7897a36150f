//! From typed text (`/release new name:"A b" version:2.3.0`) to a checked
//! [`Invocation`]: every option known, present when required, of its type,
//! among its choices and within its limits.

mod error;

use super::spec::{Leaf, OptionDef, OptionType, Registry};
pub use error::ParseError;
use std::fmt;

/// An option value of the type its definition declares.
#[derive(Debug, Clone, PartialEq)]
pub enum OptValue {
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Num(f64),
}

impl fmt::Display for OptValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptValue::Text(t) => f.write_str(t),
            OptValue::Int(i) => write!(f, "{i}"),
            OptValue::Num(n) => write!(f, "{n}"),
        }
    }
}

/// A command with its options, checked against its definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// `release`.
    pub command: String,
    /// `new`.
    pub sub: Option<String>,
    /// Options as given, checked.
    pub options: Vec<(String, OptValue)>,
}

impl Invocation {
    /// `/release new`.
    pub fn path(&self) -> String {
        match &self.sub {
            Some(s) => format!("/{} {}", self.command, s),
            None => format!("/{}", self.command),
        }
    }

    /// A text option.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| match v {
                OptValue::Text(t) => Some(t.as_str()),
                _ => None,
            })
    }

    /// A whole-number option.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.options
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| match v {
                OptValue::Int(i) => Some(*i),
                _ => None,
            })
    }

    /// A number option.
    pub fn num(&self, name: &str) -> Option<f64> {
        self.options
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| match v {
                OptValue::Num(n) => Some(*n),
                OptValue::Int(i) => Some(*i as f64),
                _ => None,
            })
    }
}

/// Splits `name:value name:"two words"` into pairs. A backslash escapes a
/// quote or backslash inside quotes.
fn split_options(path: &str, rest: &str) -> Result<Vec<(String, String)>, ParseError> {
    let mut out = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == ':' || c.is_whitespace() {
                break;
            }
            name.push(c);
            chars.next();
        }
        if chars.peek() != Some(&':') || name.is_empty() {
            return Err(ParseError::NotAnOption {
                path: path.to_string(),
                token: name,
            });
        }
        chars.next();
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' if matches!(chars.peek(), Some('"') | Some('\\')) => {
                        value.push(chars.next().unwrap_or('\\'))
                    }
                    c => value.push(c),
                }
            }
            if !closed {
                return Err(ParseError::UnterminatedQuote { option: name });
            }
            if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                return Err(ParseError::NotAnOption {
                    path: path.to_string(),
                    token: format!("{name}:\"{value}\"…"),
                });
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((name, value));
    }
}

fn command_names(reg: &Registry) -> Vec<String> {
    reg.commands.iter().map(|c| format!("/{}", c.name)).collect()
}

/// Finds the definition a command path names.
pub fn resolve<'a>(reg: &'a Registry, command: &str, sub: Option<&str>) -> Result<Leaf<'a>, ParseError> {
    let def = reg.command(command).ok_or_else(|| ParseError::UnknownCommand {
        name: command.to_string(),
        known: command_names(reg),
    })?;
    if def.sub.is_empty() {
        return Ok(Leaf {
            command: def,
            sub: None,
        });
    }
    let subs = || def.sub.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    let name = sub.ok_or_else(|| ParseError::MissingSubcommand {
        command: def.name.clone(),
        subs: subs(),
    })?;
    let s = def
        .sub
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| ParseError::UnknownSubcommand {
            command: def.name.clone(),
            name: name.to_string(),
            subs: subs(),
        })?;
    Ok(Leaf {
        command: def,
        sub: Some(s),
    })
}

/// A choice as compared: people type the names they read (`PlanReview`,
/// `"Plan review"`, `PASS`) where the definition has `plan-review` and
/// `pass`, so only letters and digits count, in any case.
fn fold(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Checks raw option text against the definition and types each value.
/// A choice reaches the handler spelled as its definition spells it.
pub fn check_options(leaf: Leaf<'_>, raw: Vec<(String, String)>) -> Result<Invocation, ParseError> {
    let path = leaf.path();
    let defs = leaf.options();
    let mut options: Vec<(String, OptValue)> = Vec::new();
    for (name, value) in raw {
        let def = defs
            .iter()
            .find(|d| d.name == name)
            .ok_or_else(|| ParseError::UnknownOption {
                path: path.clone(),
                name: name.clone(),
                known: defs.iter().map(|d| d.name.clone()).collect(),
            })?;
        if options.iter().any(|(n, _)| *n == name) {
            return Err(ParseError::DuplicateOption {
                path: path.clone(),
                name,
            });
        }
        if let Some((i, c)) = value.chars().enumerate().find(|(_, c)| c.is_control()) {
            return Err(ParseError::ControlCharacter {
                option: name,
                code: format!("U+{:04X}", c as u32),
                at: i + 1,
            });
        }
        let len = value.chars().count();
        if len > def.max_len() {
            return Err(ParseError::TooLong {
                option: name,
                len,
                max: def.max_len(),
            });
        }
        let value = if def.choices.is_empty() {
            value
        } else {
            match def.choices.iter().find(|c| fold(c) == fold(&value)) {
                Some(c) => c.clone(),
                None => {
                    return Err(ParseError::BadChoice {
                        option: name,
                        value,
                        choices: def.choices.clone(),
                    })
                }
            }
        };
        let range = || match (def.min, def.max) {
            (Some(lo), Some(hi)) => format!(" from {lo} to {hi}"),
            (Some(lo), None) => format!(" of at least {lo}"),
            (None, Some(hi)) => format!(" of at most {hi}"),
            (None, None) => String::new(),
        };
        let in_range = |n: f64| def.min.is_none_or(|lo| n >= lo) && def.max.is_none_or(|hi| n <= hi);
        let typed = match def.kind {
            OptionType::String => {
                if value.trim().is_empty() {
                    return Err(ParseError::BadValue {
                        option: name,
                        value,
                        expected: "some text".into(),
                    });
                }
                OptValue::Text(value)
            }
            OptionType::Integer => match value.trim().parse::<i64>() {
                Ok(n) if in_range(n as f64) => OptValue::Int(n),
                _ => {
                    return Err(ParseError::BadValue {
                        option: name,
                        value,
                        expected: format!("a whole number{}", range()),
                    })
                }
            },
            OptionType::Number => match value.trim().parse::<f64>() {
                Ok(n) if n.is_finite() && in_range(n) => OptValue::Num(n),
                _ => {
                    return Err(ParseError::BadValue {
                        option: name,
                        value,
                        expected: format!("a number{}", range()),
                    })
                }
            },
        };
        options.push((name, typed));
    }
    let missing: Vec<&OptionDef> = defs
        .iter()
        .filter(|d| d.required && !options.iter().any(|(n, _)| *n == d.name))
        .collect();
    // All at once: a refusal per missing option would take as many tries.
    match missing.as_slice() {
        [] => {}
        [one] => {
            return Err(ParseError::MissingOption {
                path,
                name: one.name.clone(),
                description: if one.choices.is_empty() {
                    one.description.clone()
                } else {
                    format!("{} — one of {}", one.description, one.choices.join(", "))
                },
            })
        }
        many => {
            return Err(ParseError::MissingOptions {
                path,
                missing: many.iter().map(|d| d.missing_summary()).collect(),
            })
        }
    }
    Ok(Invocation {
        command: leaf.command.name.clone(),
        sub: leaf.sub.map(|s| s.name.clone()),
        options,
    })
}

/// Parses one typed line into a checked invocation.
pub fn parse_line(reg: &Registry, line: &str) -> Result<Invocation, ParseError> {
    let line = line.trim();
    let Some(body) = line.strip_prefix('/') else {
        return Err(ParseError::NotACommand {
            known: command_names(reg),
        });
    };
    let (command, rest) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
    let def = reg.command(command).ok_or_else(|| ParseError::UnknownCommand {
        name: command.to_string(),
        known: command_names(reg),
    })?;
    let (sub, rest) = if def.sub.is_empty() {
        (None, rest)
    } else {
        let rest = rest.trim_start();
        let (word, after) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if word.is_empty() || word.contains(':') {
            (None, rest)
        } else {
            (Some(word), after)
        }
    };
    let leaf = resolve(reg, command, sub)?;
    let raw = split_options(&leaf.path(), rest)?;
    check_options(leaf, raw)
}
