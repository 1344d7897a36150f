//! The words of the controls a platform offers for a message's choices
//! (vote buttons, the form asking for a reason) and of the answers only
//! a platform with such controls gives.

use crate::domain::ids::RecordId;
use crate::domain::tally::Vote;

/// A vote button's label.
pub fn vote_button(vote: Vote) -> &'static str {
    match vote {
        Vote::Approve => "Approve",
        Vote::Reject => "Reject",
        Vote::Abstain => "Abstain",
    }
}

/// The button that asks for a reason before rejecting.
pub fn reject_with_reason_button() -> &'static str {
    "Reject with reason…"
}

/// The reason form: (title, the field's label, the submit button).
pub fn reject_reason_form(release: RecordId) -> (String, String, &'static str) {
    (
        format!("Reject {release}"),
        format!("Why reject {release}? (shown on the poll)"),
        "Reject",
    )
}

/// The marker before a message's title for how its subject stands.
pub fn class_marker(class: crate::chat::StateClass) -> &'static str {
    use crate::chat::StateClass as C;
    match class {
        C::Waiting => ":hourglass_flowing_sand:",
        C::Working => ":hammer_and_wrench:",
        C::Deploying => ":rocket:",
        C::Success => ":large_green_circle:",
        C::Failure => ":red_circle:",
        C::Closed => ":white_circle:",
    }
}

/// What stands in for the lines a platform's limits left out.
pub fn and_more(left: usize) -> String {
    format!("… and {left} more")
}

/// A control that names no open vote (an old message, a tampered value).
pub fn stale_control() -> &'static str {
    "That button belongs to no vote this desk knows: nothing was recorded."
}

/// A command from a channel of a kind the desk does not serve.
pub fn channel_not_served() -> &'static str {
    "Commands are not taken in group direct messages: run it in a channel or in a direct message with the bot. Nothing was read or changed."
}

/// A command from a workspace the desk does not serve.
pub fn workspace_not_served() -> &'static str {
    "This workspace is not served by this release desk: nothing was read or changed here."
}
