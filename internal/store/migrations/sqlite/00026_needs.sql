-- +goose Up
-- 群众点单: needs the public proposes to a unit (no account), supported by
-- votes (one per signed page token, limited per address, no identity kept),
-- taken by the unit into a 实事项目 (接单) or declined with a reason. The
-- proposer follows it by its receipt and key (the key is stored hashed).
CREATE TABLE needs (
    id             INTEGER PRIMARY KEY,
    receipt        TEXT    NOT NULL UNIQUE,
    key_hash       TEXT    NOT NULL,
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    area           TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    place          TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL,          -- open | taken | declined
    votes          INTEGER NOT NULL DEFAULT 0,
    project_id     BIGINT,                    -- projects(id) once taken
    answer         TEXT    NOT NULL DEFAULT '', -- the unit's reason when declined
    answered_by    BIGINT,
    answered_at    BIGINT,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);
CREATE INDEX needs_unit ON needs(unit_id, status, votes);
CREATE INDEX needs_project ON needs(project_id);

CREATE TABLE need_votes (
    need_id    INTEGER NOT NULL REFERENCES needs(id),
    nonce      TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (need_id, nonce)
);

-- +goose Down
DROP TABLE need_votes;
DROP TABLE needs;
