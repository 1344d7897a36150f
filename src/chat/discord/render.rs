//! `Outgoing` → Discord messages: one embed (the title, facts as fields,
//! the other lines as description, a colour per state class, the record
//! ids in the footer), the users the bot means to ping in the content, and
//! an `allowed_mentions` on every create and edit that allows exactly those
//! users — never `@everyone`, `@here` or a role, whatever text users typed.
//! Offered choices are not drawn here: they are the reactions the outbox adds.

use crate::chat::{Line, Outgoing, StateClass};
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

/// Fits a message into one embed: facts as fields (while they take at
/// most half the room), the other lines as description — a line of facts
/// that does not fit joins the description as text — within Discord's limits.
pub fn parts(message: &Outgoing) -> Parts {
    let title = cut(message.title.trim(), TITLE_MAX);
    let footer = (!message.ids.is_empty()).then(|| cut(&message.ids.join(" · "), FOOTER_MAX));
    let used = title.chars().count() + footer.as_deref().map_or(0, |f| f.chars().count());
    let budget = EMBEDS_TOTAL_MAX.saturating_sub(used);
    let mut fields: Vec<(String, String, bool)> = Vec::new();
    let mut fields_size = 0;
    let mut lines: Vec<String> = Vec::new();
    for line in &message.lines {
        let facts = match line {
            Line::Facts(f) if !f.is_empty() => f,
            _ => {
                lines.push(line.plain());
                continue;
            }
        };
        let f: Vec<(String, String, bool)> = facts
            .iter()
            .map(|f| {
                let value = if f.value.trim().is_empty() {
                    "—"
                } else {
                    f.value.trim()
                };
                (
                    cut(&f.label, FIELD_NAME_MAX),
                    cut(value, FIELD_VALUE_MAX),
                    value.chars().count() <= INLINE_MAX,
                )
            })
            .collect();
        let size: usize = f
            .iter()
            .map(|(n, v, _)| n.chars().count() + v.chars().count())
            .sum();
        if fields.len() + f.len() <= FIELDS_MAX && fields_size + size <= budget / 2 {
            fields_size += size;
            fields.extend(f);
        } else {
            lines.push(line.plain());
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

/// The colour of a state class; a message about no state has Discord's own.
pub fn colour(class: Option<StateClass>) -> Colour {
    match class {
        Some(StateClass::Success) => Colour::new(0x2e_cc_71),
        Some(StateClass::Waiting) => Colour::new(0xf1_c4_0f),
        Some(StateClass::Failure) => Colour::new(0xe7_4c_3c),
        Some(StateClass::Deploying) => Colour::new(0xe6_7e_22),
        Some(StateClass::Closed) => Colour::new(0x95_a5_a6),
        Some(StateClass::Working) | None => Colour::new(0x58_65_f2),
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
    let p = parts(message);
    let mut e = CreateEmbed::new().colour(colour(message.class));
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
#[path = "render_tests.rs"]
mod tests;
