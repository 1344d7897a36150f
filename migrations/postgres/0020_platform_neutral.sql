-- Platform-neutral names and identities (issue 19).
-- The idempotency table is every platform's, not Discord's; its rows are kept.
ALTER TABLE discord_interactions RENAME TO interactions;
ALTER INDEX discord_interactions_pkey RENAME TO interactions_pkey;
DROP INDEX discord_interactions_seen;
CREATE INDEX interactions_seen ON interactions (seen_at);
DROP INDEX discord_interactions_unanswered;
CREATE INDEX interactions_unanswered ON interactions (seen_at) WHERE token IS NOT NULL;
-- A posted message is (workspace, channel, message id): a Slack ts is unique
-- only within its channel, so reactions find their message by all three.
DROP INDEX bot_messages_platform;
CREATE INDEX bot_messages_platform ON bot_messages (guild, channel, platform_id);
