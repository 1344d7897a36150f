-- Records of the process: RFCs, releases, packages, and the audit trail.

CREATE TABLE sequences (
    guild TEXT NOT NULL,
    name  TEXT NOT NULL,
    last  INTEGER NOT NULL,
    PRIMARY KEY (guild, name)
) STRICT;

CREATE TABLE rfcs (
    id          INTEGER PRIMARY KEY,
    guild       TEXT NOT NULL,
    number      INTEGER NOT NULL,
    title       TEXT NOT NULL,
    rfc_type    TEXT NOT NULL CHECK (rfc_type IN ('standard', 'normal', 'emergency')),
    risk        TEXT NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
    impact      TEXT NOT NULL,
    description TEXT,
    requester   TEXT NOT NULL,
    requester_name TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'in-release', 'implemented', 'rejected', 'withdrawn')),
    created_at  TEXT NOT NULL,
    UNIQUE (guild, number)
) STRICT;

CREATE TABLE releases (
    id            INTEGER PRIMARY KEY,
    guild         TEXT NOT NULL,
    number        INTEGER NOT NULL,
    name          TEXT NOT NULL,
    version       TEXT NOT NULL,
    emergency     INTEGER NOT NULL CHECK (emergency IN (0, 1)),
    scope         TEXT,
    backout       TEXT,
    acceptance    TEXT,
    environments  TEXT NOT NULL,           -- JSON array, in deployment order
    state         TEXT NOT NULL,
    state_env     TEXT,
    els_until     TEXT,
    closure       TEXT,
    revision      INTEGER NOT NULL DEFAULT 1,
    test_runs     INTEGER NOT NULL DEFAULT 0,
    manager       TEXT NOT NULL,
    manager_name  TEXT NOT NULL,
    submitter     TEXT,
    validation    TEXT,
    training      TEXT,
    builds        INTEGER NOT NULL DEFAULT 0,
    baseline_hash TEXT,
    baselined_at  TEXT,
    window_name   TEXT,
    window_start  TEXT,
    window_end    TEXT,
    handover      TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (guild, number)
) STRICT;
CREATE INDEX releases_state ON releases (guild, state);

CREATE TABLE release_rfcs (
    release_id INTEGER NOT NULL REFERENCES releases (id),
    rfc_id     INTEGER NOT NULL REFERENCES rfcs (id),
    PRIMARY KEY (release_id, rfc_id)
) STRICT;
CREATE INDEX release_rfcs_rfc ON release_rfcs (rfc_id);

CREATE TABLE package_items (
    release_id INTEGER NOT NULL REFERENCES releases (id),
    name       TEXT NOT NULL COLLATE NOCASE,
    kind       TEXT NOT NULL CHECK (kind IN ('software', 'hardware', 'documentation', 'process', 'other')),
    version    TEXT NOT NULL,
    change     TEXT NOT NULL CHECK (change IN ('new', 'changed', 'retired')),
    requires   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (release_id, name)
) STRICT;

-- Append-only: every change of every record, written in the change's transaction.
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    guild      TEXT NOT NULL,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    record     TEXT NOT NULL,
    action     TEXT NOT NULL,
    before     TEXT,
    after      TEXT
) STRICT;
CREATE INDEX audit_record ON audit (guild, record, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
