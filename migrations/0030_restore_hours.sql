-- The report's restore time, stored: each incident's hours from opening to
-- resolution, `(julianday(resolved_at) - julianday(opened_at)) * 24` (NULL
-- while open), the expression the report computed per row before sorting
-- them for the median. Stored, it is read from the index the resolved
-- incidents' pass already covers, so the count, the effort and the median
-- need no row of the table and no julianday() per row. Triggers keep it
-- current when an incident is opened, resolved, re-opened or moved, in the
-- writer's own transaction.

ALTER TABLE incidents ADD COLUMN restore_hours REAL;

UPDATE incidents SET restore_hours = (julianday(resolved_at) - julianday(opened_at)) * 24;

CREATE TRIGGER incidents_restore_insert AFTER INSERT ON incidents WHEN NEW.resolved_at IS NOT NULL
BEGIN
    UPDATE incidents SET restore_hours = (julianday(resolved_at) - julianday(opened_at)) * 24 WHERE id = NEW.id;
END;

CREATE TRIGGER incidents_restore_update AFTER UPDATE OF opened_at, resolved_at ON incidents
BEGIN
    UPDATE incidents SET restore_hours = (julianday(resolved_at) - julianday(opened_at)) * 24 WHERE id = NEW.id;
END;

-- The resolved incidents of a period, read from the index alone: the gap
-- and start decide the attribution, then the effort and the restore time.
DROP INDEX incidents_resolved_attributed;
CREATE INDEX incidents_resolved_attributed ON incidents
    (guild, resolved_at, attributed_gap, opened_at, effort_hours, attributed_start, restore_hours);
