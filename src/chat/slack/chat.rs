//! The chat port over Slack's Web API (slack-morphism), through
//! `[slack] api_base`.

use super::blocks;
use super::roles::Roles;
use crate::chat::{Chat, ChatError, Outgoing, Posted, Reactor};
use async_trait::async_trait;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

/// The hyper connector: https, and plain http for a test double or a local proxy.
pub type Connector = SlackClientHyperConnector<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
>;

/// A Web API client for `api_base` (ending in `/`).
pub fn client(api_base: &str) -> std::io::Result<Arc<SlackClient<Connector>>> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()?
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    let connector =
        SlackClientHyperConnector::with_connector(https).with_slack_api_url(api_base.trim_end_matches('/'));
    Ok(Arc::new(SlackClient::new(connector)))
}

/// Slack's answer as the outbox needs it: waits, retries or gives up.
pub fn classify(e: SlackClientError) -> ChatError {
    match e {
        SlackClientError::RateLimitError(r) => ChatError::Retry {
            after: r.retry_after,
            message: format!(
                "rate limited{}",
                r.code.map(|c| format!(" ({c})")).unwrap_or_default()
            ),
        },
        SlackClientError::ApiError(a) => match a.code.as_str() {
            "ratelimited" | "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout" => {
                ChatError::Retry {
                    after: None,
                    message: a.code,
                }
            }
            _ => ChatError::Permanent(a.code),
        },
        SlackClientError::HttpError(h) => {
            let status = h.status_code.as_u16();
            if status >= 500 || status == 408 {
                ChatError::Retry {
                    after: None,
                    message: format!("HTTP {status}"),
                }
            } else {
                ChatError::Permanent(format!("HTTP {status}"))
            }
        }
        SlackClientError::ProtocolError(p) => ChatError::Permanent(format!("unexpected answer: {p}")),
        other => ChatError::Retry {
            after: None,
            message: other.to_string(),
        },
    }
}

/// Slack as a [`Chat`].
pub struct SlackChat {
    client: Arc<SlackClient<Connector>>,
    token: SlackApiToken,
    /// Plain HTTP for the upload URLs `files.getUploadURLExternal` hands out.
    http: reqwest::Client,
    roles: Arc<Roles>,
    /// The bot's own user id (its reactions never vote).
    bot: String,
    /// Per channel read this process: the outbox markers (nonces) of the
    /// bot's recent messages there, so a post a crash left unrecorded is
    /// found instead of posted again.
    marked: tokio::sync::Mutex<HashMap<String, HashMap<String, String>>>,
}

/// The metadata event type that marks an outbox post.
const MARKER: &str = "release_desk_outbox";
/// How many of a channel's newest messages are searched for markers.
const MARKER_DEPTH: u16 = 50;

impl SlackChat {
    /// Slack through `client` with the bot `token`; `bot` is the bot's user id (from `auth.test`).
    pub fn new(client: Arc<SlackClient<Connector>>, token: &str, roles: Arc<Roles>, bot: String) -> Self {
        SlackChat {
            client,
            token: SlackApiToken::new(token.to_string().into()),
            http: reqwest::Client::new(),
            roles,
            bot,
            marked: Default::default(),
        }
    }

