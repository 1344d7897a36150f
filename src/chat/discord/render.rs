//! `Outgoing` → Discord messages: one embed (headline as title, lines of
//! facts as fields, the rest as description, a colour per state, the record
//! ids in the footer), the
//! users the bot means to ping in the content, and an `allowed_mentions`
//! on every create and edit that allows exactly those users — never
//! `@everyone`, `@here` or a role, whatever text users typed.

use crate::chat::Outgoing;
use serenity::all::{
    Colour, CreateAllowedMentions, CreateAttachment, CreateEmbed, CreateEmbedFooter,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage,
    EditInteractionResponse, EditMessage, Nonce, UserId,
};

/// Discord's limits.
pub const CONTENT_MAX: usize = 2000;
/// Longest embed title.
pub const TITLE_MAX: usize = 256;
/// Longest embed description.
pub const DESCRIPTION_MAX: usize = 4096;
/// Longest embed footer.
pub const FOOTER_MAX: usize = 2048;
/// Most characters in all embeds of a message.
pub const EMBEDS_TOTAL_MAX: usize = 6000;

/// Most fields in an embed.
pub const FIELDS_MAX: usize = 25;
/// Longest field name.
pub const FIELD_NAME_MAX: usize = 256;
/// Longest field value.
pub const FIELD_VALUE_MAX: usize = 1024;
/// A fact's label, as the renderers write them (`Back-out`, `next`).
const LABEL_MAX: usize = 32;
/// Values up to this length sit side by side.
const INLINE_MAX: usize = 40;

/// What an embed shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    /// The headline.
    pub title: String,
    /// The lines that are not facts, fitted.
    pub description: String,
    /// The key facts: name, value, inline.
    pub fields: Vec<(String, String, bool)>,
    /// Record ids named in the headline.
    pub footer: Option<String>,
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Keeps whole lines while they fit in `max` characters; the rest become an
/// "… and N more" line.
pub fn fit_lines(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut kept: Vec<String> = Vec::new();
    let mut used = 0;
    for (i, line) in lines.iter().enumerate() {
        let left = lines.len() - i;
        let tail = format!("… and {left} more");
        let len = line.chars().count() + 1;
        if used + len + tail.chars().count() + 1 > max {
            let room = max.saturating_sub(used + tail.chars().count() + 1);
            if kept.is_empty() && room > 1 {
                // One huge line: keep its start rather than nothing.
                kept.push(cut(line, room));
                if left > 1 {
                    kept.push(format!("… and {} more", left - 1));
                }
            } else {
                kept.push(tail);
            }
            return kept.join("\n");
        }
        kept.push(line.to_string());
        used += len;
    }
    kept.join("\n")
}

fn record_ids(headline: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for word in headline.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        if let Some((prefix, n)) = word.split_once('-') {
            if ["RFC", "REL", "INC", "KE"].contains(&prefix)
                && !n.is_empty()
                && n.chars().all(|c| c.is_ascii_digit())
                && !ids.iter().any(|i| i == word)
            {
                ids.push(word.to_string());
            }
        }
    }
    ids
}

/// A line made only of facts (`Back-out: … · Acceptance: …`, `next: …`),
/// as fields; None for any other line.
fn facts(line: &str) -> Option<Vec<(String, String, bool)>> {
    line.trim()
        .split(" · ")
        .map(|segment| {
            let (label, value) = segment.split_once(": ")?;
            let label_ok = label.chars().count() <= LABEL_MAX
                && label.chars().next().is_some_and(|c| c.is_alphabetic())
                && label.chars().all(|c| c.is_alphanumeric() || " -_()/".contains(c));
            let value = value.trim();
            (label_ok && !value.is_empty()).then(|| {
                (
                    cut(label, FIELD_NAME_MAX),
                    cut(value, FIELD_VALUE_MAX),
                    value.chars().count() <= INLINE_MAX,
                )
            })
        })
        .collect()
}

/// Splits and fits a message's text for one embed: the headline as title,
/// lines of facts as fields (while they take at most half the room), the
/// other lines as description, within Discord's limits.
pub fn parts(text: &str) -> Parts {
    let text = text.trim();
    let (head, rest) = text.split_once('\n').unwrap_or((text, ""));
    let title = cut(head.trim(), TITLE_MAX);
    let ids = record_ids(head);
    let footer = (!ids.is_empty()).then(|| cut(&ids.join(" · "), FOOTER_MAX));
    let used = title.chars().count() + footer.as_deref().map_or(0, |f| f.chars().count());
    let budget = EMBEDS_TOTAL_MAX.saturating_sub(used);
    let mut fields: Vec<(String, String, bool)> = Vec::new();
    let mut fields_size = 0;
    let mut lines: Vec<&str> = Vec::new();
    for line in rest.lines() {
        match facts(line) {
            Some(f) => {
                let size: usize = f
                    .iter()
                    .map(|(n, v, _)| n.chars().count() + v.chars().count())
                    .sum();
                if fields.len() + f.len() <= FIELDS_MAX && fields_size + size <= budget / 2 {
                    fields_size += size;
                    fields.extend(f);
                } else {
                    lines.push(line);
                }
            }
            None => lines.push(line),
        }
    }
    let room = DESCRIPTION_MAX.min(budget - fields_size);
    Parts {
        title,
        description: fit_lines(lines.join("\n").trim_end(), room),
        fields,
        footer,
    }
}

