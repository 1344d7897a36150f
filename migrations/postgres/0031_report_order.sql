-- PostgreSQL twin of migrations/0031_report_order.sql: the report's
-- restore-time median read in restore order, and its counts by defect,
-- severity and week read one defect at a time.
CREATE INDEX incidents_restore_order ON incidents
    (guild, restore_hours, resolved_at, attributed_gap, opened_at, attributed_start);

DROP INDEX incidents_opened_attributed;
CREATE INDEX incidents_defect_opened ON incidents
    (guild, defect, opened_at, attributed_gap, severity, attributed_start);