    /// The message posted earlier with outbox marker `nonce` in `channel`,
    /// if one of its newest messages has it. The channel's history is read
    /// once per process, at its first post: a post a crash left unrecorded
    /// can only come from before this process.
    async fn earlier(&self, channel: &str, nonce: &str) -> Result<Option<Posted>, ChatError> {
        let mut marked = self.marked.lock().await;
        if !marked.contains_key(channel) {
            let req = SlackApiConversationsHistoryRequest::new()
                .with_channel(channel.to_string().into())
                .with_limit(MARKER_DEPTH)
                .with_include_all_metadata(true);
            let found = match self.session().conversations_history(&req).await {
                Ok(r) => r
                    .messages
                    .into_iter()
                    .filter_map(|m| {
                        let meta = m.content.metadata?;
                        if meta.event_type != MARKER {
                            return None;
                        }
                        let n = meta.event_payload?.get("nonce")?.clone();
                        Some((n, m.origin.ts.value().clone()))
                    })
                    .collect(),
                // A channel the bot cannot read (a DM not opened yet) has no
                // earlier post of the bot's.
                Err(SlackClientError::ApiError(a))
                    if a.code == "channel_not_found" || a.code == "not_in_channel" =>
                {
                    HashMap::new()
                }
                Err(e) => return Err(classify(e)),
            };
            marked.insert(channel.to_string(), found);
        }
        Ok(marked[channel].get(nonce).map(|ts| Posted {
            channel: channel.to_string(),
            id: ts.clone(),
        }))
    }

    /// Posts `body` to a `response_url` (Slack's answer to a command or an
    /// interaction).
    pub async fn respond(&self, url: &str, body: &serde_json::Value) -> anyhow::Result<()> {
        let r = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body)?)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("response_url: {}", e.without_url()))?;
        anyhow::ensure!(
            r.status().is_success(),
            "response_url: HTTP {}",
            r.status().as_u16()
        );
        Ok(())
    }

    /// Shows `message` to `user` alone in `channel`.
    pub async fn ephemeral(&self, channel: &str, user: &str, message: &Outgoing) -> Result<(), ChatError> {
        let req = SlackApiChatPostEphemeralRequest::new(
            channel.to_string().into(),
            user.to_string().into(),
            Self::content(message, None)?,
        );
        self.session()
            .chat_post_ephemeral(&req)
            .await
            .map_err(classify)
            .map(|_| ())
    }

    /// Opens the form `view` (Block Kit JSON) for the interaction `trigger`.
    pub async fn open_view(&self, trigger: &str, view: &serde_json::Value) -> Result<(), ChatError> {
        let view: SlackView =
            serde_json::from_value(view.clone()).map_err(|e| ChatError::Permanent(format!("view: {e}")))?;
        let req = SlackApiViewsOpenRequest::new(trigger.to_string().into(), view);
        self.session()
            .views_open(&req)
            .await
            .map_err(classify)
            .map(|_| ())
    }

    /// The bot's user id.
    pub fn bot(&self) -> &str {
        &self.bot
    }

    /// A Web API session with the bot token.
    pub fn session(&self) -> SlackClientSession<'_, Connector> {
        self.client.open_session(&self.token)
    }

    fn content(message: &Outgoing, nonce: Option<&str>) -> Result<SlackMessageContent, ChatError> {
        let blocks: Vec<SlackBlock> = serde_json::from_value(blocks::blocks(message))
            .map_err(|e| ChatError::Permanent(format!("blocks: {e}")))?;
        let mut content = SlackMessageContent::new()
            .with_text(blocks::fallback(message))
            .with_blocks(blocks);
        if let Some(nonce) = nonce {
            // The marker a post after a crash is looked up by.
            content = content.with_metadata(SlackMessageMetadata {
                event_type: MARKER.into(),
                event_payload: Some([("nonce".to_string(), nonce.to_string())].into()),
            });
        }
        Ok(content)
    }

    async fn upload(&self, channel: &str, file: &crate::chat::Attachment) -> Result<(), ChatError> {
        let s = self.session();
        let url = s
            .get_upload_url_external(&SlackApiFilesGetUploadUrlExternalRequest::new(
                file.name.clone(),
                file.content.len(),
            ))
            .await
            .map_err(classify)?;
        let sent = self
            .http
            .post(url.upload_url.value().as_str())
            .body(file.content.clone())
            .send()
            .await
            .map_err(|e| ChatError::Retry {
                after: None,
                message: format!("upload: {}", e.without_url()),
            })?;
        if !sent.status().is_success() {
            return Err(ChatError::Retry {
                after: None,
                message: format!("upload: HTTP {}", sent.status().as_u16()),
            });
        }
        s.files_complete_upload_external(
            &SlackApiFilesCompleteUploadExternalRequest::new(vec![
                SlackApiFilesComplete::new(url.file_id).with_title(file.name.clone())
            ])
            .with_channel_id(channel.to_string().into()),
        )
        .await
        .map_err(classify)?;
        Ok(())
    }
}

