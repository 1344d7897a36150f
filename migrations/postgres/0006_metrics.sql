-- Indexes for the metrics over a period.
CREATE INDEX releases_window ON releases (window_start);
CREATE INDEX missed_windows_start ON missed_windows (window_start);
CREATE INDEX survey_answers_at ON survey_answers (answered_at);
CREATE INDEX incidents_resolved ON incidents (resolved_at);
CREATE INDEX deployments_release ON deployments (release_id, env);
