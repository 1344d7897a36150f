-- A post that failed and will be retried holds back the later posts to the
-- same channel (or user), so they arrive in order; one that can never work
-- (its last failure permanent) does not.
ALTER TABLE outbox ADD COLUMN retryable BIGINT NOT NULL DEFAULT 1 CHECK (retryable IN (0, 1));
