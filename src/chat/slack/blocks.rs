//! `Outgoing` → Slack's message content: mrkdwn-escaped text in section
//! blocks within Slack's limits, and the bot's own mentions. The structured
//! model's Block Kit mapping replaces the body once the core has one.

use crate::chat::Outgoing;
use serde_json::{json, Value};

/// Slack's most blocks in one message.
pub const MAX_BLOCKS: usize = 50;
/// Slack's most characters in a section's text.
pub const MAX_SECTION: usize = 3000;
/// The notification text's length (Slack cuts longer fallbacks).
const MAX_FALLBACK: usize = 3000;

/// Escapes text for mrkdwn, so nothing in it is a mention, a link or a
/// channel-wide ping: `<!everyone>`, `<!here>`, `<!channel>`,
/// `<!subteam^…>` and `<@U…>` all come out inert.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The mentions the bot means: user ids (`U…`, `W…`) only, never a group or `!…`.
pub fn mention_ids(message: &Outgoing) -> Vec<&str> {
    message
        .mentions
        .iter()
        .map(|m| m.trim())
        .filter(|m| super::config::is_id(m, 'U') || super::config::is_id(m, 'W'))
        .collect()
}

/// The message's sections' texts: the mentions first, then the escaped
/// lines, packed into at most [`MAX_BLOCKS`] sections of at most
/// [`MAX_SECTION`] characters, ending "… and N more" when lines were left out.
pub fn sections(message: &Outgoing) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let pings: Vec<String> = mention_ids(message).iter().map(|u| format!("<@{u}>")).collect();
    if !pings.is_empty() {
        lines.push(pings.join(" "));
    }
    lines.extend(message.text.lines().map(|l| cut(&escape(l), MAX_SECTION)));
    let mut out: Vec<String> = Vec::new();
    let mut used = 0;
    for (i, line) in lines.iter().enumerate() {
        let fits = out
            .last()
            .is_some_and(|s: &String| s.chars().count() + 1 + line.chars().count() <= MAX_SECTION);
        if fits {
            let last = out.last_mut().expect("checked");
            last.push('\n');
            last.push_str(line);
        } else if out.len() < MAX_BLOCKS {
            out.push(line.clone());
        } else {
            break;
        }
        used = i + 1;
    }
    let left = lines.len() - used;
    if left > 0 {
        // The last section gives up lines until the note fits.
        let last = out
            .last_mut()
            .expect("lines are left out only once the sections are full");
        let mut left = left;
        loop {
            let note = format!("… and {left} more");
            if last.chars().count() + 1 + note.chars().count() <= MAX_SECTION {
                last.push('\n');
                last.push_str(&note);
                break;
            }
            match last.rfind('\n') {
                Some(at) => {
                    last.truncate(at);
                    left += 1;
                }
                None => {
                    *last = format!("… and {} more", left + 1);
                    break;
                }
            }
        }
    }
    out.retain(|s| !s.trim().is_empty());
    out
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max - 1).collect();
    // Never leave half an entity (`&am`) at the cut.
    if let Some(amp) = s.rfind('&') {
        if !s[amp..].contains(';') {
            s.truncate(amp);
        }
    }
    s.push('…');
    s
}

/// The notification text: the escaped headline, with the bot's mentions.
pub fn fallback(message: &Outgoing) -> String {
    let head = message.text.lines().next().unwrap_or("");
    let pings: Vec<String> = mention_ids(message).iter().map(|u| format!("<@{u}>")).collect();
    let text = escape(head);
    let text = if pings.is_empty() {
        text
    } else {
        format!("{} {text}", pings.join(" "))
    };
    cut(&text, MAX_FALLBACK)
}

/// The `blocks` of `chat.postMessage` and `chat.update`.
pub fn blocks(message: &Outgoing) -> Value {
    Value::Array(
        sections(message)
            .into_iter()
            .map(|text| json!({"type": "section", "text": {"type": "mrkdwn", "text": text}}))
            .collect(),
    )
}

/// Slack's name for an emoji the bot uses (votes and survey scores); other
/// text is taken as a name already (`:name:` or `name`).
pub fn emoji_name(emoji: &str) -> String {
    let bare = emoji.replace('\u{fe0f}', "");
    let named = match bare.as_str() {
        "✅" => "white_check_mark",
        "❌" => "x",
        "🤷" => "shrug",
        "1\u{20e3}" => "one",
        "2\u{20e3}" => "two",
        "3\u{20e3}" => "three",
        "4\u{20e3}" => "four",
        "5\u{20e3}" => "five",
        other => return other.trim_matches(':').to_string(),
    };
    named.to_string()
}

/// The emoji the application knows for a Slack reaction name (skin tones
/// dropped: `shrug::skin-tone-2` is a shrug).
pub fn emoji_from_name(name: &str) -> String {
    let base = name.split("::").next().unwrap_or(name);
    match base {
        "white_check_mark" | "heavy_check_mark" => "✅",
        "x" => "❌",
        "shrug" | "man-shrugging" | "woman-shrugging" => "🤷",
        "one" => "1️⃣",
        "two" => "2️⃣",
        "three" => "3️⃣",
        "four" => "4️⃣",
        "five" => "5️⃣",
        other => return other.to_string(),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
                text: format!("RFC-1 {text}\nrationale {text}"),
                mentions: vec!["U0BOTMEANS".into(), "<!everyone>".into(), "S0GROUP".into()],
                ..Default::default()
            };
            for s in sections(&m) {
                assert_inert(&s, &["U0BOTMEANS"]);
            }
            assert_inert(&fallback(&m), &["U0BOTMEANS"]);
            assert!(sections(&m)[0].starts_with("<@U0BOTMEANS>"));
        }
        assert_eq!(escape("&lt;"), "&amp;lt;");
    }

    #[test]
    fn long_messages_stay_within_the_limits_and_say_how_many_are_left() {
        let text = (0..5000)
            .map(|i| format!("line {i} {}", "x".repeat(40)))
            .collect::<Vec<_>>()
            .join("\n");
        let s = sections(&Outgoing::text(text));
        assert_eq!(s.len(), MAX_BLOCKS);
        assert!(s.iter().all(|x| x.chars().count() <= MAX_SECTION));
        let last = s.last().unwrap().lines().last().unwrap();
        let shown: usize = s.iter().map(|x| x.lines().count()).sum::<usize>() - 1;
        assert_eq!(last, format!("… and {} more", 5000 - shown));
    }

    #[test]
    fn one_long_line_is_cut_whole_entities_only() {
        let s = sections(&Outgoing::text("&".repeat(4000)));
        assert_eq!(s.len(), 1);
        assert!(s[0].chars().count() <= MAX_SECTION);
        assert!(
            s[0].trim_end_matches('…').ends_with("&amp;"),
            "{}",
            &s[0][s[0].len() - 10..]
        );
    }

    #[test]
    fn short_messages_are_one_section() {
        let s = sections(&Outgoing::text("RFC-1 created\nrisk: low"));
        assert_eq!(s, ["RFC-1 created\nrisk: low"]);
    }

    #[test]
    fn vote_and_survey_emoji_have_slack_names_both_ways() {
        for e in ["✅", "❌", "🤷", "1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣"] {
            assert_eq!(emoji_from_name(&emoji_name(e)), e);
        }
        assert_eq!(emoji_from_name("shrug::skin-tone-3"), "🤷");
        assert_eq!(emoji_name(":tada:"), "tada");
    }
}