/// The colour of an accent (a state key, `ok`, `warn`, `fail`).
pub fn colour(accent: Option<&str>) -> Colour {
    match accent.unwrap_or("") {
        "ok" | "approved" | "closed-ok" | "early-life-support" | "implemented" => Colour::new(0x2e_cc_71),
        "warn" | "awaiting-authorization" | "plan-review" | "open" | "verifying" => Colour::new(0xf1_c4_0f),
        "fail" | "backed-out" | "rejected" | "cancelled" => Colour::new(0xe7_4c_3c),
        "deploying" | "deployment-planning" => Colour::new(0xe6_7e_22),
        "closed" | "withdrawn" => Colour::new(0x95_a5_a6),
        _ => Colour::new(0x58_65_f2),
    }
}

/// The users a message may ping: its explicit mentions that are user ids.
pub fn mention_ids(message: &Outgoing) -> Vec<UserId> {
    let mut ids: Vec<UserId> = message
        .mentions
        .iter()
        .filter_map(|m| m.trim().parse::<u64>().ok())
        .filter(|n| *n != 0)
        .map(UserId::new)
        .collect();
    ids.sort();
    ids.dedup();
    ids.truncate(100);
    ids
}

/// Exactly the explicit users; no `@everyone`/`@here`, no roles, no reply ping.
pub fn allowed_mentions(message: &Outgoing) -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .users(mention_ids(message))
        .empty_roles()
        .replied_user(false)
}

/// The content: the pings the bot means, nothing typed by users.
pub fn content(message: &Outgoing) -> String {
    let pings: Vec<String> = mention_ids(message).iter().map(|u| format!("<@{u}>")).collect();
    cut(&pings.join(" "), CONTENT_MAX)
}

/// The embed.
pub fn embed(message: &Outgoing) -> CreateEmbed {
    let p = parts(&message.text);
    let mut e = CreateEmbed::new().colour(colour(message.accent.as_deref()));
    if !p.title.is_empty() {
        e = e.title(p.title);
    }
    if !p.description.is_empty() {
        e = e.description(p.description);
    }
    e = e.fields(p.fields);
    if let Some(f) = p.footer {
        e = e.footer(CreateEmbedFooter::new(f));
    }
    e
}

/// Whether `message` carries a file (an upload: multipart, not JSON).
pub fn has_file(message: &Outgoing) -> bool {
    message.attachment.is_some()
}

fn file(message: &Outgoing) -> Option<CreateAttachment> {
    message
        .attachment
        .as_ref()
        .map(|a| CreateAttachment::bytes(a.content.clone(), a.name.clone()))
}

/// A new channel message.
pub fn create_message(message: &Outgoing, nonce: &str) -> CreateMessage {
    let mut m = CreateMessage::new()
        .embed(embed(message))
        .allowed_mentions(allowed_mentions(message));
    let c = content(message);
    if !c.is_empty() {
        m = m.content(c);
    }
    if !nonce.is_empty() && nonce.len() <= 25 {
        m = m.nonce(Nonce::String(nonce.to_string())).enforce_nonce(true);
    }
    if let Some(f) = file(message) {
        m = m.add_file(f);
    }
    m
}

/// An edit of a posted message (its text and pings; a file stays as posted).
pub fn edit_message(message: &Outgoing) -> EditMessage {
    EditMessage::new()
        .content(content(message))
        .embed(embed(message))
        .allowed_mentions(allowed_mentions(message))
}

/// The answer to an interaction.
pub fn interaction_message(message: &Outgoing, ephemeral: bool) -> CreateInteractionResponseMessage {
    let mut m = CreateInteractionResponseMessage::new()
        .embed(embed(message))
        .allowed_mentions(allowed_mentions(message))
        .ephemeral(ephemeral);
    let c = content(message);
    if !c.is_empty() {
        m = m.content(c);
    }
    if let Some(f) = file(message) {
        m = m.add_file(f);
    }
    m
}

/// The answer to a deferred interaction, in place of "thinking…".
pub fn interaction_edit(message: &Outgoing) -> EditInteractionResponse {
    let mut m = EditInteractionResponse::new()
        .content(content(message))
        .embed(embed(message))
        .allowed_mentions(allowed_mentions(message));
    if let Some(f) = file(message) {
        m = m.new_attachment(f);
    }
    m
}

