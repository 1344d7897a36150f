-- What the bot says (outbox), what it must do later (jobs), and the
-- messages it owns on the chat platform.

CREATE TABLE bot_messages (
    id          INTEGER PRIMARY KEY,
    guild       TEXT NOT NULL,
    channel     TEXT,                      -- NULL for direct messages
    dm_user     TEXT,
    platform_id TEXT,                      -- set once posted
    purpose     TEXT NOT NULL
) STRICT;
CREATE INDEX bot_messages_platform ON bot_messages (platform_id);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    guild           TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('post', 'edit', 'react', 'dm')),
    message_id      INTEGER NOT NULL REFERENCES bot_messages (id),
    body            TEXT,                  -- JSON of the outgoing message (post, edit, dm)
    emoji           TEXT,                  -- react
    created_at      TEXT NOT NULL,
    not_before      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    delivered_at    TEXT,
    superseded      INTEGER NOT NULL DEFAULT 0 CHECK (superseded IN (0, 1))
) STRICT;
CREATE INDEX outbox_pending ON outbox (delivered_at, id);

CREATE TABLE jobs (
    id       INTEGER PRIMARY KEY,
    guild    TEXT NOT NULL,
    kind     TEXT NOT NULL,
    key      TEXT NOT NULL UNIQUE,         -- one job per key, whatever restarts happen
    due_at   TEXT NOT NULL,
    payload  TEXT NOT NULL,
    done_at  TEXT
) STRICT;
CREATE INDEX jobs_due ON jobs (done_at, due_at, id);

CREATE TABLE subscriptions (
    guild      TEXT NOT NULL,
    user       TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    target     TEXT NOT NULL,              -- 'all' or a release number
    via        TEXT NOT NULL CHECK (via IN ('channel', 'dm')),
    channel    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (guild, user, target, via)
) STRICT;

-- The console's own chat platform: its messages, reactions and users. The
-- bot reaches them only through the chat port, as it would Discord.
CREATE TABLE console_messages (
    id         INTEGER PRIMARY KEY,
    channel    TEXT NOT NULL,
    nonce      TEXT UNIQUE,                -- the outbox entry that posted it: posting twice is impossible
    body       TEXT NOT NULL
) STRICT;

CREATE TABLE console_reactions (
    message_id INTEGER NOT NULL REFERENCES console_messages (id),
    user       TEXT NOT NULL,
    emoji      TEXT NOT NULL,
    PRIMARY KEY (message_id, user, emoji)
) STRICT;

CREATE TABLE console_users (
    user  TEXT PRIMARY KEY,
    roles TEXT NOT NULL
) STRICT;
