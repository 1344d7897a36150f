-- A job that fails (the platform unreachable, a message gone) waits and is
-- retried, so it cannot hold up the jobs due after it.
ALTER TABLE jobs ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN not_before TEXT;
ALTER TABLE jobs ADD COLUMN last_error TEXT;
