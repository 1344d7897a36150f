-- API tokens: only the SHA-256 of each token is kept; the token is shown once.
CREATE TABLE api_tokens (
    guild      TEXT NOT NULL,
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    scopes     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    PRIMARY KEY (guild, name)
);

-- The first answer to a POST with an Idempotency-Key, returned to its retries.
CREATE TABLE api_answers (
    guild      TEXT NOT NULL,
    token      TEXT NOT NULL,
    key        TEXT NOT NULL,
    status     BIGINT NOT NULL,
    body       TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (guild, token, key)
);

-- Webhook deliveries already taken (GitHub's X-GitHub-Delivery; GitLab's
-- event UUID): a redelivery is ignored.
CREATE TABLE webhook_deliveries (
    guild      TEXT NOT NULL,
    source     TEXT NOT NULL,
    delivery   TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (guild, source, delivery)
);
