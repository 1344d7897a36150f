//! The message model: what the bot says, as render builds it and every
//! platform receives it. Render decides the words and the structure; an
//! adapter only maps the structure onto its own (the console prints
//! [`Outgoing::plain`], Discord builds an embed, Slack Block Kit: a header
//! for the title, section fields for facts, a context footer for the ids,
//! actions for the choices). Nothing downstream parses the words back.

use serde::{Deserialize, Serialize};

/// A file sent with a message (charts, calendars, notes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// File name.
    pub name: String,
    /// Contents.
    pub content: Vec<u8>,
}

/// How the subject of a message stands, for a platform's colour or badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StateClass {
    /// Waiting on someone else: a review, a vote, a verification.
    Waiting,
    /// Being worked on by its owners (planning, building, testing).
    Working,
    /// Being deployed now.
    Deploying,
    /// Done well: approved, deployed, baselined.
    Success,
    /// Gone wrong: rejected, backed out, cancelled.
    Failure,
    /// Over and done with, neither good nor bad.
    Closed,
}

impl StateClass {
    /// The class of an accent key written before the model existed (a
    /// release state key, `ok`, `warn`, `fail`); it reads old outbox rows.
    pub fn of_accent(key: &str) -> StateClass {
        match key {
            "ok" | "approved" | "closed-ok" | "early-life-support" | "implemented" => StateClass::Success,
            "warn" | "awaiting-authorization" | "plan-review" | "open" | "verifying" => StateClass::Waiting,
            "fail" | "backed-out" | "rejected" | "cancelled" => StateClass::Failure,
            "deploying" | "deployment-planning" => StateClass::Deploying,
            "closed" | "withdrawn" => StateClass::Closed,
            _ => StateClass::Working,
        }
    }
}

/// One labelled fact (`Back-out`: `switch the alias back`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// The label.
    pub label: String,
    /// The value.
    pub value: String,
}

/// One line of a message's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Line {
    /// Prose, shown as written (leading spaces included).
    Text(String),
    /// Labelled facts that belong on one line; in plain text
    /// `  Label: value · Label: value`.
    Facts(Vec<Fact>),
}

impl Line {
    /// The line as plain text.
    pub fn plain(&self) -> String {
        match self {
            Line::Text(t) => t.clone(),
            Line::Facts(facts) => {
                let f: Vec<String> = facts
                    .iter()
                    .map(|f| format!("{}: {}", f.label, f.value))
                    .collect();
                format!("  {}", f.join(" · "))
            }
        }
    }
}

/// A choice a message offers (a vote, a survey score), answered by
/// reacting with `emoji` (Discord, console) or a button (Slack).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The emoji that answers it.
    pub emoji: String,
    /// What it means (`approve`, `3`).
    pub label: String,
}

/// A message the bot sends. User-typed text inside it is never allowed to
/// ping anyone: only the user ids in `mentions` may be notified, and never
/// `@everyone`, `@here` or a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(from = "Stored")]
pub struct Outgoing {
    /// The headline.
    pub title: String,
    /// The body, in order.
    pub lines: Vec<Line>,
    /// How its subject stands; None for a message about no state.
    pub class: Option<StateClass>,
    /// The records it is about (`REL-3`), for a footer.
    pub ids: Vec<String>,
    /// The choices it offers, in order.
    pub choices: Vec<Choice>,
    /// Users the bot itself means to ping.
    pub mentions: Vec<String>,
    /// A file to attach.
    pub attachment: Option<Attachment>,
}

/// The platform-neutral name of [`Outgoing`].
pub type Message = Outgoing;

impl Outgoing {
    /// Plain lines with no pings: the first is the title, each other a
    /// [`Line::Text`], so [`Outgoing::plain`] gives `text` back unchanged.
    pub fn text(text: impl Into<String>) -> Self {
        let text = text.into();
        let mut parts = text.split('\n');
        let title = parts.next().unwrap_or_default().to_string();
        Outgoing {
            title,
            lines: parts.map(|l| Line::Text(l.to_string())).collect(),
            ..Default::default()
        }
    }

    /// Sets the state class.
    pub fn class(mut self, class: StateClass) -> Self {
        self.class = Some(class);
        self
    }

    /// Sets the state class from an accent key (see [`StateClass::of_accent`]).
    pub fn accent(self, key: &str) -> Self {
        self.class(StateClass::of_accent(key))
    }

    /// Adds a line of prose.
    pub fn line(mut self, text: impl Into<String>) -> Self {
        self.lines.push(Line::Text(text.into()));
        self
    }

    /// Adds a line of labelled facts.
    pub fn facts<L: Into<String>, V: Into<String>>(
        mut self,
        facts: impl IntoIterator<Item = (L, V)>,
    ) -> Self {
        self.lines.push(Line::Facts(
            facts
                .into_iter()
                .map(|(l, v)| Fact {
                    label: l.into(),
                    value: v.into(),
                })
                .collect(),
        ));
        self
    }

    /// Names the records the message is about.
    pub fn about(mut self, ids: impl IntoIterator<Item = impl ToString>) -> Self {
        for id in ids {
            let id = id.to_string();
            if !self.ids.contains(&id) {
                self.ids.push(id);
            }
        }
        self
    }

