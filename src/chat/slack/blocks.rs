//! The message model → Block Kit: a header for the title (with a marker for
//! its state class), sections for prose, section fields for labelled facts,
//! a context footer with the record ids, and vote buttons for a poll's
//! choices. Every text users may have typed is mrkdwn-escaped, Slack's
//! limits (50 blocks, 3,000 characters a section) are kept, and what they
//! leave out is counted in an "and N more" line.

use crate::chat::{Line, Outgoing};
use crate::domain::ids::{RecordId, RecordKind};
use crate::domain::tally::Vote;
use crate::render::form;
use serde_json::{json, Value};

/// Slack's most blocks in one message.
pub const MAX_BLOCKS: usize = 50;
/// Slack's most characters in a section's text.
pub const MAX_SECTION: usize = 3000;
/// Slack's most characters in a header.
const MAX_HEADER: usize = 150;
/// Slack's most fields in a section, and characters in one.
const MAX_FIELDS: usize = 10;
const MAX_FIELD: usize = 2000;
/// The notification text's length (Slack cuts longer fallbacks).
const MAX_FALLBACK: usize = 3000;
/// The action id of a vote button (its value: `REL-3 approve`).
pub const VOTE_ACTION: &str = "vote";
/// The action id of "Reject with reason…" (its value: `REL-3`).
pub const REASON_ACTION: &str = "vote_reason";
/// The callback id of the reason form.
pub const REASON_VIEW: &str = "reject_reason";

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

fn pings(message: &Outgoing) -> Option<String> {
    let p: Vec<String> = mention_ids(message).iter().map(|u| format!("<@{u}>")).collect();
    (!p.is_empty()).then(|| p.join(" "))
}

/// One body block before it is laid out: prose lines, or facts.
enum Part {
    Prose(Vec<String>),
    Fields(Vec<String>),
}

fn parts(message: &Outgoing) -> Vec<Part> {
    let mut out: Vec<Part> = Vec::new();
    for line in &message.lines {
        match line {
            Line::Text(t) => {
                let t = cut(&escape(t), MAX_SECTION);
                match out.last_mut() {
                    Some(Part::Prose(lines)) => lines.push(t),
                    _ => out.push(Part::Prose(vec![t])),
                }
            }
            Line::Facts(facts) => {
                for chunk in facts.chunks(MAX_FIELDS) {
                    let fields = chunk
                        .iter()
                        .map(|f| {
                            cut(
                                &format!("*{}*\n{}", escape(&f.label), escape(&f.value)),
                                MAX_FIELD,
                            )
                        })
                        .collect();
                    out.push(Part::Fields(fields));
                }
            }
        }
    }
    out
}

/// Body blocks: prose packed into sections of at most [`MAX_SECTION`]
/// characters, facts as fields, at most `budget` blocks, the last ending
/// "… and N more" (N the lines left out) when they do not all fit.
fn body(message: &Outgoing, budget: usize) -> Vec<Value> {
    // Each section as lines, so a cut can give lines back.
    let mut sections: Vec<(bool, Vec<String>)> = Vec::new();
    for part in parts(message) {
        match part {
            Part::Fields(f) => sections.push((true, f)),
            Part::Prose(lines) => {
                let mut cur: Vec<String> = Vec::new();
                let mut len = 0;
                for l in lines {
                    let n = l.chars().count();
                    if !cur.is_empty() && len + 1 + n > MAX_SECTION {
                        sections.push((false, std::mem::take(&mut cur)));
                        len = 0;
                    }
                    len += n + usize::from(!cur.is_empty());
                    cur.push(l);
                }
                if !cur.is_empty() {
                    sections.push((false, cur));
                }
            }
        }
    }
    let count = |s: &(bool, Vec<String>)| if s.0 { 1 } else { s.1.len() };
    if sections.len() > budget {
        let left: usize = sections[budget.max(1) - 1..].iter().map(count).sum();
        sections.truncate(budget.max(1) - 1);
        sections.push((false, vec![form::and_more(left)]));
    }
    sections
        .into_iter()
        .filter(|(_, lines)| lines.iter().any(|l| !l.trim().is_empty()))
        .map(|(fields, lines)| {
            if fields {
                let fields: Vec<Value> = lines
                    .into_iter()
                    .map(|t| json!({"type": "mrkdwn", "text": t}))
                    .collect();
                json!({"type": "section", "fields": fields})
            } else {
                json!({"type": "section", "text": {"type": "mrkdwn", "text": lines.join("\n")}})
            }
        })
        .collect()
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
    let text = escape(&message.title);
    let text = match pings(message) {
        Some(p) => format!("{p} {text}"),
        None => text,
    };
    cut(&text, MAX_FALLBACK)
}

