-- +goose Up
-- Search (internal/search) and the text models of internal/text.
--
-- search_docs holds one row per searchable item (problem, project, rating,
-- report): its tokens made in Go (text.SearchText; for sealed report text,
-- keyed hashes of the tokens, never the text) and the source row's
-- updated_at, so the incremental indexer re-indexes a row only when it
-- changed. search_fts is an external-content FTS5 index over the tokens,
-- kept in step by the triggers below; the tokens hold only letters, digits
-- and Han characters separated by spaces, so unicode61 keeps each one whole.
-- Titles, snippets and permissions are read from the source tables at query
-- time: the index holds no display text.
CREATE TABLE search_docs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL, -- problem | project | rating | report
    ref_id      BIGINT  NOT NULL,
    sealed      INTEGER NOT NULL DEFAULT 0, -- 1: tokens are blind hashes
    src_updated BIGINT  NOT NULL,
    tokens      TEXT    NOT NULL, -- last: a long value, read only by the index
    UNIQUE (kind, ref_id)
);
CREATE INDEX search_docs_updated ON search_docs(src_updated);

CREATE VIRTUAL TABLE search_fts USING fts5(tokens, content='search_docs', content_rowid='id', tokenize='unicode61');

-- +goose StatementBegin
CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, tokens) VALUES (NEW.id, NEW.tokens);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, tokens) VALUES ('delete', OLD.id, OLD.tokens);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER search_docs_au AFTER UPDATE OF tokens ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, tokens) VALUES ('delete', OLD.id, OLD.tokens);
    INSERT INTO search_fts (rowid, tokens) VALUES (NEW.id, NEW.tokens);
END;
-- +goose StatementEnd

-- The indexer's high-water mark per kind (the largest source updated_at seen).
CREATE TABLE search_marks (
    kind TEXT   PRIMARY KEY,
    mark BIGINT NOT NULL
);

-- The incremental indexer reads the rows changed since its mark.
CREATE INDEX problems_updated ON problems(updated_at);
CREATE INDEX projects_updated ON projects(updated_at);
CREATE INDEX ratings_updated ON ratings(updated_at);
CREATE INDEX reports_updated ON reports(updated_at);

-- Trained text models (the routing classifier), marshalled by internal/text.
CREATE TABLE text_models (
    name       TEXT    PRIMARY KEY, -- routing.category | routing.unit
    model      BLOB    NOT NULL,
    docs       INTEGER NOT NULL,    -- training documents
    classes    INTEGER NOT NULL,
    trained_at BIGINT  NOT NULL
);

-- +goose Down
DROP TABLE text_models;
DROP INDEX reports_updated;
DROP INDEX ratings_updated;
DROP INDEX projects_updated;
DROP INDEX problems_updated;
DROP TABLE search_marks;
DROP TRIGGER search_docs_au;
DROP TRIGGER search_docs_ad;
DROP TRIGGER search_docs_ai;
DROP TABLE search_fts;
DROP TABLE search_docs;
