//! The embed mapping: structure in, Discord's shapes and limits out.

use super::*;
use crate::chat::StateClass;
use serde_json::json;

fn facts_message(title: &str, n: usize, value: &str) -> Outgoing {
    (0..n).fold(Outgoing::text(title), |m, i| {
        m.facts([(format!("Fact {i}"), format!("{value}{i}"))])
    })
}

#[test]
fn the_title_is_the_title_and_the_ids_the_footer() {
    let m = Outgoing::text("REL-3 Payments (2.3.0) — approved\nRFC-1 and RFC-2\nquorum 3").about(["REL-3"]);
    let p = parts(&m);
    assert_eq!(p.title, "REL-3 Payments (2.3.0) — approved");
    assert_eq!(p.description, "RFC-1 and RFC-2\nquorum 3");
    assert_eq!(p.footer.as_deref(), Some("REL-3"));
    // Ids come from the model, not from the words: none named, no footer.
    assert_eq!(parts(&Outgoing::text("REL-3 approved")).footer, None);
}

#[test]
fn each_state_class_has_its_colour() {
    let all = [
        StateClass::Waiting,
        StateClass::Working,
        StateClass::Deploying,
        StateClass::Success,
        StateClass::Failure,
        StateClass::Closed,
    ];
    let colours: Vec<Colour> = all.iter().map(|c| colour(Some(*c))).collect();
    for (i, a) in colours.iter().enumerate() {
        assert!(colours[i + 1..].iter().all(|b| b != a), "the classes differ");
    }
    assert_eq!(colour(None), colour(Some(StateClass::Working)));
    assert_eq!(colour(Some(StateClass::Working)), Colour::new(0x58_65_f2));
    let e = serde_json::to_value(embed(&Outgoing::text("x").class(StateClass::Failure))).unwrap();
    assert_eq!(e["color"], 0xe7_4c_3c);
}

#[test]
fn facts_become_fields_and_the_other_lines_stay_in_order() {
    let m = Outgoing::text("CAB vote — REL-1 Search (2.0.0)")
        .line("  RFC-1 Search v2 · risk low")
        .facts([
            ("Back-out", "switch the alias back"),
            ("Acceptance", "queries answer"),
        ])
        .line("  Rule: majority, quorum 1 · revision 1")
        .line("  ✅ 0  ❌ 0  🤷 0")
        .facts([("next", "/release prepare, /release cancel"), ("empty", " ")]);
    let p = parts(&m);
    let f = |n: &str, v: &str| (n.to_string(), v.to_string(), true);
    assert_eq!(
        p.fields,
        vec![
            f("Back-out", "switch the alias back"),
            f("Acceptance", "queries answer"),
            f("next", "/release prepare, /release cancel"),
            f("empty", "—"),
        ]
    );
    // A line of prose that looks like a fact stays prose: nothing is parsed.
    assert_eq!(
        p.description,
        "  RFC-1 Search v2 · risk low\n  Rule: majority, quorum 1 · revision 1\n  ✅ 0  ❌ 0  🤷 0"
    );
    let long = Outgoing::text("t").facts([("Long", "v".repeat(41))]);
    assert!(!parts(&long).fields[0].2, "a long value takes its own row");
}

#[test]
fn fields_stay_within_discords_limits() {
    let p = parts(&facts_message("REL-1 facts", 40, "value "));
    assert_eq!(p.fields.len(), FIELDS_MAX);
    assert!(
        p.description.starts_with("  Fact 25: value 25"),
        "{}",
        p.description
    );
    let p = parts(&facts_message("REL-1 huge", 25, &"v".repeat(5000)));
    let total = p.title.chars().count()
        + p.description.chars().count()
        + p.footer.as_deref().map_or(0, |f| f.chars().count())
        + p.fields
            .iter()
            .map(|(n, v, _)| n.chars().count() + v.chars().count())
            .sum::<usize>();
    assert!(total <= EMBEDS_TOTAL_MAX, "{total}");
    assert!(p
        .fields
        .iter()
        .all(|(n, v, _)| n.chars().count() <= FIELD_NAME_MAX && v.chars().count() <= FIELD_VALUE_MAX));
    assert!(
        !p.fields.is_empty() && p.description.ends_with("more"),
        "{}",
        p.description
    );
}

#[test]
fn long_lists_end_with_and_n_more_within_the_limits() {
    let lines: Vec<String> = (0..2000).map(|i| format!("RFC-{i} something to do")).collect();
    let p = parts(&Outgoing::text(format!("List\n{}", lines.join("\n"))));
    assert!(p.description.chars().count() <= DESCRIPTION_MAX);
    let last = p.description.lines().last().unwrap();
    assert!(last.starts_with("… and ") && last.ends_with(" more"), "{last}");
    let kept = p.description.lines().count() - 1;
    assert_eq!(last, format!("… and {} more", 2000 - kept));
    let long_title = Outgoing::text("x".repeat(1000));
    assert_eq!(parts(&long_title).title.chars().count(), TITLE_MAX);
    let one_line = Outgoing::text(format!("t\n{}", "y".repeat(10_000)));
    let d = parts(&one_line).description;
    assert!(d.chars().count() <= DESCRIPTION_MAX);
    assert!(
        d.ends_with('…') && !d.contains("more"),
        "nothing after it to count"
    );
    let two = Outgoing::text(format!("t\n{}\nsecond", "y".repeat(10_000)));
    assert_eq!(parts(&two).description.lines().last(), Some("… and 1 more"));
}

#[test]
fn allowed_mentions_allow_only_the_explicit_users() {
    let mut m = Outgoing::text("@everyone @here <@&123> <@456> look");
    m.mentions = vec!["789".into(), "not-a-user".into(), "789".into()];
    let a = serde_json::to_value(allowed_mentions(&m)).unwrap();
    assert_eq!(
        a,
        json!({"parse": [], "users": ["789"], "roles": [], "replied_user": false})
    );
    assert_eq!(content(&m), "<@789>");
    let plain = serde_json::to_value(allowed_mentions(&Outgoing::text("@everyone"))).unwrap();
    assert_eq!(
        plain,
        json!({"parse": [], "users": [], "roles": [], "replied_user": false})
    );
    assert_eq!(content(&Outgoing::text("@everyone")), "");
}

#[test]
fn every_builder_carries_the_safe_allowed_mentions() {
    let m = Outgoing::text("@everyone hi");
    let safe = json!({"parse": [], "users": [], "roles": [], "replied_user": false});
    for v in [
        serde_json::to_value(create_message(&m, "rd1")).unwrap(),
        serde_json::to_value(edit_message(&m)).unwrap(),
        serde_json::to_value(interaction_message(&m, true)).unwrap(),
        serde_json::to_value(interaction_edit(&m)).unwrap(),
        serde_json::to_value(followup(&m, false)).unwrap(),
    ] {
        assert_eq!(v["allowed_mentions"], safe, "{v}");
    }
}
