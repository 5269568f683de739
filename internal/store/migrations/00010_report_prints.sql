-- Report PDFs kept after a print, under a fingerprint of everything the
-- print shows (the report page's HTML, its footer, the print options): the
-- morning prints the reports due that day, so that their send and
-- `opsboard report` read the PDF back when nothing changed since (a send
-- still draws its chart images in Chromium).

-- +goose Up
CREATE TABLE opsboard.report_prints (
    fingerprint text PRIMARY KEY,
    report      text NOT NULL,
    day         date NOT NULL,
    body        bytea NOT NULL,
    printed_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX report_prints_report_day ON opsboard.report_prints (report, day);
CREATE INDEX report_prints_expires ON opsboard.report_prints (expires_at);

-- +goose Down
DROP TABLE opsboard.report_prints;
