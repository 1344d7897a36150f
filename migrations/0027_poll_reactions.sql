-- Reactions on a poll that are not votes (✔️, ☑️, 🎉 …), so the tally can
-- list them as "not a vote" instead of leaving the reactor to wonder.
-- Append-only like the votes ledger: who stands with which emoji is the
-- replay of the adds and removes.
CREATE TABLE poll_reactions (
    id        INTEGER PRIMARY KEY,
    guild     TEXT NOT NULL,
    poll_id   INTEGER NOT NULL REFERENCES polls (id),
    user      TEXT NOT NULL,
    user_name TEXT NOT NULL,
    emoji     TEXT NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('add', 'remove')),
    at        TEXT NOT NULL
) STRICT;
CREATE INDEX poll_reactions_poll ON poll_reactions (guild, poll_id, id);
