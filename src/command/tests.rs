use super::parse::{parse_line, ParseError};
use super::spec::{OptionDef, OptionType, Registry};
use super::*;
use crate::domain::roles::Access;
use chrono_tz::Tz;
use proptest::prelude::*;

fn tz() -> Tz {
    chrono_tz::Europe::London
}

/// A valid sample value for an option, from its definition alone.
fn sample(def: &OptionDef) -> String {
    if let Some(c) = def.choices.first() {
        return c.clone();
    }
    match (def.kind, def.format.as_deref()) {
        (OptionType::Integer, _) => def.min.unwrap_or(1.0).max(1.0).to_string(),
        (OptionType::Number, _) => "1.5".into(),
        (_, Some("rfc")) => "RFC-1".into(),
        (_, Some("rfc-list")) => "RFC-1,rfc-2".into(),
        (_, Some("release")) => "rel-1".into(),
        (_, Some("incident")) => "INC-1".into(),
        (_, Some("record")) => "rfc-2".into(),
        (_, Some("version")) => "2.3.0".into(),
        (_, Some("time")) if def.name == "to" => "2026-12-04".into(),
        (_, Some("time")) => "2026-12-03T22:00:00Z".into(),
        (_, Some("date")) => "2026-12-03".into(),
        (_, Some("effort")) => "1h30m".into(),
        (_, Some("list")) => "staging,prod".into(),
        (_, Some("steps")) => "one;two".into(),
        (_, Some("requires")) => "db>=4.2,<5".into(),
        (_, Some("found")) => "api=2.3.0,db=4.3".into(),
        (_, Some("target")) => "all".into(),
        (_, Some(other)) => panic!("sample has no value for format {other}"),
        (_, None) => "\"some text\"".into(),
    }
}

#[test]
fn every_definition_parses_into_a_command_and_every_command_has_a_definition() {
    let reg = Registry::get();
    let mut seen = Vec::new();
    for leaf in reg.leaves() {
        // With only the required options, and with every option.
        for all in [false, true] {
            let mut line = leaf.path();
            for def in leaf.options().iter().filter(|d| all || d.required) {
                // `/release schedule` takes window or at, not both.
                if leaf.path() == "/release schedule" && (def.name == "at" || def.name == "window") {
                    continue;
                }
                line.push_str(&format!(" {}:{}", def.name, sample(def)));
            }
            if leaf.path() == "/release schedule" {
                line.push_str(" window:weekly-prod");
            }
            if leaf.path() == "/release plan" && !all {
                line.push_str(" backout:redeploy");
            }
            let cmd = Command::parse(&line, tz()).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(cmd.path(), leaf.path());
        }
        seen.push(leaf.path());
    }
    assert_eq!(seen, PATHS.iter().map(|p| p.to_string()).collect::<Vec<_>>());
}

#[test]
fn every_definition_declares_valid_roles_and_described_options() {
    for leaf in Registry::get().leaves() {
        for def in leaf.options() {
            assert!(!def.description.is_empty(), "{} {}", leaf.path(), def.name);
            assert!(
                def.description.chars().count() <= 100,
                "Discord limits descriptions to 100 characters"
            );
        }
    }
    let release_new = Registry::get()
        .leaves()
        .into_iter()
        .find(|l| l.path() == "/release new")
        .unwrap();
    assert_eq!(
        release_new.access(),
        Some(Access::AnyOf(vec![crate::domain::roles::Role::ReleaseManager]))
    );
}

/// The names of every leaf of a definition file that declares no roles.
fn undeclared(text: &str) -> Vec<String> {
    let def: toml::Table = toml::from_str(text).unwrap();
    let name = def["name"].as_str().unwrap().to_string();
    let declares = |t: &toml::Table| {
        t.get("roles")
            .and_then(|r| r.as_array())
            .is_some_and(|r| !r.is_empty())
    };
    match def.get("sub").and_then(|s| s.as_array()) {
        Some(subs) if !subs.is_empty() => subs
            .iter()
            .map(|s| s.as_table().unwrap())
            .filter(|s| !declares(s))
            .map(|s| format!("/{name} {}", s["name"].as_str().unwrap()))
            .collect(),
        _ if declares(&def) => vec![],
        _ => vec![format!("/{name}")],
    }
}

#[test]
fn every_path_of_every_file_declares_its_roles() {
    // Read from the folder, not the embedded list, so a file left out of
    // FILES is walked too.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("commands");
    let mut missing = Vec::new();
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            files += 1;
            missing.extend(undeclared(&std::fs::read_to_string(&path).unwrap()));
        }
    }
    assert_eq!(files, crate::command::spec::FILES.len());
    assert!(missing.is_empty(), "no role declaration: {missing:?}");
    // Through the registry as well: every leaf's declaration reads.
    for leaf in Registry::get().leaves() {
        assert!(leaf.access().is_some(), "{}", leaf.path());
    }
}

