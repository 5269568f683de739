-- Query results kept in the store: the morning's precomputed views and the
-- last result of each query, so that replicas share them and a restart
-- starts warm. precomputes claims each dashboard's morning once across
-- replicas, like report runs.

-- +goose Up
CREATE TABLE opsboard.query_results (
    key         text PRIMARY KEY,
    query       text NOT NULL,
    frame       bytea NOT NULL,
    computed_at timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX query_results_expires ON opsboard.query_results (expires_at);

CREATE TABLE opsboard.precomputes (
    dashboard   text NOT NULL,
    day         date NOT NULL,
    claimed_by  text NOT NULL,
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    views       int NOT NULL DEFAULT 0,
    failures    int NOT NULL DEFAULT 0,
    error       text NOT NULL DEFAULT '',
    PRIMARY KEY (dashboard, day)
);

-- +goose Down
DROP TABLE opsboard.precomputes;
DROP TABLE opsboard.query_results;
