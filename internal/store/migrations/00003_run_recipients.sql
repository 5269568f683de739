-- Runs remember whom a person sent them to, retry a render that failed for
-- a passing reason, and schedules remember when they were first seen (so
-- that a new or renamed report does not mail the past days at once).

-- +goose Up
-- Addresses and kinds ({"a@example.com": "to"}) of a run made for chosen
-- recipients; NULL: the report's recipients when it is rendered.
ALTER TABLE opsboard.report_runs ADD COLUMN recipients jsonb;
ALTER TABLE opsboard.report_runs ADD COLUMN render_attempts int NOT NULL DEFAULT 0;
ALTER TABLE opsboard.report_runs ADD COLUMN next_render_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE opsboard.report_schedules (
    report     text        NOT NULL,
    schedule   text        NOT NULL,
    time_zone  text        NOT NULL,
    first_seen timestamptz NOT NULL,
    PRIMARY KEY (report, schedule, time_zone)
);

-- +goose Down
DROP TABLE opsboard.report_schedules;
ALTER TABLE opsboard.report_runs DROP COLUMN next_render_at;
ALTER TABLE opsboard.report_runs DROP COLUMN render_attempts;
ALTER TABLE opsboard.report_runs DROP COLUMN recipients;
