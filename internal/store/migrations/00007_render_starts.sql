-- A run counts the renders started for it, so that one whose render keeps
-- dying before it can record anything (a crash, a kill) is failed in the
-- end instead of rendered again forever.

-- +goose Up
ALTER TABLE opsboard.report_runs ADD COLUMN render_starts int NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE opsboard.report_runs DROP COLUMN render_starts;
