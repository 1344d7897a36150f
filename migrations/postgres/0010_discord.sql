-- Discord: interaction ids seen, so a duplicated INTERACTION_CREATE runs once.
CREATE TABLE discord_interactions (
    id TEXT PRIMARY KEY,
    seen_at TEXT NOT NULL
);
CREATE INDEX discord_interactions_seen ON discord_interactions (seen_at);