/// A follow-up message to an interaction.
pub fn followup(message: &Outgoing, ephemeral: bool) -> CreateInteractionResponseFollowup {
    let mut m = CreateInteractionResponseFollowup::new()
        .embed(embed(message))
        .allowed_mentions(allowed_mentions(message))
        .ephemeral(ephemeral);
    let c = content(message);
    if !c.is_empty() {
        m = m.content(c);
    }
    if let Some(f) = file(message) {
        m = m.add_file(f);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn headline_becomes_title_and_ids_the_footer() {
        let p = parts("REL-3 Payments (2.3.0) — approved\nRFC-1 and RFC-2\nquorum 3");
        assert_eq!(p.title, "REL-3 Payments (2.3.0) — approved");
        assert_eq!(p.description, "RFC-1 and RFC-2\nquorum 3");
        assert_eq!(p.footer.as_deref(), Some("REL-3"));
    }

    #[test]
    fn the_colour_says_how_a_state_stands() {
        let c = |a: &str| colour(Some(a));
        for (state, like) in [
            ("backed-out", "fail"),
            ("rejected", "fail"),
            ("early-life-support", "ok"),
            ("plan-review", "warn"),
            ("awaiting-authorization", "warn"),
            ("verifying", "warn"),
            ("deploying", "deployment-planning"),
            ("closed", "withdrawn"),
            ("planning", "building"),
        ] {
            assert_eq!(c(state), c(like), "{state}");
        }
        let groups = [
            c("ok"),
            c("warn"),
            c("fail"),
            c("deploying"),
            c("closed"),
            c("planning"),
        ];
        for (i, a) in groups.iter().enumerate() {
            assert!(groups[i + 1..].iter().all(|b| b != a), "the groups differ");
        }
        assert_eq!(colour(None), c("planning"));
    }

    #[test]
    fn lines_of_facts_become_fields_and_the_rest_stays_in_order() {
        let p = parts(
            "CAB vote — REL-1 Search (2.0.0)\n  RFC-1 Search v2 · risk low\n  Back-out: switch the alias back · Acceptance: queries answer\n  \
             Rule: majority, quorum 1 · revision 1 · closes Thu 3 Dec 2026 09:00 (Europe/London)\n  ✅ 0  ❌ 0  🤷 0\n  next: /release prepare, /release cancel",
        );
        assert_eq!(
            p.fields,
            vec![
                ("Back-out".to_string(), "switch the alias back".to_string(), true),
                ("Acceptance".to_string(), "queries answer".to_string(), true),
                (
                    "next".to_string(),
                    "/release prepare, /release cancel".to_string(),
                    true
                ),
            ]
        );
        assert_eq!(
            p.description,
            "  RFC-1 Search v2 · risk low\n  Rule: majority, quorum 1 · revision 1 · closes Thu 3 Dec 2026 09:00 (Europe/London)\n  ✅ 0  ❌ 0  🤷 0"
        );
        // Not facts: a label that is a command, a time, a label with no value.
        for line in ["/release plan: x", "at 09:00 today", "Rule:", "x: "] {
            assert_eq!(facts(line), None, "{line}");
        }
    }

    #[test]
    fn fields_stay_within_discords_limits() {
        let many: Vec<String> = (0..40).map(|i| format!("Fact {i}: value {i}")).collect();
        let p = parts(&format!("REL-1 facts\n{}", many.join("\n")));
        assert_eq!(p.fields.len(), FIELDS_MAX);
        assert!(
            p.description.starts_with("Fact 25: value 25"),
            "{}",
            p.description
        );
        let huge: Vec<String> = (0..25).map(|i| format!("F{i}: {}", "v".repeat(5000))).collect();
        let p = parts(&format!("REL-1 huge\n{}", huge.join("\n")));
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
        let p = parts(&format!("List\n{}", lines.join("\n")));
        assert!(p.description.chars().count() <= DESCRIPTION_MAX);
        let last = p.description.lines().last().unwrap();
        assert!(last.starts_with("… and ") && last.ends_with(" more"), "{last}");
        let kept = p.description.lines().count() - 1;
        assert_eq!(last, format!("… and {} more", 2000 - kept));
        let long_title = "x".repeat(1000);
        assert_eq!(parts(&long_title).title.chars().count(), TITLE_MAX);
        let one_line = format!("t\n{}", "y".repeat(10_000));
        let d = parts(&one_line).description;
        assert!(d.chars().count() <= DESCRIPTION_MAX);
        assert!(
            d.ends_with('…') && !d.contains("more"),
            "nothing after it to count"
        );
        let two = format!("t\n{}\nsecond", "y".repeat(10_000));
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
}
