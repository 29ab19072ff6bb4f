-- +goose Up
-- Search (internal/search): scope lexemes. heads now also holds, for a
-- ledger item, project or rating, _u<id> for its unit and every unit above
-- it and _p<id> for its responsible person, so that GIN answers "these
-- tokens, in this reader's reach" from the index (search.scopeLexemes).
-- Existing rows have none: the index is emptied and the indexer (the
-- search_index job, and every search a little) builds it again.
-- search_unit_paths is the path of each unit as the index last saw it: the
-- job re-indexes the items of a unit whose path has changed (a move), so
-- their lexemes follow. SQLite has no such lexemes (FTS5 walks its matches
-- newest first and checks the reach as it goes) and no 00040.
DELETE FROM search_docs;
DELETE FROM search_marks;
CREATE TABLE search_unit_paths (
    unit_id BIGINT PRIMARY KEY,
    path    TEXT   NOT NULL
);
INSERT INTO search_unit_paths (unit_id, path) SELECT id, path FROM units;
CREATE INDEX units_updated ON units(updated_at);

-- +goose Down
DROP INDEX units_updated;
DROP TABLE search_unit_paths;
DELETE FROM search_docs;
DELETE FROM search_marks;
