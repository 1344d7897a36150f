-- The report's per-deployment lookups, stored: a production deployment's
-- workspace and whether it went to its release's last environment, its lead
-- time (finish less the release's first RFC), whether its release closed
-- unsuccessful, and the julian days of its start and of the first severity
-- 1-2 incident of its release and environment opened at or after it. The
-- attribution days are configuration, so the change failure is decided by
-- the report as `caused_day < started_day + days` — the definition's own
-- expression on the same two values — and the first incident decides it
-- alone (stored times sort as they run, so any later one is further away).
-- With these the report's deployments are one covered index range per
-- workspace. Triggers keep them current on every write path (a deployment
-- planned, started, finished or moved; a release's environments changed; an
-- RFC linked or unlinked; a release closed; an incident opened, moved or
-- re-graded) in the writer's own transaction.
-- PostgreSQL twin of migrations/0028_deployment_lookups.sql: julianday() is
-- 0023's; json_extract(e, '$[#-1]') is e's last element (->> -1); a
-- comparison's truth is 1 or 0 as in SQLite; times compare as bytes. The
-- backfill has nothing to do: a PostgreSQL database starts empty.

ALTER TABLE deployments ADD COLUMN guild TEXT;
ALTER TABLE deployments ADD COLUMN production BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deployments ADD COLUMN lead_hours DOUBLE PRECISION;
ALTER TABLE deployments ADD COLUMN started_day DOUBLE PRECISION;
ALTER TABLE deployments ADD COLUMN caused_day DOUBLE PRECISION;
ALTER TABLE deployments ADD COLUMN unsuccessful BIGINT NOT NULL DEFAULT 0;

-- Hours from the release's first RFC to `finished` (NULL without either).
CREATE FUNCTION deployment_lead_hours(of_release BIGINT, finished TEXT) RETURNS DOUBLE PRECISION
LANGUAGE sql STABLE AS $$
    SELECT (julianday(finished) - julianday((SELECT MIN(f.created_at COLLATE "C") FROM rfcs f
                                             JOIN release_rfcs l ON l.rfc_id = f.id
                                             WHERE l.release_id = of_release))) * 24
$$;

-- The julian day of the first severity 1-2 incident of the release in `at_env` opened at or after `started`.
CREATE FUNCTION deployment_caused_day(of_release BIGINT, at_env TEXT, started TEXT) RETURNS DOUBLE PRECISION
LANGUAGE sql STABLE AS $$
    SELECT julianday(MIN(i.opened_at COLLATE "C")) FROM incidents i
    WHERE i.release_id = of_release AND i.env = at_env COLLATE nocase
      AND i.severity <= 2 AND i.opened_at >= started COLLATE "C"
$$;

-- Every lookup of deployment `of_deployment`.
CREATE FUNCTION deployment_lookups(of_deployment BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE deployments SET
        guild = (SELECT r.guild FROM releases r WHERE r.id = deployments.release_id),
        production = COALESCE((SELECT (deployments.env = (r.environments::json ->> -1) COLLATE nocase)::int
                               FROM releases r WHERE r.id = deployments.release_id), 0),
        lead_hours = deployment_lead_hours(deployments.release_id, deployments.finished_at),
        started_day = julianday(started_at),
        caused_day = deployment_caused_day(deployments.release_id, deployments.env, deployments.started_at),
        unsuccessful = (EXISTS (SELECT 1 FROM release_outcomes o WHERE o.release_id = deployments.release_id
                                AND o.outcome = 'unsuccessful'))::int
    WHERE id = of_deployment;
END
$$;

CREATE FUNCTION deployments_lookups_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM deployment_lookups(NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER deployments_lookups_insert AFTER INSERT ON deployments
    FOR EACH ROW EXECUTE FUNCTION deployments_lookups_row();

CREATE TRIGGER deployments_lookups_update AFTER UPDATE OF release_id, env, started_at, finished_at ON deployments
    FOR EACH ROW EXECUTE FUNCTION deployments_lookups_row();

CREATE FUNCTION releases_lookups_environments_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE deployments SET
        guild = NEW.guild,
        production = COALESCE((deployments.env = (NEW.environments::json ->> -1) COLLATE nocase)::int, 0)
    WHERE release_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER releases_lookups_environments AFTER UPDATE OF guild, environments ON releases
    FOR EACH ROW EXECUTE FUNCTION releases_lookups_environments_row();

CREATE FUNCTION release_rfcs_lookups_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE deployments SET lead_hours = deployment_lead_hours(deployments.release_id, deployments.finished_at)
    WHERE release_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.release_id ELSE NEW.release_id END;
    RETURN NULL;
END
$$;

CREATE TRIGGER release_rfcs_lookups_insert AFTER INSERT ON release_rfcs
    FOR EACH ROW EXECUTE FUNCTION release_rfcs_lookups_row();

CREATE TRIGGER release_rfcs_lookups_delete AFTER DELETE ON release_rfcs
    FOR EACH ROW EXECUTE FUNCTION release_rfcs_lookups_row();

CREATE FUNCTION rfcs_lookups_created_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE deployments SET lead_hours = deployment_lead_hours(deployments.release_id, deployments.finished_at)
    WHERE release_id IN (SELECT release_id FROM release_rfcs WHERE rfc_id = NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER rfcs_lookups_created AFTER UPDATE OF created_at ON rfcs
    FOR EACH ROW EXECUTE FUNCTION rfcs_lookups_created_row();

CREATE FUNCTION release_outcomes_lookups_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE deployments SET unsuccessful = 0 WHERE release_id = OLD.release_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE deployments SET unsuccessful = (NEW.outcome = 'unsuccessful')::int WHERE release_id = NEW.release_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER release_outcomes_lookups_insert AFTER INSERT ON release_outcomes
    FOR EACH ROW EXECUTE FUNCTION release_outcomes_lookups_row();

CREATE TRIGGER release_outcomes_lookups_update AFTER UPDATE OF release_id, outcome ON release_outcomes
    FOR EACH ROW EXECUTE FUNCTION release_outcomes_lookups_row();

CREATE TRIGGER release_outcomes_lookups_delete AFTER DELETE ON release_outcomes
    FOR EACH ROW EXECUTE FUNCTION release_outcomes_lookups_row();

CREATE FUNCTION incidents_lookups_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE deployments SET
        caused_day = deployment_caused_day(deployments.release_id, deployments.env, deployments.started_at)
    WHERE release_id IN (CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.release_id END,
                         CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.release_id END);
    RETURN NULL;
END
$$;

CREATE TRIGGER incidents_lookups_insert AFTER INSERT ON incidents
    FOR EACH ROW WHEN (NEW.severity <= 2) EXECUTE FUNCTION incidents_lookups_row();

CREATE TRIGGER incidents_lookups_update AFTER UPDATE OF release_id, env, severity, opened_at ON incidents
    FOR EACH ROW EXECUTE FUNCTION incidents_lookups_row();

CREATE TRIGGER incidents_lookups_delete AFTER DELETE ON incidents
    FOR EACH ROW WHEN (OLD.severity <= 2) EXECUTE FUNCTION incidents_lookups_row();

-- The report's production deployments of a workspace in a period, read
-- from the index alone.
CREATE INDEX deployments_production ON deployments
    (guild, production, finished_at, outcome, release_id, lead_hours, started_day, caused_day, unsuccessful);
-- The assets a verified release introduced, counted from the index alone.
CREATE INDEX package_items_change ON package_items (release_id, change);
-- The releases planned in a period, counted from the index alone.
CREATE INDEX releases_planned ON releases (guild, window_start, state, closure);
