-- +goose Up
-- 民标 scorecards. The formula (weights and minimum samples, JSON) is versioned:
-- a new version is a new row, never an edit, so every published card can name
-- the formula that computed it. Publishing a period stores its cards as they
-- were computed (a snapshot); republishing after a formula change is explicit.

CREATE TABLE score_formulas (
    version    INTEGER PRIMARY KEY,
    body       TEXT    NOT NULL,
    note       TEXT    NOT NULL DEFAULT '',
    created_by BIGINT,
    created_at BIGINT  NOT NULL
);

CREATE TABLE score_publications (
    period          TEXT    PRIMARY KEY, -- 2026-10, 2026-Q3, 2026
    formula_version INTEGER NOT NULL,
    units           INTEGER NOT NULL,
    revision        INTEGER NOT NULL,    -- 1, then +1 at each explicit republish
    published_by    BIGINT,
    published_at    BIGINT  NOT NULL
);

CREATE TABLE score_cards (
    period          TEXT    NOT NULL,
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    formula_version INTEGER NOT NULL,
    total_bp        INTEGER NOT NULL, -- score × 100 (0..10000); -1 when not ranked
    body            TEXT    NOT NULL, -- the card as computed, JSON
    PRIMARY KEY (period, unit_id)
);
CREATE INDEX score_cards_unit ON score_cards(unit_id, period);

-- +goose Down
DROP TABLE score_cards;
DROP TABLE score_publications;
DROP TABLE score_formulas;
