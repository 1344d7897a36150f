-- The CAB workflow: a poll can be recalled by the release manager, and one
-- that expired without quorum decided by a change manager afterwards; a vote
-- can be given as a command, with a reason shown on the poll.

-- The outcome's CHECK gains 'recalled' (a column's own CHECK goes with it).
ALTER TABLE polls ADD COLUMN ended TEXT
    CHECK (ended IN ('approved', 'rejected', 'expired', 'cancelled', 'recalled'));
UPDATE polls SET ended = outcome;
ALTER TABLE polls DROP COLUMN outcome;
ALTER TABLE polls RENAME COLUMN ended TO outcome;

-- Who recalled or decided the poll, why, and (after an expiry) the decision.
ALTER TABLE polls ADD COLUMN decision TEXT CHECK (decision IN ('approved', 'rejected'));
ALTER TABLE polls ADD COLUMN settled_by TEXT;
ALTER TABLE polls ADD COLUMN settled_by_name TEXT;
ALTER TABLE polls ADD COLUMN settled_reason TEXT;
ALTER TABLE polls ADD COLUMN settled_at TEXT;

-- A vote given with /release vote ('command'), and the reason its voter gave.
ALTER TABLE votes ADD COLUMN kind TEXT
    CHECK (kind IN ('add', 'remove', 'count', 'command'));
UPDATE votes SET kind = action;
ALTER TABLE votes DROP COLUMN action;
ALTER TABLE votes RENAME COLUMN kind TO action;
ALTER TABLE votes ADD COLUMN note TEXT;
