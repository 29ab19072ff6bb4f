-- +goose Up
-- Search (internal/search): time lexemes. heads now also holds the blocks
-- of time a document's key falls in, at sizes from 65 seconds to 35 years
-- (search.timeLexemes), so that a window asks GIN for its blocks as well
-- as the terms, and GIN reads the window's entries instead of a common
-- term's whole posting list (search.timeCover). Existing rows have none:
-- the index is emptied and the indexer (the search_index job, and every
-- search a little) builds it again; the unit paths it records go with it.
-- SQLite walks FTS5 newest first and has no 00041.
DELETE FROM search_docs;
DELETE FROM search_marks;
DELETE FROM search_unit_paths;

-- +goose Down
DELETE FROM search_docs;
DELETE FROM search_marks;
DELETE FROM search_unit_paths;
