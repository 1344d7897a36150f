-- The report's incident passes, read in the order each needs.
--
-- The restore-time median: sorting a year's resolved incidents to take the
-- middle one was most of the report's time, while walking this index from
-- the shortest restore time until the middle of the period's rows is
-- reached needs no sort. The walk reads the workspace's rows outside the
-- period too, so the report takes it only for a period that holds a large
-- share of the workspace's history (src/db/metrics/incidents.rs); the other
-- columns are what it filters on: the period's resolution times and the
-- attribution's gap and start.
CREATE INDEX incidents_restore_order ON incidents
    (guild, restore_hours, resolved_at, attributed_gap, opened_at, attributed_start);

-- The counts by defect, severity and week: each period's severities as one
-- range per defect, so that a row is tested for four severities rather than
-- for eleven defects and severities, and each week's count per defect as
-- one range. It replaces 0023's index by opening time, which nothing else
-- reads.
DROP INDEX incidents_opened_attributed;
CREATE INDEX incidents_defect_opened ON incidents
    (guild, defect, opened_at, attributed_gap, severity, attributed_start);
