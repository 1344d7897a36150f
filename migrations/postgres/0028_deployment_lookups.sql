-- The report's per-deployment lookups, stored: a production deployment's
-- workspace and whether it went to its release's last environment, its lead
-- time (finish less the release's first RFC), whether its release closed
-- unsuccessful, and the julian days of its start and of the first severity
-- 1-2 incident of its release and environment opened at or after it. The
-- attribution days are configuration, so the change failure is decided by
-- the report as `caused_day < started_day + days`, and the first incident
-- decides it alone (stored times sort as they run, so any later one is
-- further away). With these the report's deployments are one covered index
-- range per workspace. Triggers keep them current on every write path (a
-- deployment planned, started, finished or moved; a release's environments
-- changed; an RFC linked or unlinked; a release closed; an incident opened,
-- moved or re-graded) in the writer's own transaction.
-- PostgreSQL twin of migrations/0028_deployment_lookups.sql: SQLite's
-- julianday(t) is t's epoch seconds over 86400 plus 2440587.5; times
-- compare as bytes (COLLATE "C"), as SQLite's BINARY does; json_extract of
-- '$[#-1]' is jsonb's ->> -1. SQLite's backfill of existing deployments has
-- nothing to do here: a PostgreSQL database starts empty (release-desk
-- migrate-db copies the computed columns with the rows).

ALTER TABLE deployments ADD COLUMN guild TEXT;
ALTER TABLE deployments ADD COLUMN production BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deployments ADD COLUMN lead_hours DOUBLE PRECISION;
ALTER TABLE deployments ADD COLUMN started_day DOUBLE PRECISION;
ALTER TABLE deployments ADD COLUMN caused_day DOUBLE PRECISION;
ALTER TABLE deployments ADD COLUMN unsuccessful BIGINT NOT NULL DEFAULT 0;

-- Recomputes every lookup of the deployments of `of_release` (all of them
-- when `of_deployment` is NULL, else that one).
CREATE FUNCTION deployment_lookups(of_release BIGINT, of_deployment BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE deployments d SET
        guild = r.guild,
        production = CASE WHEN d.env = (r.environments::jsonb ->> -1) COLLATE nocase THEN 1 ELSE 0 END,
        lead_hours = EXTRACT(EPOCH FROM (d.finished_at::timestamptz - (
            SELECT MIN(f.created_at COLLATE "C") FROM rfcs f JOIN release_rfcs l ON l.rfc_id = f.id
            WHERE l.release_id = d.release_id)::timestamptz)) / 3600.0,
        started_day = EXTRACT(EPOCH FROM d.started_at::timestamptz) / 86400.0 + 2440587.5,
        caused_day = (
            SELECT EXTRACT(EPOCH FROM MIN(i.opened_at COLLATE "C")::timestamptz) / 86400.0 + 2440587.5
            FROM incidents i
            WHERE i.release_id = d.release_id AND i.env = d.env COLLATE nocase
              AND i.severity <= 2 AND i.opened_at >= d.started_at COLLATE "C"),
        unsuccessful = CASE WHEN EXISTS (SELECT 1 FROM release_outcomes o WHERE o.release_id = d.release_id
                                         AND o.outcome = 'unsuccessful') THEN 1 ELSE 0 END
    FROM releases r
    WHERE r.id = d.release_id AND d.release_id = of_release AND (of_deployment IS NULL OR d.id = of_deployment);
END
$$;

CREATE FUNCTION deployments_lookups_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM deployment_lookups(NEW.release_id, NEW.id);
    RETURN NULL;
END
$$;

-- A row of a table with a release_id (RFC links, close outcomes,
-- incidents) changed: its release's deployments, old and new.
CREATE FUNCTION release_lookups_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM deployment_lookups(NEW.release_id, NULL);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.release_id IS DISTINCT FROM NEW.release_id) THEN
        PERFORM deployment_lookups(OLD.release_id, NULL);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION releases_lookups_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM deployment_lookups(NEW.id, NULL);
    RETURN NULL;
END
$$;

CREATE FUNCTION rfcs_lookups_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM deployment_lookups(l.release_id, NULL) FROM release_rfcs l WHERE l.rfc_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER deployments_lookups_insert AFTER INSERT ON deployments
    FOR EACH ROW EXECUTE FUNCTION deployments_lookups_row();
CREATE TRIGGER deployments_lookups_update AFTER UPDATE OF release_id, env, started_at, finished_at ON deployments
    FOR EACH ROW EXECUTE FUNCTION deployments_lookups_row();
CREATE TRIGGER releases_lookups_environments AFTER UPDATE OF guild, environments ON releases
    FOR EACH ROW EXECUTE FUNCTION releases_lookups_row();
CREATE TRIGGER release_rfcs_lookups_insert AFTER INSERT ON release_rfcs
    FOR EACH ROW EXECUTE FUNCTION release_lookups_row();
CREATE TRIGGER release_rfcs_lookups_delete AFTER DELETE ON release_rfcs
    FOR EACH ROW EXECUTE FUNCTION release_lookups_row();
CREATE TRIGGER rfcs_lookups_created AFTER UPDATE OF created_at ON rfcs
    FOR EACH ROW EXECUTE FUNCTION rfcs_lookups_row();
CREATE TRIGGER release_outcomes_lookups_insert AFTER INSERT ON release_outcomes
    FOR EACH ROW EXECUTE FUNCTION release_lookups_row();
CREATE TRIGGER release_outcomes_lookups_update AFTER UPDATE OF release_id, outcome ON release_outcomes
    FOR EACH ROW EXECUTE FUNCTION release_lookups_row();
CREATE TRIGGER release_outcomes_lookups_delete AFTER DELETE ON release_outcomes
    FOR EACH ROW EXECUTE FUNCTION release_lookups_row();
CREATE TRIGGER incidents_lookups_insert AFTER INSERT ON incidents
    FOR EACH ROW WHEN (NEW.severity <= 2) EXECUTE FUNCTION release_lookups_row();
CREATE TRIGGER incidents_lookups_update AFTER UPDATE OF release_id, env, severity, opened_at ON incidents
    FOR EACH ROW EXECUTE FUNCTION release_lookups_row();
CREATE TRIGGER incidents_lookups_delete AFTER DELETE ON incidents
    FOR EACH ROW WHEN (OLD.severity <= 2) EXECUTE FUNCTION release_lookups_row();

-- The report's production deployments of a workspace in a period, read
-- from the index alone.
CREATE INDEX deployments_production ON deployments
    (guild, production, finished_at, outcome, release_id, lead_hours, started_day, caused_day, unsuccessful);
-- The assets a verified release introduced, counted from the index alone.
CREATE INDEX package_items_change ON package_items (release_id, change);
-- The releases planned in a period, counted from the index alone.
CREATE INDEX releases_planned ON releases (guild, window_start, state, closure);
