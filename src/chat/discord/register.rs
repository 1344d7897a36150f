//! Slash-command registration from the definitions in `commands/`: one
//! bulk overwrite at start, for one guild when `discord.guild_id` is set
//! (instant) or globally.

use crate::command::spec::{CommandDef, OptionDef, OptionType, Registry};
use serenity::all::{Command, CommandOptionType, CreateCommand, CreateCommandOption, GuildId, Http};

/// Discord's longest description.
const DESCRIPTION_MAX: usize = 100;

fn description(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() <= DESCRIPTION_MAX {
        t.to_string()
    } else {
        let mut s: String = t.chars().take(DESCRIPTION_MAX - 1).collect();
        s.push('…');
        s
    }
}

fn option(def: &OptionDef) -> CreateCommandOption {
    let kind = match def.kind {
        OptionType::String => CommandOptionType::String,
        OptionType::Integer => CommandOptionType::Integer,
        OptionType::Number => CommandOptionType::Number,
    };
    let mut o =
        CreateCommandOption::new(kind, &def.name, description(&def.description)).required(def.required);
    if def.kind == OptionType::String {
        o = o.max_length(def.max_len().min(6000) as u16);
    }
    for c in def.choices.iter().take(25) {
        o = o.add_string_choice(c, c);
    }
    if def.autocomplete && def.choices.is_empty() {
        o = o.set_autocomplete(true);
    }
    match def.kind {
        OptionType::Integer => {
            if let Some(lo) = def.min.filter(|v| *v >= 0.0) {
                o = o.min_int_value(lo as u64);
            }
            if let Some(hi) = def.max.filter(|v| *v >= 0.0) {
                o = o.max_int_value(hi as u64);
            }
        }
        OptionType::Number => {
            if let Some(lo) = def.min {
                o = o.min_number_value(lo);
            }
            if let Some(hi) = def.max {
                o = o.max_number_value(hi);
            }
        }
        OptionType::String => {}
    }
    o
}

/// Discord wants required options before optional ones; order is otherwise kept.
fn options(defs: &[OptionDef]) -> Vec<CreateCommandOption> {
    let required = defs.iter().filter(|d| d.required);
    let optional = defs.iter().filter(|d| !d.required);
    required.chain(optional).map(option).collect()
}

fn command(def: &CommandDef) -> CreateCommand {
    let c = CreateCommand::new(&def.name)
        .description(description(&def.description))
        .dm_permission(false);
    if def.sub.is_empty() {
        return c.set_options(options(&def.options));
    }
    c.set_options(
        def.sub
            .iter()
            .map(|s| {
                let mut sub = CreateCommandOption::new(
                    CommandOptionType::SubCommand,
                    &s.name,
                    description(&s.description),
                );
                for o in options(&s.options) {
                    sub = sub.add_sub_option(o);
                }
                sub
            })
            .collect(),
    )
}

/// Every command of the registry, as Discord application commands.
pub fn commands(reg: &Registry) -> Vec<CreateCommand> {
    reg.commands.iter().map(command).collect()
}

/// Overwrites the application's commands with ours (in `guild` when non-zero).
pub async fn register(http: &Http, guild: u64) -> serenity::Result<usize> {
    let cmds = commands(Registry::get());
    let set = if guild != 0 {
        GuildId::new(guild).set_commands(http, cmds).await?
    } else {
        Command::set_global_commands(http, cmds).await?
    };
    Ok(set.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn json() -> Vec<Value> {
        commands(Registry::get())
            .iter()
            .map(|c| serde_json::to_value(c).unwrap())
            .collect()
    }

    #[test]
    fn every_definition_becomes_a_command_discord_accepts() {
        let cmds = json();
        assert_eq!(cmds.len(), Registry::get().commands.len());
        let name_ok = |n: &str| {
            !n.is_empty()
                && n.len() <= 32
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        };
        fn walk(v: &Value, name_ok: &dyn Fn(&str) -> bool) {
            let name = v["name"].as_str().unwrap();
            assert!(name_ok(name), "{name}");
            let d = v["description"].as_str().unwrap();
            assert!(!d.is_empty() && d.chars().count() <= 100, "{name}: {d}");
            let opts = v["options"].as_array().cloned().unwrap_or_default();
            assert!(opts.len() <= 25, "{name}");
            let mut seen_optional = false;
            for o in &opts {
                if o["type"] != 1 {
                    let required = o["required"].as_bool().unwrap_or(false);
                    assert!(
                        !(required && seen_optional),
                        "{name}: required option after an optional one"
                    );
                    seen_optional |= !required;
                    assert!(o["choices"].as_array().map_or(0, |c| c.len()) <= 25);
                }
                walk(o, name_ok);
            }
        }
        for c in &cmds {
            walk(c, &name_ok);
        }
    }

    #[test]
    fn rfc_new_carries_choices_required_flags_and_limits() {
        let cmds = json();
        let rfc = cmds.iter().find(|c| c["name"] == "rfc").unwrap();
        let new = rfc["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "new")
            .unwrap();
        assert_eq!(new["type"], 1, "a subcommand");
        let opts = new["options"].as_array().unwrap();
        let ty = opts.iter().find(|o| o["name"] == "type").unwrap();
        assert_eq!(ty["required"], true);
        let choices: Vec<&str> = ty["choices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["value"].as_str().unwrap())
            .collect();
        assert_eq!(choices, ["standard", "normal", "emergency"]);
        let title = opts.iter().find(|o| o["name"] == "title").unwrap();
        assert_eq!(title["max_length"], 100);
        let desc = opts.iter().find(|o| o["name"] == "description").unwrap();
        assert_eq!(desc["required"], false);
        let show = rfc["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "show")
            .unwrap();
        assert_eq!(show["options"][0]["autocomplete"], true);
    }
}
