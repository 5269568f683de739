-- A share link shows what each of its numbers means in words; it also
-- shows the SQL of its queries only when it was made to (share create
-- --show-sql, or the checkbox on /shares).

-- +goose Up
ALTER TABLE opsboard.share_links ADD COLUMN show_sql boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE opsboard.share_links DROP COLUMN show_sql;
