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

ALTER TABLE deployments ADD COLUMN guild TEXT;
ALTER TABLE deployments ADD COLUMN production INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deployments ADD COLUMN lead_hours REAL;
ALTER TABLE deployments ADD COLUMN started_day REAL;
ALTER TABLE deployments ADD COLUMN caused_day REAL;
ALTER TABLE deployments ADD COLUMN unsuccessful INTEGER NOT NULL DEFAULT 0;

UPDATE deployments SET
    guild = (SELECT r.guild FROM releases r WHERE r.id = deployments.release_id),
    production = COALESCE((SELECT deployments.env = json_extract(r.environments, '$[#-1]') COLLATE NOCASE
                           FROM releases r WHERE r.id = deployments.release_id), 0),
    lead_hours = (julianday(finished_at) - julianday((SELECT MIN(f.created_at) FROM rfcs f JOIN release_rfcs l ON l.rfc_id = f.id
                                                      WHERE l.release_id = deployments.release_id))) * 24,
    started_day = julianday(started_at),
    caused_day = (SELECT julianday(MIN(i.opened_at)) FROM incidents i
                  WHERE i.release_id = deployments.release_id AND i.env = deployments.env COLLATE NOCASE
                    AND i.severity <= 2 AND i.opened_at >= deployments.started_at),
    unsuccessful = EXISTS (SELECT 1 FROM release_outcomes o WHERE o.release_id = deployments.release_id
                           AND o.outcome = 'unsuccessful');

CREATE TRIGGER deployments_lookups_insert AFTER INSERT ON deployments
BEGIN
    UPDATE deployments SET
        guild = (SELECT r.guild FROM releases r WHERE r.id = deployments.release_id),
        production = COALESCE((SELECT deployments.env = json_extract(r.environments, '$[#-1]') COLLATE NOCASE
                               FROM releases r WHERE r.id = deployments.release_id), 0),
        lead_hours = (julianday(finished_at) - julianday((SELECT MIN(f.created_at) FROM rfcs f JOIN release_rfcs l ON l.rfc_id = f.id
                                                          WHERE l.release_id = deployments.release_id))) * 24,
        started_day = julianday(started_at),
        caused_day = (SELECT julianday(MIN(i.opened_at)) FROM incidents i
                      WHERE i.release_id = deployments.release_id AND i.env = deployments.env COLLATE NOCASE
                        AND i.severity <= 2 AND i.opened_at >= deployments.started_at),
        unsuccessful = EXISTS (SELECT 1 FROM release_outcomes o WHERE o.release_id = deployments.release_id
                               AND o.outcome = 'unsuccessful')
    WHERE id = NEW.id;
END;

CREATE TRIGGER deployments_lookups_update AFTER UPDATE OF release_id, env, started_at, finished_at ON deployments
BEGIN
    UPDATE deployments SET
        guild = (SELECT r.guild FROM releases r WHERE r.id = deployments.release_id),
        production = COALESCE((SELECT deployments.env = json_extract(r.environments, '$[#-1]') COLLATE NOCASE
                               FROM releases r WHERE r.id = deployments.release_id), 0),
        lead_hours = (julianday(finished_at) - julianday((SELECT MIN(f.created_at) FROM rfcs f JOIN release_rfcs l ON l.rfc_id = f.id
                                                          WHERE l.release_id = deployments.release_id))) * 24,
        started_day = julianday(started_at),
        caused_day = (SELECT julianday(MIN(i.opened_at)) FROM incidents i
                      WHERE i.release_id = deployments.release_id AND i.env = deployments.env COLLATE NOCASE
                        AND i.severity <= 2 AND i.opened_at >= deployments.started_at),
        unsuccessful = EXISTS (SELECT 1 FROM release_outcomes o WHERE o.release_id = deployments.release_id
                               AND o.outcome = 'unsuccessful')
    WHERE id = NEW.id;
END;

CREATE TRIGGER releases_lookups_environments AFTER UPDATE OF guild, environments ON releases
BEGIN
    UPDATE deployments SET
        guild = NEW.guild,
        production = COALESCE(deployments.env = json_extract(NEW.environments, '$[#-1]') COLLATE NOCASE, 0)
    WHERE release_id = NEW.id;
END;