#[test]
fn the_walk_sees_an_undeclared_path() {
    let text = "name = \"x\"\ndescription = \"d\"\n[[sub]]\nname = \"a\"\ndescription = \"d\"\nroles = [\"everyone\"]\n[[sub]]\nname = \"b\"\ndescription = \"d\"\n";
    assert_eq!(undeclared(text), vec!["/x b".to_string()]);
    assert_eq!(
        undeclared("name = \"y\"\ndescription = \"d\"\nroles = []\n"),
        vec!["/y".to_string()]
    );
    assert!(undeclared("name = \"y\"\ndescription = \"d\"\nroles = [\"everyone\"]\n").is_empty());
}

#[test]
fn the_transcript_line_parses() {
    let cmd = Command::parse(
        "/rfc new title:\"Upgrade payment gateway\" type:normal risk:medium impact:\"Checkout degraded for 5 minutes\"",
        tz(),
    )
    .unwrap();
    assert_eq!(
        cmd,
        Command::RfcNew {
            title: "Upgrade payment gateway".into(),
            rfc_type: RfcType::Normal,
            risk: Risk::Medium,
            impact: "Checkout degraded for 5 minutes".into(),
            description: None
        }
    );
    let cmd = Command::parse(
        "/release new name:\"Payments 2.3\" version:2.3.0 rfcs:RFC-1",
        tz(),
    )
    .unwrap();
    assert!(matches!(cmd, Command::ReleaseNew { ref rfcs, .. } if rfcs == &vec![RecordId::rfc(1)]));
    let cmd = Command::parse("/subscribe target:rel-2 via:dm", tz()).unwrap();
    assert_eq!(
        cmd,
        Command::Subscribe {
            target: Target::Release(RecordId::release(2)),
            via: Via::Dm
        }
    );
}

fn err(line: &str) -> ParseError {
    Command::parse(line, tz()).unwrap_err()
}

#[test]
fn errors_are_specific() {
    assert!(matches!(err("hello"), ParseError::NotACommand { .. }));
    let e = err("/relase new");
    assert!(matches!(&e, ParseError::UnknownCommand { name, .. } if name == "relase"));
    assert!(e.to_string().contains("/release"), "{e}");
    let e = err("/release");
    assert!(e.to_string().contains("new, plan, schedule"), "{e}");
    assert!(matches!(
        err("/release frobnicate id:REL-1"),
        ParseError::UnknownSubcommand { .. }
    ));
    assert!(matches!(err("/release show"), ParseError::MissingOption { name, .. } if name == "id"));
    assert!(
        matches!(err("/release show id:REL-1 colour:red"), ParseError::UnknownOption { name, .. } if name == "colour")
    );
    assert!(matches!(
        err("/release show id:REL-1 id:REL-2"),
        ParseError::DuplicateOption { .. }
    ));
    let e = err("/release test id:REL-1 result:maybe");
    assert_eq!(
        e.to_string(),
        "result: \"maybe\" is not a choice. Choose one of: pass, fail."
    );
    assert!(matches!(err("/release show id:RFC-1"), ParseError::BadValue { option, .. } if option == "id"));
    assert!(
        matches!(err("/release new name:x version:two rfcs:RFC-1"), ParseError::BadValue { option, .. } if option == "version")
    );
    assert!(
        matches!(err("/deploy step release:REL-1 env:prod step:x status:done"), ParseError::BadValue { option, .. } if option == "step")
    );
    assert!(
        matches!(err("/incident new release:REL-1 severity:7 defect:code title:t"), ParseError::BadValue { option, .. } if option == "severity")
    );
    assert!(
        matches!(err("/calendar freeze name:x from:soon to:2026-12-01"), ParseError::BadValue { option, .. } if option == "from")
    );
    assert!(matches!(
        err("/calendar freeze name:x from:2026-12-02 to:2026-12-01"),
        ParseError::Conflict { .. }
    ));
    assert!(matches!(
        err("/rfc new title:\"open quote type:normal"),
        ParseError::UnterminatedQuote { .. }
    ));
    assert!(matches!(err("/rfc show RFC-1"), ParseError::NotAnOption { .. }));
    let long = "x".repeat(101);
    assert!(matches!(
        err(&format!("/rfc new title:{long} type:normal risk:low impact:i")),
        ParseError::TooLong { max: 100, .. }
    ));
    for (typed, code, at) in [
        ("A\u{0}B", "U+0000", 2),
        ("\"x\u{1b}[2J\"", "U+001B", 2),
        ("\"a\tb\"", "U+0009", 2),
        ("ok\u{7f}", "U+007F", 3),
    ] {
        assert_eq!(
            err(&format!("/rfc new title:{typed} type:normal risk:low impact:i")),
            ParseError::ControlCharacter {
                option: "title".into(),
                code: code.into(),
                at
            },
            "{typed:?}"
        );
    }
    assert!(matches!(
        err("/release schedule id:REL-1"),
        ParseError::Conflict { .. }
    ));
    assert!(matches!(
        err("/release plan id:REL-1"),
        ParseError::Conflict { .. }
    ));
    assert!(matches!(
        err("/rfc new title:\"\" type:normal risk:low impact:i"),
        ParseError::BadValue { .. }
    ));
    assert!(matches!(
        err("/release new name:x version:1.0.0 rfcs:RFC-1 environments:a,A"),
        ParseError::BadValue { .. }
    ));
}