fn ts(at: &Posted) -> (SlackChannelId, SlackTs) {
    (at.channel.clone().into(), at.id.clone().into())
}

#[async_trait]
impl Chat for SlackChat {
    async fn post(&self, channel: &str, message: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        if let Some(posted) = self.earlier(channel, nonce).await? {
            tracing::info!(channel, ts = %posted.id, "posted before a restart; not posted again");
            return Ok(posted);
        }
        let req = SlackApiChatPostMessageRequest::new(
            channel.to_string().into(),
            Self::content(message, Some(nonce))?,
        )
        .with_unfurl_links(false);
        let r = self.session().chat_post_message(&req).await.map_err(classify)?;
        let posted = Posted {
            channel: r.channel.value().clone(),
            id: r.ts.value().clone(),
        };
        if let Some(file) = &message.attachment {
            self.upload(&posted.channel, file).await?;
        }
        Ok(posted)
    }

    async fn edit(&self, at: &Posted, message: &Outgoing) -> Result<(), ChatError> {
        let (channel, ts) = ts(at);
        let req = SlackApiChatUpdateRequest::new(channel, Self::content(message, None)?, ts);
        self.session()
            .chat_update(&req)
            .await
            .map_err(classify)
            .map(|_| ())
    }

    async fn react(&self, at: &Posted, emoji: &str) -> Result<(), ChatError> {
        let (channel, ts) = ts(at);
        let req = SlackApiReactionsAddRequest::new(channel, blocks::emoji_name(emoji).into(), ts);
        match self.session().reactions_add(&req).await {
            Ok(_) => Ok(()),
            Err(SlackClientError::ApiError(a)) if a.code == "already_reacted" => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }

    async fn reactions(&self, at: &Posted, emoji: &str) -> Result<Vec<Reactor>, ChatError> {
        let (channel, ts) = ts(at);
        let req = SlackApiReactionsGetRequest::new()
            .with_channel(channel)
            .with_timestamp(ts)
            .with_full(true);
        let message = match self.session().reactions_get(&req).await.map_err(classify)? {
            SlackApiReactionsGetResponse::Message(m) => m.message,
            SlackApiReactionsGetResponse::File(_) => return Ok(vec![]),
        };
        let want = blocks::emoji_from_name(&blocks::emoji_name(emoji));
        let mut users: Vec<String> = message
            .content
            .reactions
            .unwrap_or_default()
            .into_iter()
            .filter(|r| blocks::emoji_from_name(r.name.value()) == want)
            .flat_map(|r| r.users.into_iter().map(|u| u.value().clone()))
            .collect();
        users.sort();
        users.dedup();
        let mut out = Vec::with_capacity(users.len());
        for user in users {
            let bot = user == self.bot;
            let (name, chat_roles) = if bot {
                (user.clone(), vec![])
            } else {
                let s = self.session();
                (self.roles.name(&s, &user).await, self.roles.of(&s, &user).await?)
            };
            out.push(Reactor {
                name,
                user,
                chat_roles,
                bot,
            });
        }
        Ok(out)
    }

    async fn direct(&self, user: &str, message: &Outgoing, nonce: &str) -> Result<Posted, ChatError> {
        let req = SlackApiConversationsOpenRequest::new().with_users(vec![user.to_string().into()]);
        let open = self.session().conversations_open(&req).await.map_err(classify)?;
        self.post(open.channel.id.value(), message, nonce).await
    }
}
