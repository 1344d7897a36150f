//! Where a command's answer goes besides the reply: a platform's handle to
//! answer late, or the console's message posted by the command's commit.

use crate::chat::Outgoing;

/// A channel of the console, where a command's public answer is posted by
/// the command's own commit instead of a write after it (one commit per
/// command, not two). Not when the command queued messages or jobs: their
/// messages come first, then the answer, and with the answer written first
/// its number would come before theirs. Nor when the platform has no text
/// for it before the commit (the console writes an attachment to a file
/// first).
#[derive(Debug)]
pub struct PostedByCommit {
    /// The channel.
    pub channel: String,
    /// The platform's text of an answer, if it can be posted as it is.
    pub text: fn(&Outgoing) -> Option<String>,
    /// The message's id, once a commit posted it.
    id: std::sync::Mutex<Option<i64>>,
}

impl PostedByCommit {
    /// For an answer in `channel`, written as `text` gives it.
    pub fn new(channel: &str, text: fn(&Outgoing) -> Option<String>) -> PostedByCommit {
        PostedByCommit {
            channel: channel.to_string(),
            text,
            id: Default::default(),
        }
    }

    /// The id of the message the commit posted; None: the answer is still to post.
    pub fn id(&self) -> Option<i64> {
        *self.id.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes what the commit posted.
    pub(super) fn posted(&self, id: Option<i64>) {
        *self.id.lock().unwrap_or_else(|e| e.into_inner()) = id;
    }
}

/// A platform's handle for answering a command late (Discord's interaction
/// token, Slack's `response_url`), and the channel it came from.
#[derive(Debug, Clone)]
pub struct AnswerTo {
    /// The handle.
    pub token: String,
    /// The channel, where the answer goes once the handle no longer works.
    pub channel: String,
}