#[test]
fn quotes_escape_and_keep_mentions_verbatim() {
    let inv = parse_line(
        Registry::get(),
        r#"/rfc new title:"say \"hi\" @everyone" type:normal risk:low impact:x"#,
    )
    .unwrap();
    assert_eq!(inv.text("title"), Some("say \"hi\" @everyone"));
}

proptest! {
    #[test]
    fn the_parser_never_panics(line in "\\PC{0,200}") {
        let _ = Command::parse(&line, tz());
    }

    #[test]
    fn the_parser_never_panics_on_command_shaped_input(
        cmd in prop::sample::select(PATHS.to_vec()),
        rest in "[a-z:\" \\\\0-9,;.<>=@-]{0,80}",
    ) {
        let _ = Command::parse(&format!("{cmd} {rest}"), tz());
    }
}

#[test]
fn choices_accept_the_spelling_users_see_and_pass_on_the_canonical_one() {
    let state = |line: &str| match Command::parse(line, tz()) {
        Ok(Command::ReleaseList { state }) => state,
        other => panic!("{line}: {other:?}"),
    };
    assert_eq!(
        state("/release list state:PlanReview").as_deref(),
        Some("plan-review")
    );
    assert_eq!(
        state("/release list state:\"Early life support\"").as_deref(),
        Some("early-life-support")
    );
    assert_eq!(
        state("/release list state:awaiting_AUTHORIZATION").as_deref(),
        Some("awaiting-authorization")
    );
    assert_eq!(
        state("/release list state:\"(Backed out)\"").as_deref(),
        Some("backed-out")
    );
    // The handler compares with "pass": anything else would count as a failed test.
    assert!(matches!(
        Command::parse("/release test id:REL-1 result:PASS", tz()),
        Ok(Command::ReleaseTest { passed: true, .. })
    ));
    let inv = parse_line(
        Registry::get(),
        "/rfc new title:t type:Emergency risk:HIGH impact:i",
    )
    .unwrap();
    assert_eq!(inv.text("type"), Some("emergency"));
    assert_eq!(inv.text("risk"), Some("high"));
}

#[test]
fn choices_still_refuse_other_words() {
    let e = err("/release list state:plan");
    assert!(
        matches!(&e, ParseError::BadChoice { option, value, .. } if option == "state" && value == "plan"),
        "{e:?}"
    );
    assert!(matches!(
        err("/release list state:\"Plan reviewed\""),
        ParseError::BadChoice { .. }
    ));
    assert!(matches!(
        err("/release test id:REL-1 result:passed"),
        ParseError::BadChoice { .. }
    ));
    assert!(matches!(
        err("/release test id:REL-1 result:-"),
        ParseError::BadChoice { .. }
    ));
}

#[test]
fn schedule_needs_one_of_window_or_at() {
    let neither = Command::parse("/release schedule id:REL-1", tz())
        .unwrap_err()
        .to_string();
    assert!(
        neither.contains("give one of window") && !neither.contains("not both"),
        "{neither}"
    );
    let both = Command::parse(
        "/release schedule id:REL-1 window:weekly-prod at:2026-12-03T22:00:00Z",
        tz(),
    )
    .unwrap_err()
    .to_string();
    assert!(both.contains("not both"), "{both}");
}

#[test]
fn close_takes_an_outcome_defaulting_to_successful() {
    use crate::domain::release::CloseOutcome;
    let outcome = |line: &str| match Command::parse(line, tz()) {
        Ok(Command::ReleaseClose { outcome, .. }) => Ok(outcome),
        Ok(other) => panic!("{line}: parsed as {}", other.path()),
        Err(e) => Err(e.to_string()),
    };
    assert_eq!(
        outcome("/release close id:REL-1 handover:ops"),
        Ok(CloseOutcome::Successful)
    );
    assert_eq!(
        outcome("/release close id:REL-1 handover:ops outcome:unsuccessful"),
        Ok(CloseOutcome::Unsuccessful)
    );
    assert!(outcome("/release close id:REL-1 handover:ops outcome:great").is_err());
}

#[test]
fn several_missing_options_are_named_at_once_with_their_choices() {
    let reg = Registry::get();
    let e = parse_line(reg, "/rfc new title:x").unwrap_err().to_string();
    assert_eq!(
        e,
        "/rfc new needs 3 options: type (one of standard, normal, emergency), risk (one of low, medium, high), impact (Impact on the service)."
    );
    let one = parse_line(reg, "/rfc new title:x type:normal risk:low")
        .unwrap_err()
        .to_string();
    assert!(one.starts_with("/rfc new needs impact: "), "{one}");
}
