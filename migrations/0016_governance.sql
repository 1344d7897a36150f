-- Post-implementation reviews (PRODUCT §2): required before an emergency or
-- unsuccessful release closes; counted in the metrics.
CREATE TABLE release_reviews (
    id            INTEGER PRIMARY KEY,
    guild         TEXT NOT NULL,
    release_id    INTEGER NOT NULL REFERENCES releases(id),
    findings      TEXT NOT NULL,
    actions       TEXT,
    reviewer      TEXT NOT NULL,
    reviewer_name TEXT NOT NULL,
    at            TEXT NOT NULL
);
CREATE INDEX release_reviews_release ON release_reviews (release_id);

-- How a closed release went, one row per release closed with /release close.
CREATE TABLE release_outcomes (
    release_id INTEGER PRIMARY KEY REFERENCES releases(id),
    guild      TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('successful', 'successful-with-issues', 'unsuccessful')),
    closed_at  TEXT NOT NULL
);
