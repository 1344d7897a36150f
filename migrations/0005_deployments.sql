-- Deployments (one per environment attempt), environment locks, early-life-
-- support incidents and known errors, configuration audits, and the
-- customer-satisfaction survey.

CREATE TABLE deployments (
    id           INTEGER PRIMARY KEY,
    release_id   INTEGER NOT NULL REFERENCES releases (id),
    env          TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    risks        TEXT,
    steps        TEXT NOT NULL,             -- JSON list of steps with status, who, when, note
    planned_by   TEXT NOT NULL,
    planned_at   TEXT NOT NULL,
    started_by   TEXT,
    started_at   TEXT,
    finished_at  TEXT,
    outcome      TEXT CHECK (outcome IN ('verified', 'backed-out')),
    notes        TEXT,                      -- verification notes, issues, back-out reason
    bypass       TEXT,                      -- what an emergency deployment bypassed (window, freeze)
    message_id   INTEGER REFERENCES bot_messages (id),
    UNIQUE (release_id, env, attempt)
) STRICT;
CREATE INDEX deployments_finished ON deployments (outcome, finished_at);

-- One deployment at a time per environment.
CREATE TABLE env_locks (
    guild         TEXT NOT NULL,
    env           TEXT NOT NULL COLLATE NOCASE,
    deployment_id INTEGER NOT NULL REFERENCES deployments (id),
    taken_at      TEXT NOT NULL,
    PRIMARY KEY (guild, env)
) STRICT;

CREATE TABLE incidents (
    id           INTEGER PRIMARY KEY,
    guild        TEXT NOT NULL,
    number       INTEGER NOT NULL,
    release_id   INTEGER NOT NULL REFERENCES releases (id),
    env          TEXT NOT NULL,
    severity     INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),
    defect       TEXT NOT NULL CHECK (defect IN ('code', 'configuration', 'data', 'infrastructure', 'documentation', 'process', 'other')),
    title        TEXT NOT NULL,
    opened_by    TEXT NOT NULL,
    opened_at    TEXT NOT NULL,
    resolved_by  TEXT,
    resolved_at  TEXT,
    effort_hours REAL,
    notes        TEXT,
    UNIQUE (guild, number)
) STRICT;
CREATE INDEX incidents_release ON incidents (release_id);
CREATE INDEX incidents_opened ON incidents (opened_at);

CREATE TABLE known_errors (
    id          INTEGER PRIMARY KEY,
    guild       TEXT NOT NULL,
    number      INTEGER NOT NULL,
    release_id  INTEGER NOT NULL REFERENCES releases (id),
    description TEXT NOT NULL,
    workaround  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (guild, number)
) STRICT;

-- Each difference an audit found between what is deployed and the baseline.
CREATE TABLE config_defects (
    id          INTEGER PRIMARY KEY,
    release_id  INTEGER NOT NULL REFERENCES releases (id),
    env         TEXT NOT NULL,
    item        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('missing', 'extra', 'other-version')),
    expected    TEXT,
    found       TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
) STRICT;
CREATE INDEX config_defects_at ON config_defects (recorded_at);

CREATE TABLE survey_answers (
    message_id  INTEGER NOT NULL REFERENCES bot_messages (id),
    release_id  INTEGER NOT NULL REFERENCES releases (id),
    user        TEXT NOT NULL,
    score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    answered_at TEXT NOT NULL,
    PRIMARY KEY (message_id, user)
) STRICT;
