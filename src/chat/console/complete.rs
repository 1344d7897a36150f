//! Tab completion on the console: commands, subcommands, option names and
//! choices from `commands/*.toml`, record ids from the database. Pure: the
//! editor passes the line up to the cursor and the ids it fetched.

use crate::command::spec::{Leaf, OptionDef, Registry};

/// The console's own lines, for completion.
const CONSOLE_LINES: [&str; 7] = [":as", ":in", ":react", ":unreact", ":advance", ":now", ":help"];

/// Where the completed word starts in `before` (the line up to the cursor), and its completions.
pub fn complete(reg: &Registry, before: &str, ids: &[String]) -> (usize, Vec<String>) {
    let start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let word = &before[start..];
    let done: Vec<&str> = before[..start].split_whitespace().collect();
    let starts = |c: &str| c.to_lowercase().starts_with(&word.to_lowercase());
    let pick = |all: Vec<String>| all.into_iter().filter(|c| starts(c)).collect::<Vec<_>>();
    match done.first().copied() {
        None if word.starts_with(':') => (start, pick(CONSOLE_LINES.iter().map(|s| s.to_string()).collect())),
        None => (
            start,
            pick(reg.commands.iter().map(|c| format!("/{}", c.name)).collect()),
        ),
        Some(":help") if done.len() == 1 => (
            start,
            pick(reg.commands.iter().map(|c| format!("/{}", c.name)).collect()),
        ),
        Some(first) => {
            let (first, rest) = if first == ":help" {
                (done.get(1).copied().unwrap_or(""), &done[2..])
            } else {
                (first, &done[1..])
            };
            let Some(def) = first.strip_prefix('/').and_then(|n| reg.command(n)) else {
                return (start, vec![]);
            };
            if !def.sub.is_empty() && rest.is_empty() {
                return (
                    start,
                    pick(
                        def.sub
                            .iter()
                            .map(|s| s.name.clone())
                            .chain(["help".into()])
                            .collect(),
                    ),
                );
            }
            let sub = (!def.sub.is_empty()).then(|| rest[0]);
            let Ok(leaf) = crate::command::parse::resolve(reg, &def.name, sub) else {
                return (start, vec![]);
            };
            option_part(&leaf, before, start, word, ids)
        }
    }
}

/// An option name (`risk:`), or the value after `name:`.
fn option_part(
    leaf: &Leaf<'_>,
    before: &str,
    start: usize,
    word: &str,
    ids: &[String],
) -> (usize, Vec<String>) {
    if let Some((name, value)) = word.split_once(':') {
        let Some(def) = leaf.options().iter().find(|o| o.name == name) else {
            return (start, vec![]);
        };
        let at = start + name.len() + 1;
        // A list of ids completes its last item.
        let (at, value) = match value.rfind(',') {
            Some(i) => (at + i + 1, &value[i + 1..]),
            None => (at, value),
        };
        let lower = value.to_lowercase();
        return (
            at,
            values(def, ids)
                .into_iter()
                .filter(|v| v.to_lowercase().starts_with(&lower))
                .collect(),
        );
    }
    let given: Vec<&str> = before[..start]
        .split_whitespace()
        .filter_map(|w| w.split_once(':').map(|(n, _)| n))
        .collect();
    let names = leaf
        .options()
        .iter()
        .filter(|o| !given.contains(&o.name.as_str()) && o.name.starts_with(word))
        .map(|o| format!("{}:", o.name))
        .collect();
    (start, names)
}

/// The values an option offers: its choices, or the record ids of its kind.
fn values(def: &OptionDef, ids: &[String]) -> Vec<String> {
    if !def.choices.is_empty() {
        return def.choices.clone();
    }
    let prefix = match def.format.as_deref() {
        Some("release") => "REL-",
        Some("rfc") | Some("rfc-list") => "RFC-",
        Some("incident") => "INC-",
        Some("record") => "",
        Some("target") => {
            return ids
                .iter()
                .filter(|i| i.starts_with("REL-"))
                .cloned()
                .chain(["all".into()])
                .collect()
        }
        _ => return vec![],
    };
    ids.iter().filter(|i| i.starts_with(prefix)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(before: &str) -> (usize, Vec<String>) {
        let ids = ["REL-2", "RFC-3", "REL-1", "INC-1"].map(String::from);
        complete(Registry::get(), before, &ids)
    }

    #[test]
    fn completes_commands_subcommands_options_choices_and_ids() {
        assert_eq!(c("/rel"), (0, vec!["/release".to_string()]));
        assert_eq!(c(":adv"), (0, vec![":advance".to_string()]));
        assert_eq!(c("/release sub"), (9, vec!["submit".to_string()]));
        assert_eq!(c("/rfc new ri"), (9, vec!["risk:".to_string()]));
        assert_eq!(c("/rfc new risk:m"), (14, vec!["medium".to_string()]));
        assert_eq!(
            c("/rfc new risk:"),
            (14, vec!["low".into(), "medium".into(), "high".into()])
        );
        assert_eq!(
            c("/release submit id:"),
            (19, vec!["REL-2".to_string(), "REL-1".to_string()])
        );
        assert_eq!(c("/release submit id:rel-1"), (19, vec!["REL-1".to_string()]));
        assert_eq!(c("/release new rfcs:RFC-1,r"), (24, vec!["RFC-3".to_string()]));
        assert_eq!(c(":help /dep"), (6, vec!["/deploy".to_string()]));
        // An option already given is not offered again; nothing is offered for an unknown command.
        assert!(!c("/rfc new risk:low r").1.contains(&"risk:".to_string()));
        assert_eq!(c("/nope x"), (6, vec![]));
    }
}
