-- The release calendar: declared freezes, missed windows, and how far window
-- jobs have been materialised.

CREATE TABLE freezes (
    id          INTEGER PRIMARY KEY,
    guild       TEXT NOT NULL,
    name        TEXT NOT NULL,
    from_at     TEXT NOT NULL,
    to_at       TEXT NOT NULL,
    reason      TEXT,
    declared_by TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    CHECK (from_at < to_at)
) STRICT;
CREATE INDEX freezes_span ON freezes (guild, to_at);

-- A release still not deployed when its booked window closed.
CREATE TABLE missed_windows (
    release_id   INTEGER NOT NULL REFERENCES releases (id),
    window_name  TEXT NOT NULL,
    window_start TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    PRIMARY KEY (release_id, window_name, window_start)
) STRICT;

-- Window openings whose announcement jobs exist, up to this time.
CREATE TABLE calendar_state (
    guild            TEXT PRIMARY KEY,
    materialised_to  TEXT NOT NULL
) STRICT;
