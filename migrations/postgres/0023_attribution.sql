-- The report's attribution, stored: an incident counts for its release when
-- opened within `els.attribution_days` of one of the release's deployments
-- starting. The days are configuration, so what is stored is the start that
-- decides it, the latest one at or before the opening (any earlier start is
-- further away), and the gap in days; the report compares the gap with the
-- days in one indexed pass instead of a correlated lookup per incident.
-- Triggers keep both current on every write path (an incident opened or
-- moved, a deployment inserted, started, re-started or removed) in the
-- writer's own transaction.
-- PostgreSQL twin of migrations/0023_attribution.sql, with SQLite's
-- julianday() for stored times; times compare as bytes (COLLATE "C"), as
-- SQLite's BINARY does. SQLite's backfill
-- of existing incidents has nothing to do here: a PostgreSQL database starts
-- empty (release-desk migrate-db copies the computed columns with the rows).

-- SQLite's julianday() of a stored time, bit for bit: SQLite counts whole
-- milliseconds from the julian epoch and divides by a day's, in floating
-- point, so the same operations on the same integer give the same double.
-- (Both backends' SQL may then say julianday(t) alike.)
CREATE FUNCTION julianday(t TEXT) RETURNS DOUBLE PRECISION LANGUAGE sql STABLE STRICT AS $$
    SELECT (round(EXTRACT(EPOCH FROM t::timestamptz) * 1000) + 210866760000000)::float8 / 86400000.0
$$;

ALTER TABLE incidents ADD COLUMN attributed_start TEXT;
ALTER TABLE incidents ADD COLUMN attributed_gap DOUBLE PRECISION;

-- Recomputes both for the incidents of `of_release` (all its incidents when
-- `of_incident` is NULL, else that one).
CREATE FUNCTION incidents_attribute(of_release BIGINT, of_incident BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incidents SET attributed_start = (
        SELECT MAX(d.started_at COLLATE "C") FROM deployments d
        WHERE d.release_id = incidents.release_id AND d.started_at IS NOT NULL
          AND d.started_at <= incidents.opened_at COLLATE "C")
    WHERE release_id = of_release AND (of_incident IS NULL OR id = of_incident);
    UPDATE incidents SET attributed_gap = julianday(opened_at) - julianday(attributed_start)
    WHERE release_id = of_release AND (of_incident IS NULL OR id = of_incident);
END
$$;

CREATE FUNCTION incidents_attribute_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM incidents_attribute(NEW.release_id, NEW.id);
    RETURN NULL;
END
$$;

CREATE FUNCTION deployments_attribute_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM incidents_attribute(NEW.release_id, NULL);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.release_id IS DISTINCT FROM NEW.release_id) THEN
        PERFORM incidents_attribute(OLD.release_id, NULL);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER incidents_attribute_insert AFTER INSERT ON incidents
    FOR EACH ROW EXECUTE FUNCTION incidents_attribute_row();

CREATE TRIGGER incidents_attribute_move AFTER UPDATE OF opened_at, release_id ON incidents
    FOR EACH ROW EXECUTE FUNCTION incidents_attribute_row();

CREATE TRIGGER deployments_attribute_insert AFTER INSERT ON deployments
    FOR EACH ROW WHEN (NEW.started_at IS NOT NULL) EXECUTE FUNCTION deployments_attribute_row();

CREATE TRIGGER deployments_attribute_start AFTER UPDATE OF started_at, release_id ON deployments
    FOR EACH ROW WHEN (NEW.started_at IS DISTINCT FROM OLD.started_at OR NEW.release_id IS DISTINCT FROM OLD.release_id)
    EXECUTE FUNCTION deployments_attribute_row();

CREATE TRIGGER deployments_attribute_delete AFTER DELETE ON deployments
    FOR EACH ROW WHEN (OLD.started_at IS NOT NULL) EXECUTE FUNCTION deployments_attribute_row();

-- The report's passes, each over the workspace's rows in a period, read from
-- the index alone.
CREATE INDEX incidents_opened_attributed ON incidents
    (guild, opened_at, attributed_gap, defect, severity, attributed_start);
CREATE INDEX incidents_resolved_attributed ON incidents
    (guild, resolved_at, attributed_gap, opened_at, effort_hours, attributed_start);
-- A production deployment's change failure looks for a severity 1-2
-- incident of its release opened after it started: found in the index.
CREATE INDEX incidents_caused ON incidents (release_id, severity, opened_at, env);
