-- The report's attribution, stored: an incident counts for its release when
-- opened within `els.attribution_days` of one of the release's deployments
-- starting. The days are configuration, so what is stored is the start that
-- decides it, the latest one at or before the opening (any earlier start is
-- further away), and the gap in days; the report compares the gap with the
-- days in one indexed pass instead of a correlated lookup per incident.
-- Triggers keep both current on every write path (an incident opened or
-- moved, a deployment inserted, started, re-started or removed) in the
-- writer's own transaction.

ALTER TABLE incidents ADD COLUMN attributed_start TEXT;
ALTER TABLE incidents ADD COLUMN attributed_gap REAL;

UPDATE incidents SET attributed_start = (
    SELECT MAX(d.started_at) FROM deployments d
    WHERE d.release_id = incidents.release_id AND d.started_at IS NOT NULL AND d.started_at <= incidents.opened_at);
UPDATE incidents SET attributed_gap = julianday(opened_at) - julianday(attributed_start);

CREATE TRIGGER incidents_attribute_insert AFTER INSERT ON incidents
BEGIN
    UPDATE incidents SET attributed_start = (
        SELECT MAX(d.started_at) FROM deployments d
        WHERE d.release_id = NEW.release_id AND d.started_at IS NOT NULL AND d.started_at <= NEW.opened_at)
    WHERE id = NEW.id;
    UPDATE incidents SET attributed_gap = julianday(opened_at) - julianday(attributed_start) WHERE id = NEW.id;
END;

CREATE TRIGGER incidents_attribute_move AFTER UPDATE OF opened_at, release_id ON incidents
BEGIN
    UPDATE incidents SET attributed_start = (
        SELECT MAX(d.started_at) FROM deployments d
        WHERE d.release_id = NEW.release_id AND d.started_at IS NOT NULL AND d.started_at <= NEW.opened_at)
    WHERE id = NEW.id;
    UPDATE incidents SET attributed_gap = julianday(opened_at) - julianday(attributed_start) WHERE id = NEW.id;
END;

CREATE TRIGGER deployments_attribute_insert AFTER INSERT ON deployments WHEN NEW.started_at IS NOT NULL
BEGIN
    UPDATE incidents SET attributed_start = (
        SELECT MAX(d.started_at) FROM deployments d
        WHERE d.release_id = incidents.release_id AND d.started_at IS NOT NULL AND d.started_at <= incidents.opened_at)
    WHERE release_id = NEW.release_id;
    UPDATE incidents SET attributed_gap = julianday(opened_at) - julianday(attributed_start) WHERE release_id = NEW.release_id;
END;

CREATE TRIGGER deployments_attribute_start AFTER UPDATE OF started_at, release_id ON deployments
    WHEN NEW.started_at IS NOT OLD.started_at OR NEW.release_id IS NOT OLD.release_id
BEGIN
    UPDATE incidents SET attributed_start = (
        SELECT MAX(d.started_at) FROM deployments d
        WHERE d.release_id = incidents.release_id AND d.started_at IS NOT NULL AND d.started_at <= incidents.opened_at)
    WHERE release_id IN (NEW.release_id, OLD.release_id);
    UPDATE incidents SET attributed_gap = julianday(opened_at) - julianday(attributed_start)
    WHERE release_id IN (NEW.release_id, OLD.release_id);
END;

CREATE TRIGGER deployments_attribute_delete AFTER DELETE ON deployments WHEN OLD.started_at IS NOT NULL
BEGIN
    UPDATE incidents SET attributed_start = (
        SELECT MAX(d.started_at) FROM deployments d
        WHERE d.release_id = incidents.release_id AND d.started_at IS NOT NULL AND d.started_at <= incidents.opened_at)
    WHERE release_id = OLD.release_id;
    UPDATE incidents SET attributed_gap = julianday(opened_at) - julianday(attributed_start) WHERE release_id = OLD.release_id;
END;

-- The report's passes, each over the workspace's rows in a period, read from
-- the index alone.
CREATE INDEX incidents_opened_attributed ON incidents
    (guild, opened_at, attributed_gap, defect, severity, attributed_start);
CREATE INDEX incidents_resolved_attributed ON incidents
    (guild, resolved_at, attributed_gap, opened_at, effort_hours, attributed_start);
-- A production deployment's change failure looks for a severity 1-2
-- incident of its release opened after it started: found in the index.
CREATE INDEX incidents_caused ON incidents (release_id, severity, opened_at, env);
