-- +goose Up
-- Snapshots of the periods nobody has published yet (the current month,
-- quarter and year, and the one before each): a background job computes
-- every unit's card and every unit's formalism flags into these tables, and
-- the scorecard and warnings pages read them instead of computing a whole
-- tree per view. A run row says when its data was taken (computed_at) and
-- with which formula or thresholds; requested_at is an administrator's
-- "recompute now". Published periods keep their own tables (score_cards):
-- these snapshots never stand in for a publication.

CREATE TABLE score_snapshot_runs (
    period          TEXT    PRIMARY KEY,
    formula_version INTEGER NOT NULL,
    units           INTEGER NOT NULL,
    computed_at     BIGINT  NOT NULL, -- unix ms when the computation began: the data is as of then
    took_ms         BIGINT  NOT NULL,
    requested_at    BIGINT            -- a recompute asked for after computed_at
);

CREATE TABLE score_snapshots (
    period          TEXT    NOT NULL,
    unit_id         BIGINT  NOT NULL REFERENCES units(id),
    formula_version INTEGER NOT NULL,
    total_bp        INTEGER NOT NULL, -- score × 100; -1 when not ranked
    body            TEXT    NOT NULL, -- the card as computed, JSON
    digest          TEXT    NOT NULL, -- of body: a run rewrites only the cards that changed
    PRIMARY KEY (period, unit_id)
);

CREATE TABLE warn_snapshot_runs (
    period       TEXT    PRIMARY KEY,
    thresholds   TEXT    NOT NULL, -- the thresholds (JSON) the flags were computed with
    flags        INTEGER NOT NULL,
    computed_at  BIGINT  NOT NULL,
    took_ms      BIGINT  NOT NULL,
    requested_at BIGINT
);

CREATE TABLE warn_snapshots (
    period  TEXT    NOT NULL,
    unit_id BIGINT  NOT NULL REFERENCES units(id),
    kind    TEXT    NOT NULL,
    subject TEXT    NOT NULL,
    body    TEXT    NOT NULL, -- the flag with its figures and evidence, JSON (no dismissal: read live)
    digest  TEXT    NOT NULL,
    PRIMARY KEY (period, unit_id, kind, subject)
);

-- +goose Down
DROP TABLE warn_snapshots;
DROP TABLE warn_snapshot_runs;
DROP TABLE score_snapshots;
DROP TABLE score_snapshot_runs;
