use super::*;
use crate::chat::StateClass;

/// Every text in a Block Kit value.
fn texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| texts(x, out)),
        Value::Object(o) => o.values().for_each(|x| texts(x, out)),
        _ => {}
    }
}

/// No `<` from user text survives, so no `<!…>` or `<@…>` can form.
fn assert_inert(out: &str, bot_mentions: &[&str]) {
    let mut rest = out.to_string();
    for m in bot_mentions {
        rest = rest.replace(&format!("<@{m}>"), "");
    }
    assert!(
        !rest.contains('<') && !rest.contains('>'),
        "unescaped bracket in {out:?}"
    );
}

#[test]
fn the_checker_catches_an_injection() {
    let caught = std::panic::catch_unwind(|| assert_inert("hi <!everyone>", &[]));
    assert!(caught.is_err());
}

#[test]
fn user_text_cannot_mention_anyone() {
    let corpus = [
        "<!everyone>",
        "<!here>",
        "<!channel>",
        "<!subteam^S0123|cab>",
        "<@U0123ABC>",
        "<#C0123|general>",
        "<https://evil.example|click>",
        "&lt;!everyone&gt;",
        "<<!here>>",
        "a > b < c & d",
    ];
    for text in corpus {
        let m = Outgoing {
            mentions: vec!["U0BOTMEANS".into(), "<!everyone>".into(), "S0GROUP".into()],
            ..Outgoing::text(format!("RFC-1 {text}\nrationale {text}"))
                .facts([(text, text)])
                .about([text])
        };
        let b = blocks(&m);
        let mut all = Vec::new();
        texts(&b, &mut all);
        for s in &all {
            assert_inert(s, &["U0BOTMEANS"]);
        }
        assert_inert(&fallback(&m), &["U0BOTMEANS"]);
        assert_eq!(b[1]["text"]["text"], "<@U0BOTMEANS>");
    }
    assert_eq!(escape("&lt;"), "&amp;lt;");
}

#[test]
fn the_model_maps_to_header_fields_footer_and_buttons() {
    let m = Outgoing::text("REL-3 Search 2.1 — CAB poll")
        .line("  ✅ 1  ❌ 0  🤷 0")
        .facts([("Back-out", "switch the alias back"), ("Risk", "low")])
        .class(StateClass::Waiting)
        .about(["REL-3"])
        .offers(Vote::ALL.map(|v| (v.emoji(), v.key())));
    let b = blocks(&m);
    let kinds: Vec<&str> = b
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["header", "section", "section", "context", "actions"]);
    assert_eq!(
        b[0]["text"]["text"],
        ":hourglass_flowing_sand: REL-3 Search 2.1 — CAB poll"
    );
    assert_eq!(b[1]["text"]["text"], "  ✅ 1  ❌ 0  🤷 0");
    assert_eq!(b[2]["fields"][0]["text"], "*Back-out*\nswitch the alias back");
    assert_eq!(b[3]["elements"][0]["text"], "REL-3");
    let buttons = b[4]["elements"].as_array().unwrap();
    let values: Vec<&str> = buttons.iter().map(|x| x["value"].as_str().unwrap()).collect();
    assert_eq!(
        values,
        ["REL-3 approve", "REL-3 reject", "REL-3 abstain", "REL-3"]
    );
    assert_eq!(buttons[3]["action_id"], REASON_ACTION);
    // A survey's scores are answered by reactions: no buttons.
    let survey = Outgoing::text("How satisfied?")
        .about(["REL-3"])
        .offers([("1️⃣", "1"), ("2️⃣", "2")]);
    assert!(blocks(&survey)
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["type"] != "actions"));
}

#[test]
fn long_messages_stay_within_the_limits_and_say_how_many_are_left() {
    let text = (0..5000)
        .map(|i| format!("line {i} {}", "x".repeat(40)))
        .collect::<Vec<_>>()
        .join("\n");
    let m = Outgoing::text(text).about(["REL-1"]);
    let b = blocks(&m);
    let all = b.as_array().unwrap();
    assert_eq!(all.len(), MAX_BLOCKS);
    let sections: Vec<&str> = all
        .iter()
        .filter(|x| x["type"] == "section")
        .map(|x| x["text"]["text"].as_str().unwrap())
        .collect();
    assert!(sections.iter().all(|x| x.chars().count() <= MAX_SECTION));
    let shown: usize = sections[..sections.len() - 1]
        .iter()
        .map(|x| x.lines().count())
        .sum();
    assert_eq!(*sections.last().unwrap(), format!("… and {} more", 4999 - shown));
    assert_eq!(all.last().unwrap()["type"], "context", "the footer stays");
    // Facts count as blocks too.
    let mut many = Outgoing::text("facts");
    for i in 0..80 {
        many = many.facts([("n", i.to_string())]);
    }
    let b = blocks(&many);
    assert_eq!(b.as_array().unwrap().len(), MAX_BLOCKS);
    assert_eq!(b[49]["text"]["text"], "… and 32 more");
}

#[test]
fn one_long_line_is_cut_whole_entities_only() {
    let b = blocks(&Outgoing::text(format!("t\n{}", "&".repeat(4000))));
    let s = b[1]["text"]["text"].as_str().unwrap();
    assert!(s.chars().count() <= MAX_SECTION);
    assert!(
        s.trim_end_matches('…').ends_with("&amp;"),
        "{}",
        &s[s.len() - 10..]
    );
}

#[test]
fn the_reason_form_names_the_release_and_channel() {
    let v = reason_view(RecordId::release(3), "C0CAB");
    assert_eq!(v["callback_id"], REASON_VIEW);
    assert_eq!(v["private_metadata"], "REL-3 C0CAB");
    assert_eq!(v["blocks"][0]["element"]["action_id"], "reason");
}

#[test]
fn vote_and_survey_emoji_have_slack_names_both_ways() {
    for e in ["✅", "❌", "🤷", "1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣"] {
        assert_eq!(emoji_from_name(&emoji_name(e)), e);
    }
    assert_eq!(emoji_from_name("shrug::skin-tone-3"), "🤷");
    assert_eq!(emoji_name(":tada:"), "tada");
}
