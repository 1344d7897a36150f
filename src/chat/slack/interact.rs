//! Interactions (button presses and form submissions), read from their
//! JSON payload the same way in Socket Mode and HTTP mode: a vote button
//! is `/release vote` for the person who pressed it, "Reject with reason…"
//! opens the form, and the form's submission is a reject with its reason.

use super::blocks::{REASON_ACTION, REASON_VIEW, VOTE_ACTION};
use super::inbound::{Answer, Delivery};
use crate::domain::ids::{RecordId, RecordKind};
use crate::domain::tally::Vote;
use serde_json::Value;

/// The longest reason `/release vote` takes.
const MAX_REASON: usize = 300;

fn text(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// The delivery an interaction payload asks for, with the id it is told
/// apart by (None: nothing the desk acts on, such as a closed form).
pub fn interaction(p: &Value) -> Option<(String, Delivery)> {
    let team = text(p, "/team/id");
    let user = text(p, "/user/id");
    match p["type"].as_str()? {
        "block_actions" => {
            let action = p["actions"].as_array()?.first()?;
            let action_id = action["action_id"].as_str()?;
            let value = action["value"].as_str().unwrap_or("");
            let trigger = text(p, "/trigger_id");
            let channel = text(p, "/channel/id");
            let response_url = text(p, "/response_url");
            let stale = Delivery::Stale {
                team: team.clone(),
                response_url: response_url.clone(),
            };
            let d = if action_id == REASON_ACTION {
                match RecordId::parse_as(RecordKind::Release, value) {
                    Some(release) => Delivery::AskReason {
                        team,
                        channel,
                        release,
                        trigger: trigger.clone(),
                    },
                    None => stale,
                }
            } else if action_id.starts_with(VOTE_ACTION) {
                match vote_value(value) {
                    Some((release, vote)) => Delivery::Vote {
                        key: format!("slack-action:{trigger}"),
                        team,
                        channel,
                        user,
                        release,
                        vote,
                        reason: None,
                        answer: Answer::ResponseUrl(response_url),
                    },
                    None => stale,
                }
            } else {
                return None;
            };
            Some((format!("trigger:{trigger}"), d))
        }
        "view_submission" if p.pointer("/view/callback_id")? == REASON_VIEW => {
            let meta = text(p, "/view/private_metadata");
            let (release, channel) = meta.split_once(' ')?;
            let release = RecordId::parse_as(RecordKind::Release, release)?;
            let reason = text(p, "/view/state/values/reason/reason/value");
            let reason = reason.trim();
            let view = text(p, "/view/id");
            let d = Delivery::Vote {
                key: format!("slack-view:{view}"),
                team,
                channel: channel.to_string(),
                user,
                release,
                vote: Vote::Reject,
                reason: (!reason.is_empty()).then(|| reason.chars().take(MAX_REASON).collect()),
                answer: Answer::Ephemeral,
            };
            Some((format!("view:{view}"), d))
        }
        _ => None,
    }
}

/// A vote button's value, `REL-3 approve`.
fn vote_value(value: &str) -> Option<(RecordId, Vote)> {
    let (release, vote) = value.split_once(' ')?;
    Some((
        RecordId::parse_as(RecordKind::Release, release)?,
        Vote::from_key(vote)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn press(action: &str, value: &str) -> Value {
        json!({
            "type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"},
            "trigger_id": "tr1", "channel": {"id": "C0CAB"}, "response_url": "http://r/1",
            "actions": [{"action_id": action, "value": value, "type": "button"}],
        })
    }

    #[test]
    fn a_vote_button_is_the_voters_vote() {
        let (id, d) = interaction(&press("vote_approve", "REL-3 approve")).unwrap();
        assert_eq!(id, "trigger:tr1");
        assert_eq!(
            d,
            Delivery::Vote {
                key: "slack-action:tr1".into(),
                team: "T1".into(),
                channel: "C0CAB".into(),
                user: "U1".into(),
                release: RecordId::release(3),
                vote: Vote::Approve,
                reason: None,
                answer: Answer::ResponseUrl("http://r/1".into()),
            }
        );
        let (_, ask) = interaction(&press(REASON_ACTION, "REL-3")).unwrap();
        assert!(matches!(ask, Delivery::AskReason { release, .. } if release == RecordId::release(3)));
    }

    #[test]
    fn a_tampered_or_foreign_control_records_nothing() {
        for (action, value) in [
            ("vote_approve", "REL-3 veto"),
            ("vote_approve", "RFC-3 approve"),
            ("vote_approve", "REL-3"),
            (REASON_ACTION, "REL-x"),
        ] {
            let (_, d) = interaction(&press(action, value)).unwrap();
            assert!(matches!(d, Delivery::Stale { .. }), "{action} {value}: {d:?}");
        }
        assert!(interaction(&press("someone_elses", "x")).is_none());
        assert!(interaction(&json!({"type": "view_closed"})).is_none());
    }

    #[test]
    fn the_reason_form_is_a_reject_with_its_reason() {
        let p = json!({
            "type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U2"},
            "view": {"id": "V1", "callback_id": REASON_VIEW, "private_metadata": "REL-4 C0CAB",
                     "state": {"values": {"reason": {"reason": {"type": "plain_text_input", "value": "  no back-out plan <!here> "}}}}},
        });
        let (id, d) = interaction(&p).unwrap();
        assert_eq!(id, "view:V1");
        let Delivery::Vote {
            release,
            vote,
            reason,
            answer,
            channel,
            ..
        } = d
        else {
            panic!("{d:?}")
        };
        assert_eq!((release, vote), (RecordId::release(4), Vote::Reject));
        assert_eq!(reason.as_deref(), Some("no back-out plan <!here>"));
        assert_eq!((answer, channel.as_str()), (Answer::Ephemeral, "C0CAB"));
    }
}
