-- +goose Up
-- Search index rows take time-sortable keys (internal/search docKey: the
-- source's updated_at in the high bits), so a search reads the newest
-- matches first and stops. Rows keyed by the old sequence would sort as the
-- oldest: the index is emptied and the indexer (the search_index job, and
-- every search a little) builds it again from the source tables.
DELETE FROM search_docs;
DELETE FROM search_marks;

-- +goose Down
DELETE FROM search_docs;
DELETE FROM search_marks;
