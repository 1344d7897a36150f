-- Discord: an interaction's answer recorded with its claim, so one that a
-- crash kept from reaching Discord is sent after the restart, as a follow-up,
-- while the token lasts (15 minutes). The token is cleared once answered.
ALTER TABLE discord_interactions ADD COLUMN token TEXT;
ALTER TABLE discord_interactions ADD COLUMN guild TEXT;
ALTER TABLE discord_interactions ADD COLUMN channel TEXT;
ALTER TABLE discord_interactions ADD COLUMN answer TEXT;   -- JSON: {"public": bool, "message": Outgoing}
CREATE INDEX discord_interactions_unanswered ON discord_interactions (seen_at) WHERE token IS NOT NULL;
