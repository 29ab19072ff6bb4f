-- +goose Up
-- Search (internal/search): the first characters of a document's tokens as
-- lexemes of their own. A query term ending in one Han character (A3区)
-- asks for "a3" followed by any token starting with 区; GIN answered the
-- prefix '区':* by merging the posting lists of every lexeme starting with
-- 区 (about 470 ms at 100,000 items). heads, written by the indexer in Go,
-- holds each distinct first character of the tokens once, marked with '_'
-- ('_区'), a character the text parser never leaves in a lexeme; tsv adds
-- them without positions, so phrases are unchanged and '_区' is one
-- posting list, equivalent to '区':* (internal/search branch).
-- Existing rows have no heads: the index is emptied and the indexer (the
-- search_index job, and every search a little) builds it again.
DELETE FROM search_docs;
DELETE FROM search_marks;
DROP INDEX search_docs_fts;
ALTER TABLE search_docs DROP COLUMN tsv;
ALTER TABLE search_docs ADD COLUMN heads TEXT NOT NULL DEFAULT '';
ALTER TABLE search_docs ADD COLUMN tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', tokens) || array_to_tsvector(string_to_array(heads, ' '))) STORED;
CREATE INDEX search_docs_fts ON search_docs USING gin (tsv);

-- +goose Down
DELETE FROM search_docs;
DELETE FROM search_marks;
DROP INDEX search_docs_fts;
ALTER TABLE search_docs DROP COLUMN tsv;
ALTER TABLE search_docs DROP COLUMN heads;
ALTER TABLE search_docs ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', tokens)) STORED;
CREATE INDEX search_docs_fts ON search_docs USING gin (tsv);
