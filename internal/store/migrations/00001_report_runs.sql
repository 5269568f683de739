-- Report runs and their deliveries: the archive and the delivery ledger.

-- +goose Up
CREATE TABLE opsboard.report_runs (
    id           bigserial PRIMARY KEY,
    report       text        NOT NULL,
    report_date  date        NOT NULL,
    -- scheduled runs are claimed once per report and date; runs made by a
    -- person (command line, web) are always new rows and never replace them.
    trigger      text        NOT NULL CHECK (trigger IN ('schedule', 'command', 'web')),
    status       text        NOT NULL DEFAULT 'running'
                 CHECK (status IN ('running', 'rendered', 'sending', 'sent', 'partial', 'failed')),
    time_zone    text        NOT NULL,
    params       jsonb       NOT NULL DEFAULT '{}',
    errors       jsonb       NOT NULL DEFAULT '[]',
    partial      boolean     NOT NULL DEFAULT false,
    subject      text        NOT NULL DEFAULT '',
    html         text,
    pdf          bytea,
    -- the email as sent (RFC 5322 bytes): every recipient, and every retry,
    -- gets exactly this message.
    message      bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE UNIQUE INDEX report_runs_scheduled_once
    ON opsboard.report_runs (report, report_date) WHERE trigger = 'schedule';
CREATE INDEX report_runs_by_report ON opsboard.report_runs (report, report_date DESC, id DESC);

CREATE TABLE opsboard.deliveries (
    id              bigserial PRIMARY KEY,
    run_id          bigint      NOT NULL REFERENCES opsboard.report_runs (id) ON DELETE CASCADE,
    recipient       text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('to', 'cc')),
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        int         NOT NULL DEFAULT 0,
    last_error      text        NOT NULL DEFAULT '',
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    UNIQUE (run_id, recipient)
);
CREATE INDEX deliveries_due ON opsboard.deliveries (next_attempt_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE opsboard.deliveries;
DROP TABLE opsboard.report_runs;
