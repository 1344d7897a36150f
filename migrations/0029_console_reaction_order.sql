-- The console's reactions get a key of their own, in the order they were
-- added, so who reacted first reads the same on both backends (SQLite's
-- rowid order was implicit; PostgreSQL keeps no insertion order). Rebuilt,
-- as SQLite cannot add a key to a table; the old rows keep their order.
ALTER TABLE console_reactions RENAME TO console_reactions_old;

CREATE TABLE console_reactions (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES console_messages (id),
    user       TEXT NOT NULL,
    emoji      TEXT NOT NULL,
    UNIQUE (message_id, user, emoji)
) STRICT;

INSERT INTO console_reactions (id, message_id, user, emoji)
    SELECT rowid, message_id, user, emoji FROM console_reactions_old ORDER BY rowid;

DROP TABLE console_reactions_old;
