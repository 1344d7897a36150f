//! The providers' side of gated pipelines: answers sent to GitHub and GitLab
//! over HTTP. The decisions and their jobs are [`crate::handlers::gate`]'s.

use crate::handlers::gate::{Answer, Pipelines, Target};
use crate::handlers::Ctx;
use async_trait::async_trait;

/// Sends answers to the provider each names (GitHub's callback URL with an
/// installation token, GitLab's approval API), with their secrets from the
/// environment at each send.
#[derive(Debug, Clone, Copy, Default)]
pub struct Answers;

#[async_trait]
impl Pipelines for Answers {
    async fn send(&self, ctx: Ctx<'_>, answer: &Answer) -> anyhow::Result<()> {
        match &answer.target {
            Target::Github { .. } => super::github::send(ctx, answer).await,
            Target::Gitlab { .. } => super::gitlab::send(ctx, answer).await,
        }
    }
}
