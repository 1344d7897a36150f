//! Help on one command: its options with their types, choices and whether
//! they are required, who may run it, and an example line that parses.

use crate::command::spec::{CommandDef, Leaf, OptionDef, OptionType};
use crate::domain::roles::Access;

/// What an option takes, in a few words (`text`, `whole number 1–4`, `one of low, medium, high`).
pub fn option_type(def: &OptionDef) -> String {
    if !def.choices.is_empty() {
        return format!("one of {}", def.choices.join(", "));
    }
    let range = match (def.min, def.max) {
        (Some(lo), Some(hi)) => format!(" {lo}–{hi}"),
        (Some(lo), None) => format!(" ≥ {lo}"),
        (None, Some(hi)) => format!(" ≤ {hi}"),
        (None, None) => String::new(),
    };
    match (def.kind, def.format.as_deref()) {
        (OptionType::Integer, _) => format!("whole number{range}"),
        (OptionType::Number, _) => format!("number{range}"),
        (_, Some("release")) => "release id (REL-n)".into(),
        (_, Some("rfc")) => "RFC id (RFC-n)".into(),
        (_, Some("rfc-list")) => "RFC ids, comma-separated".into(),
        (_, Some("incident")) => "incident id (INC-n)".into(),
        (_, Some("record")) => "record id (REL-n, RFC-n or INC-n)".into(),
        (_, Some("version")) => "semantic version".into(),
        (_, Some("time")) => "time (calendar zone) or date".into(),
        (_, Some("date")) => "date".into(),
        (_, Some("effort")) => "effort (hours, or 30m, 1.5h)".into(),
        (_, Some("list")) => "comma-separated list".into(),
        (_, Some("steps")) => "steps, ;-separated".into(),
        (_, Some("requires")) => "version constraints".into(),
        (_, Some("found")) => "item=version pairs".into(),
        (_, Some("target")) => "REL-n or all".into(),
        _ => "text".into(),
    }
}

/// A value that the option accepts, as typed on a command line.
pub fn example_value(def: &OptionDef) -> String {
    if let Some(c) = def.choices.first() {
        return c.clone();
    }
    match (def.kind, def.format.as_deref()) {
        (OptionType::Integer, _) => def.min.unwrap_or(1.0).max(1.0).to_string(),
        (OptionType::Number, _) => "1.5".into(),
        (_, Some("release")) => "REL-1".into(),
        (_, Some("rfc")) => "RFC-1".into(),
        (_, Some("rfc-list")) => "RFC-1,RFC-2".into(),
        (_, Some("incident")) => "INC-1".into(),
        (_, Some("record")) => "REL-1".into(),
        (_, Some("version")) => "2.3.0".into(),
        (_, Some("time")) if def.name == "to" => "\"2026-12-04 06:00\"".into(),
        (_, Some("time")) => "\"2026-12-03 22:30\"".into(),
        (_, Some("date")) => "2026-12-03".into(),
        (_, Some("effort")) => "1.5h".into(),
        (_, Some("list")) => "staging,prod".into(),
        (_, Some("steps")) => "\"migrate;deploy;smoke test\"".into(),
        (_, Some("requires")) => "\"db-schema>=4.2,<5\"".into(),
        (_, Some("found")) => "api=2.3.0".into(),
        (_, Some("target")) => "REL-1".into(),
        _ => "\"some text\"".into(),
    }
}

fn who(leaf: &Leaf<'_>) -> String {
    match leaf.access() {
        Some(Access::Everyone) => "anyone".into(),
        Some(Access::AnyOf(roles)) => roles.iter().map(|r| r.key()).collect::<Vec<_>>().join(" or "),
        None => "no one (not declared)".into(),
    }
}

/// The help of one command: `:help /release submit`.
pub fn leaf(leaf: &Leaf<'_>) -> String {
    let description = leaf.sub.map_or(&leaf.command.description, |s| &s.description);
    let mut s = format!("{} — {description}\n  who: {}", leaf.path(), who(leaf));
    let options = leaf.options();
    if options.is_empty() {
        s.push_str("\n  no options");
    }
    for o in options {
        s.push_str(&format!(
            "\n  {}{}: {} — {}",
            o.name,
            if o.required { " (required)" } else { " (optional)" },
            option_type(o),
            o.description
        ));
    }
    let example: Vec<String> = options
        .iter()
        .filter(|o| o.required)
        .map(|o| format!("{}:{}", o.name, example_value(o)))
        .collect();
    s.push_str(format!("\n  example: {} {}", leaf.path(), example.join(" ")).trim_end());
    s
}

/// The help of a command with subcommands: `/release help`.
pub fn command(def: &CommandDef) -> String {
    let mut s = format!("/{} — {}", def.name, def.description);
    for sub in &def.sub {
        s.push_str(&format!("\n  {} — {}", sub.name, sub.description));
    }
    s.push_str(&format!("\n  more: :help /{} <subcommand>", def.name));
    s
}

/// The console's one-line banner.
pub const BANNER: &str =
    "release-desk console — type :help for console lines, :help /release submit for one command; Tab completes, ↑ recalls, Ctrl-D quits";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::parse::parse_line;
    use crate::command::spec::Registry;

    #[test]
    fn every_example_parses() {
        let reg = Registry::get();
        for l in reg.leaves() {
            let text = leaf(&l);
            let example = text
                .lines()
                .find_map(|x| x.trim().strip_prefix("example: "))
                .unwrap_or_else(|| panic!("no example in {text}"));
            parse_line(reg, example).unwrap_or_else(|e| panic!("{example}: {e}"));
        }
    }

    #[test]
    fn help_names_types_choices_requirement_and_role() {
        let reg = Registry::get();
        let l = reg.leaves().into_iter().find(|l| l.path() == "/rfc new").unwrap();
        let text = leaf(&l);
        assert!(text.starts_with("/rfc new — "), "{text}");
        assert!(
            text.contains("\n  type (required): one of standard, normal, emergency"),
            "{text}"
        );
        assert!(text.contains("(optional)"), "{text}");
        assert!(text.contains("who: "), "{text}");
        assert!(
            text.contains("example: /rfc new title:\"some text\" type:standard"),
            "{text}"
        );
    }
}
