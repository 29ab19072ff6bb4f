-- +goose Up
-- The orphan sweep (internal/attach/orphans.go) asks, for each batch of
-- stored objects, which of them a record names: by the hash in the key.
CREATE INDEX attachments_sha256 ON attachments(sha256);
CREATE INDEX report_files_sha256 ON report_files(sha256);

-- +goose Down
DROP INDEX report_files_sha256;
DROP INDEX attachments_sha256;