/// The release a poll's message is about, when its choices are votes.
fn poll_release(message: &Outgoing) -> Option<RecordId> {
    let votes =
        !message.choices.is_empty() && message.choices.iter().all(|c| Vote::from_key(&c.label).is_some());
    if !votes {
        return None;
    }
    message
        .ids
        .iter()
        .find_map(|id| RecordId::parse_as(RecordKind::Release, id))
}

fn buttons(message: &Outgoing) -> Option<Value> {
    let release = poll_release(message)?;
    let mut elements: Vec<Value> = message
        .choices
        .iter()
        .filter_map(|c| Vote::from_key(&c.label))
        .map(|v| {
            let mut b = json!({
                "type": "button",
                "action_id": format!("{VOTE_ACTION}_{}", v.key()),
                "text": {"type": "plain_text", "text": form::vote_button(v), "emoji": true},
                "value": format!("{release} {}", v.key()),
            });
            match v {
                Vote::Approve => b["style"] = json!("primary"),
                Vote::Reject => b["style"] = json!("danger"),
                Vote::Abstain => {}
            }
            b
        })
        .collect();
    elements.push(json!({
        "type": "button",
        "action_id": REASON_ACTION,
        "text": {"type": "plain_text", "text": form::reject_with_reason_button(), "emoji": true},
        "value": release.to_string(),
    }));
    Some(json!({"type": "actions", "block_id": "votes", "elements": elements}))
}

/// The `blocks` of `chat.postMessage`, `chat.update` and `response_url` answers.
pub fn blocks(message: &Outgoing) -> Value {
    let mut head: Vec<Value> = Vec::new();
    if !message.title.trim().is_empty() {
        let marker = message.class.map(form::class_marker);
        let title = match marker {
            Some(m) => format!("{m} {}", escape(&message.title)),
            None => escape(&message.title),
        };
        head.push(json!({"type": "header", "text": {"type": "plain_text", "text": cut(&title, MAX_HEADER), "emoji": true}}));
    }
    if let Some(p) = pings(message) {
        head.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": p}}));
    }
    let mut tail: Vec<Value> = Vec::new();
    if !message.ids.is_empty() {
        let ids: Vec<String> = message.ids.iter().map(|i| escape(i)).collect();
        tail.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": ids.join(" · ")}]}));
    }
    tail.extend(buttons(message));
    let budget = MAX_BLOCKS - head.len() - tail.len();
    let mut all = head;
    all.extend(body(message, budget));
    all.extend(tail);
    Value::Array(all)
}

/// The reason form `views.open` shows for "Reject with reason…";
/// `private_metadata` carries the release and the poll's channel.
pub fn reason_view(release: RecordId, channel: &str) -> Value {
    let (title, label, submit) = form::reject_reason_form(release);
    json!({
        "type": "modal",
        "callback_id": REASON_VIEW,
        "private_metadata": format!("{release} {channel}"),
        "title": {"type": "plain_text", "text": cut(&title, 24)},
        "submit": {"type": "plain_text", "text": submit},
        "blocks": [{
            "type": "input",
            "block_id": "reason",
            "label": {"type": "plain_text", "text": label},
            "element": {"type": "plain_text_input", "action_id": "reason", "multiline": true, "max_length": 300},
        }],
    })
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
#[path = "blocks_tests.rs"]
mod tests;
