-- The report's restore time, stored: each incident's hours from opening to
-- resolution, `(julianday(resolved_at) - julianday(opened_at)) * 24` (NULL
-- while open), the expression the report computed per row before sorting
-- them for the median. Stored, it is read from the index the resolved
-- incidents' pass already covers, so the count, the effort and the median
-- need no row of the table and no julianday() per row. Triggers keep it
-- current when an incident is opened, resolved, re-opened or moved, in the
-- writer's own transaction.
-- PostgreSQL twin of migrations/0030_restore_hours.sql: julianday() is
-- 0023's (SQLite's double, bit for bit); the row's own value is set before
-- it is written. The backfill has nothing to do: a PostgreSQL database
-- starts empty (release-desk migrate-db copies the column with the rows).

ALTER TABLE incidents ADD COLUMN restore_hours DOUBLE PRECISION;

CREATE FUNCTION incidents_restore_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.restore_hours := (julianday(NEW.resolved_at) - julianday(NEW.opened_at)) * 24;
    RETURN NEW;
END
$$;

CREATE TRIGGER incidents_restore_insert BEFORE INSERT ON incidents
    FOR EACH ROW EXECUTE FUNCTION incidents_restore_row();

CREATE TRIGGER incidents_restore_update BEFORE UPDATE OF opened_at, resolved_at ON incidents
    FOR EACH ROW EXECUTE FUNCTION incidents_restore_row();

-- The resolved incidents of a period, read from the index alone: the gap
-- and start decide the attribution, then the effort and the restore time.
DROP INDEX incidents_resolved_attributed;
CREATE INDEX incidents_resolved_attributed ON incidents
    (guild, resolved_at, attributed_gap, opened_at, effort_hours, attributed_start, restore_hours);
