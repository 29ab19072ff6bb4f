-- +goose Up
-- Search (internal/search): a prefix index of one character on search_fts.
-- A query term ending in one Han character (A3区) asks for "a3" followed by
-- any token starting with 区; without a prefix index FTS5 merged the
-- doclists of every such token (区X for every X) before it could seek to
-- the newest rows, about 230 ms at 100,000 items. FTS5 counts prefix
-- lengths in characters (sqlite3Fts5IndexCharlenToBytelen), so prefix='1'
-- stores, beside each token, its first character: "区"* reads one doclist.
-- The tokens and the triggers are unchanged; the index is rebuilt from
-- search_docs (the external content), so search keeps working.
DROP TABLE search_fts;
CREATE VIRTUAL TABLE search_fts USING fts5(tokens, content='search_docs', content_rowid='id', tokenize='ascii', prefix='1');
-- The indexer writes 2,000 documents a statement (several MB of postings):
-- with FTS5's default 1 MB in-memory table it wrote a dozen small segments
-- a statement and spent most of a bulk build merging them.
INSERT INTO search_fts (search_fts, rank) VALUES ('hashsize', 33554432);
INSERT INTO search_fts (search_fts) VALUES ('rebuild');

-- +goose Down
DROP TABLE search_fts;
CREATE VIRTUAL TABLE search_fts USING fts5(tokens, content='search_docs', content_rowid='id', tokenize='unicode61');
INSERT INTO search_fts (search_fts) VALUES ('rebuild');