CREATE TRIGGER release_rfcs_lookups_insert AFTER INSERT ON release_rfcs
BEGIN
    UPDATE deployments SET
        lead_hours = (julianday(finished_at) - julianday((SELECT MIN(f.created_at) FROM rfcs f JOIN release_rfcs l ON l.rfc_id = f.id
                                                          WHERE l.release_id = deployments.release_id))) * 24
    WHERE release_id = NEW.release_id;
END;

CREATE TRIGGER release_rfcs_lookups_delete AFTER DELETE ON release_rfcs
BEGIN
    UPDATE deployments SET
        lead_hours = (julianday(finished_at) - julianday((SELECT MIN(f.created_at) FROM rfcs f JOIN release_rfcs l ON l.rfc_id = f.id
                                                          WHERE l.release_id = deployments.release_id))) * 24
    WHERE release_id = OLD.release_id;
END;

CREATE TRIGGER rfcs_lookups_created AFTER UPDATE OF created_at ON rfcs
BEGIN
    UPDATE deployments SET
        lead_hours = (julianday(finished_at) - julianday((SELECT MIN(f.created_at) FROM rfcs f JOIN release_rfcs l ON l.rfc_id = f.id
                                                          WHERE l.release_id = deployments.release_id))) * 24
    WHERE release_id IN (SELECT release_id FROM release_rfcs WHERE rfc_id = NEW.id);
END;

CREATE TRIGGER release_outcomes_lookups_insert AFTER INSERT ON release_outcomes
BEGIN
    UPDATE deployments SET unsuccessful = (NEW.outcome = 'unsuccessful') WHERE release_id = NEW.release_id;
END;

CREATE TRIGGER release_outcomes_lookups_update AFTER UPDATE OF release_id, outcome ON release_outcomes
BEGIN
    UPDATE deployments SET unsuccessful = 0 WHERE release_id = OLD.release_id;
    UPDATE deployments SET unsuccessful = (NEW.outcome = 'unsuccessful') WHERE release_id = NEW.release_id;
END;

CREATE TRIGGER release_outcomes_lookups_delete AFTER DELETE ON release_outcomes
BEGIN
    UPDATE deployments SET unsuccessful = 0 WHERE release_id = OLD.release_id;
END;

CREATE TRIGGER incidents_lookups_insert AFTER INSERT ON incidents WHEN NEW.severity <= 2
BEGIN
    UPDATE deployments SET
        caused_day = (SELECT julianday(MIN(i.opened_at)) FROM incidents i
                      WHERE i.release_id = deployments.release_id AND i.env = deployments.env COLLATE NOCASE
                        AND i.severity <= 2 AND i.opened_at >= deployments.started_at)
    WHERE release_id = NEW.release_id;
END;

CREATE TRIGGER incidents_lookups_update AFTER UPDATE OF release_id, env, severity, opened_at ON incidents
BEGIN
    UPDATE deployments SET
        caused_day = (SELECT julianday(MIN(i.opened_at)) FROM incidents i
                      WHERE i.release_id = deployments.release_id AND i.env = deployments.env COLLATE NOCASE
                        AND i.severity <= 2 AND i.opened_at >= deployments.started_at)
    WHERE release_id IN (NEW.release_id, OLD.release_id);
END;

CREATE TRIGGER incidents_lookups_delete AFTER DELETE ON incidents WHEN OLD.severity <= 2
BEGIN
    UPDATE deployments SET
        caused_day = (SELECT julianday(MIN(i.opened_at)) FROM incidents i
                      WHERE i.release_id = deployments.release_id AND i.env = deployments.env COLLATE NOCASE
                        AND i.severity <= 2 AND i.opened_at >= deployments.started_at)
    WHERE release_id = OLD.release_id;
END;

-- The report's production deployments of a workspace in a period, read
-- from the index alone.
CREATE INDEX deployments_production ON deployments
    (guild, production, finished_at, outcome, release_id, lead_hours, started_day, caused_day, unsuccessful);
-- The assets a verified release introduced, counted from the index alone.
CREATE INDEX package_items_change ON package_items (release_id, change);
-- The releases planned in a period, counted from the index alone.
CREATE INDEX releases_planned ON releases (guild, window_start, state, closure);
