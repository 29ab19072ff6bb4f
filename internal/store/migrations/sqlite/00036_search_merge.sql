-- +goose Up
-- Search (internal/search): FTS5 merges its segments less eagerly. A bulk
-- build writes a segment per statement; with the default automerge=4 each
-- posting was merged again at every fourth segment of a level, a quarter of
-- the build's CPU at 60,000 items (0.44 → 0.33 ms an item with 16/64). The
-- indexer optimizes (merges every segment into one) after a bulk build, so
-- searches read one segment; the small segments of incremental updates are
-- merged sixteen at a time. Both settings are kept by FTS5 in its config
-- table.
INSERT INTO search_fts (search_fts, rank) VALUES ('automerge', 16);
INSERT INTO search_fts (search_fts, rank) VALUES ('crisismerge', 64);

-- +goose Down
INSERT INTO search_fts (search_fts, rank) VALUES ('automerge', 4);
INSERT INTO search_fts (search_fts, rank) VALUES ('crisismerge', 16);