    /// Offers choices: `(emoji, meaning)`.
    pub fn offers<'a>(mut self, choices: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        self.choices.extend(choices.into_iter().map(|(e, l)| Choice {
            emoji: e.to_string(),
            label: l.to_string(),
        }));
        self
    }

    /// Appends plain text to the body: its first line continues the last
    /// line (or the title), each further line becomes a line of its own.
    pub fn push_str(&mut self, text: &str) {
        let mut parts = text.split('\n');
        let first = parts.next().unwrap_or_default();
        if !first.is_empty() {
            match self.lines.last_mut() {
                None => self.title.push_str(first),
                Some(Line::Text(t)) => t.push_str(first),
                Some(last @ Line::Facts(_)) => *last = Line::Text(format!("{}{first}", last.plain())),
            }
        }
        self.lines.extend(parts.map(|l| Line::Text(l.to_string())));
    }

    /// Appends another message's title and lines as lines of this one.
    pub fn append(&mut self, other: &Outgoing) {
        self.lines.push(Line::Text(other.title.clone()));
        self.lines.extend(other.lines.iter().cloned());
        for id in &other.ids {
            if !self.ids.contains(id) {
                self.ids.push(id.clone());
            }
        }
    }

    /// The message as plain text: the title, then each line.
    pub fn plain(&self) -> String {
        let mut s = self.title.clone();
        for l in &self.lines {
            s.push('\n');
            s.push_str(&l.plain());
        }
        s
    }
}

/// What the outbox stored: this model, or (before it existed) plain text
/// with an accent key. Old rows still deliver.
#[derive(Deserialize)]
struct Stored {
    #[serde(default)]
    title: String,
    #[serde(default)]
    lines: Vec<Line>,
    #[serde(default)]
    class: Option<StateClass>,
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    mentions: Vec<String>,
    #[serde(default)]
    attachment: Option<Attachment>,
    /// Before the model: the whole text.
    #[serde(default)]
    text: Option<String>,
    /// Before the model: the state key for colour.
    #[serde(default)]
    accent: Option<String>,
}

impl From<Stored> for Outgoing {
    fn from(s: Stored) -> Self {
        let base = match s.text {
            Some(text) => Outgoing::text(text),
            None => Outgoing {
                title: s.title,
                lines: s.lines,
                ..Default::default()
            },
        };
        Outgoing {
            class: s.class.or(s.accent.as_deref().map(StateClass::of_accent)),
            ids: s.ids,
            choices: s.choices,
            mentions: s.mentions,
            attachment: s.attachment,
            ..base
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_comes_back_unchanged() {
        for t in [
            "",
            "one",
            "head\n  a\n\n  b",
            "\nafter an empty title",
            "trailing\n",
        ] {
            assert_eq!(Outgoing::text(t).plain(), t, "{t:?}");
        }
        let m = Outgoing::text("REL-1 x")
            .facts([("Back-out", "undo"), ("Acceptance", "works")])
            .line("  ✅ 0");
        assert_eq!(m.plain(), "REL-1 x\n  Back-out: undo · Acceptance: works\n  ✅ 0");
    }

    #[test]
    fn appended_text_continues_the_last_line() {
        let mut m = Outgoing::text("head");
        m.push_str(" more\n  next line");
        assert_eq!(m.plain(), "head more\n  next line");
        let mut f = Outgoing::text("head").facts([("next", "/x")]);
        f.push_str(" (soon)\nthen");
        assert_eq!(f.plain(), "head\n  next: /x (soon)\nthen");
        let mut j = Outgoing::text("a\nb").about(["REL-1"]);
        j.append(&Outgoing::text("c\nd").about(["REL-1", "RFC-2"]));
        assert_eq!(j.plain(), "a\nb\nc\nd");
        assert_eq!(j.ids, ["REL-1", "RFC-2"]);
    }

    #[test]
    fn a_stored_message_reads_back_and_so_does_an_old_row() {
        let m = Outgoing::text("REL-2 y")
            .facts([("next", "/release submit")])
            .class(StateClass::Waiting)
            .about(["REL-2"])
            .offers([("✅", "approve")]);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Outgoing>(&json).unwrap(), m);
        let old = r#"{"text":"REL-1 Search — state Planning\n  next: /release plan","mentions":["42"],"accent":"rejected","attachment":null}"#;
        let read: Outgoing = serde_json::from_str(old).unwrap();
        assert_eq!(read.title, "REL-1 Search — state Planning");
        assert_eq!(
            read.plain(),
            "REL-1 Search — state Planning\n  next: /release plan"
        );
        assert_eq!(read.class, Some(StateClass::Failure));
        assert_eq!(read.mentions, ["42"]);
        let older: Outgoing = serde_json::from_str(r#"{"text":"hi"}"#).unwrap();
        assert_eq!((older.plain().as_str(), older.class), ("hi", None));
    }

    #[test]
    fn accents_fall_into_their_classes() {
        for (key, class) in [
            ("ok", StateClass::Success),
            ("early-life-support", StateClass::Success),
            ("plan-review", StateClass::Waiting),
            ("backed-out", StateClass::Failure),
            ("deployment-planning", StateClass::Deploying),
            ("withdrawn", StateClass::Closed),
            ("planning", StateClass::Working),
        ] {
            assert_eq!(StateClass::of_accent(key), class, "{key}");
        }
    }
}
