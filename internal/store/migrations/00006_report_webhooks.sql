-- Reports are also posted to chat channels (webhooks): a delivery can be a
-- webhook, and a run keeps the short summary it posts.

-- +goose Up
ALTER TABLE opsboard.deliveries DROP CONSTRAINT IF EXISTS deliveries_kind_check;
ALTER TABLE opsboard.deliveries ADD CONSTRAINT deliveries_kind_check CHECK (kind IN ('to', 'cc', 'webhook'));
ALTER TABLE opsboard.report_runs ADD COLUMN summary text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE opsboard.report_runs DROP COLUMN summary;
DELETE FROM opsboard.deliveries WHERE kind = 'webhook';
ALTER TABLE opsboard.deliveries DROP CONSTRAINT IF EXISTS deliveries_kind_check;
ALTER TABLE opsboard.deliveries ADD CONSTRAINT deliveries_kind_check CHECK (kind IN ('to', 'cc'));
