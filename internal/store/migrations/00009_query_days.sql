-- Results of single days of the queries with a settle window: a day older
-- than its query's window no longer changes, so it is computed once and
-- kept. key hashes what else the result depends on (the statement, its
-- other parameters' values and the business time zone); frame is the day's
-- result (frame.Encode).

-- +goose Up
CREATE TABLE opsboard.query_days (
    query       text NOT NULL,
    key         text NOT NULL,
    day         date NOT NULL,
    frame       bytea NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (query, key, day)
);
-- opsboard refresh --since: every query's days from a date on.
CREATE INDEX query_days_day ON opsboard.query_days (day);

-- +goose Down
DROP TABLE opsboard.query_days;
