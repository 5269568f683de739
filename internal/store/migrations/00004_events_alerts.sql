-- Events (what explains a number: a campaign, an outage, a closed
-- warehouse) made in the browser, and alerts: each scheduled check of a
-- rule, each firing (once per rule and period) and each notice it sends
-- (by email or webhook, retried with backoff like report deliveries).

-- +goose Up
CREATE TABLE opsboard.events (
    id          bigserial PRIMARY KEY,
    day         date        NOT NULL,
    -- the last day of a span, inclusive; equal to day for a one-day event
    end_day     date        NOT NULL,
    title       text        NOT NULL CHECK (title <> ''),
    team        text        NOT NULL CHECK (team <> ''),
    note        text        NOT NULL DEFAULT '',
    link        text        NOT NULL DEFAULT '',
    -- dashboards and metrics (query names) it concerns; empty: all of them
    dashboards  text[]      NOT NULL DEFAULT '{}',
    metrics     text[]      NOT NULL DEFAULT '{}',
    -- set by programs that keep their own events up to date (the demo's
    -- incidents move with its data); NULL for events made by people
    key         text        UNIQUE,
    created_by  text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (end_day >= day)
);
CREATE INDEX events_by_day ON opsboard.events (day, end_day);

-- One row per rule and scheduled time: whoever inserts it evaluates the
-- rule for that time, so replicas check each rule once per tick.
CREATE TABLE opsboard.alert_checks (
    id          bigserial PRIMARY KEY,
    rule        text        NOT NULL,
    due_at      timestamptz NOT NULL,
    period      text        NOT NULL DEFAULT '',
    status      text        NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'ok', 'firing', 'no_data', 'failed')),
    value       double precision,
    message     text        NOT NULL DEFAULT '',
    attempts    int         NOT NULL DEFAULT 1,
    claimed_at  timestamptz NOT NULL,
    finished_at timestamptz,
    UNIQUE (rule, due_at)
);
CREATE INDEX alert_checks_by_rule ON opsboard.alert_checks (rule, due_at DESC);

-- A rule fires once per period (the day, or the days, it looked at).
CREATE TABLE opsboard.alert_firings (
    id              bigserial PRIMARY KEY,
    rule            text        NOT NULL,
    period          text        NOT NULL,
    dashboard       text        NOT NULL,
    tile            text        NOT NULL,
    title           text        NOT NULL,
    condition       text        NOT NULL,
    value           double precision NOT NULL,
    previous        double precision,
    threshold       double precision,
    message         text        NOT NULL,
    fired_at        timestamptz NOT NULL,
    recovered_at    timestamptz,
    recovered_value double precision,
    recovered_in    text,
    UNIQUE (rule, period)
);
CREATE INDEX alert_firings_recent ON opsboard.alert_firings (fired_at DESC);
CREATE INDEX alert_firings_open ON opsboard.alert_firings (rule) WHERE recovered_at IS NULL;

-- One notice per firing, kind (fired, recovered) and target: an email
-- address, or a webhook ("url:…" or "env:NAME"). The body is built once,
-- so every retry sends the same bytes.
CREATE TABLE opsboard.alert_notices (
    id              bigserial PRIMARY KEY,
    firing_id       bigint      NOT NULL REFERENCES opsboard.alert_firings (id) ON DELETE CASCADE,
    kind            text        NOT NULL CHECK (kind IN ('fired', 'recovered')),
    channel         text        NOT NULL CHECK (channel IN ('email', 'webhook')),
    target          text        NOT NULL,
    format          text        NOT NULL DEFAULT '',
    body            bytea       NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        int         NOT NULL DEFAULT 0,
    last_error      text        NOT NULL DEFAULT '',
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    UNIQUE (firing_id, kind, channel, target)
);
CREATE INDEX alert_notices_due ON opsboard.alert_notices (next_attempt_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE opsboard.alert_notices;
DROP TABLE opsboard.alert_firings;
DROP TABLE opsboard.alert_checks;
DROP TABLE opsboard.events;
