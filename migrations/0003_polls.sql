-- CAB and ECAB polls and the vote ledger.

CREATE TABLE polls (
    id             INTEGER PRIMARY KEY,
    guild          TEXT NOT NULL,
    release_id     INTEGER NOT NULL REFERENCES releases (id),
    revision       INTEGER NOT NULL,
    message_id     INTEGER NOT NULL REFERENCES bot_messages (id),
    emergency      INTEGER NOT NULL CHECK (emergency IN (0, 1)),
    voting_role    TEXT NOT NULL,
    quorum         INTEGER NOT NULL,
    rule           TEXT NOT NULL CHECK (rule IN ('majority', 'unanimous')),
    veto_roles     TEXT NOT NULL,          -- comma-separated role keys
    early_approval INTEGER NOT NULL,
    submitter      TEXT NOT NULL,
    notify_channel TEXT NOT NULL,          -- where the release was submitted: the outcome is said there
    opened_at      TEXT NOT NULL,
    deadline       TEXT NOT NULL,
    closed_at      TEXT,
    outcome        TEXT CHECK (outcome IN ('approved', 'rejected', 'expired', 'cancelled'))
) STRICT;
CREATE INDEX polls_release ON polls (release_id);
CREATE INDEX polls_message ON polls (message_id);

-- Every vote event: who, what, when, and whether it counted (and why not).
CREATE TABLE votes (
    id        INTEGER PRIMARY KEY,
    poll_id   INTEGER NOT NULL REFERENCES polls (id),
    user      TEXT NOT NULL,
    user_name TEXT NOT NULL,
    roles     TEXT NOT NULL,               -- ITIL roles held at the time, comma-separated
    vote      TEXT NOT NULL CHECK (vote IN ('approve', 'reject', 'abstain')),
    action    TEXT NOT NULL CHECK (action IN ('add', 'remove', 'count')),
    at        TEXT NOT NULL,
    counted   INTEGER NOT NULL CHECK (counted IN (0, 1)),
    reason    TEXT
) STRICT;
CREATE INDEX votes_poll ON votes (poll_id, id);
