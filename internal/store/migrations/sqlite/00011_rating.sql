-- +goose Up
-- 好差评: ratings of a concluded report (by its reporter, with the receipt and
-- key, or taken by staff on paper or by phone), the 回访 of a bad rating, and
-- appeals against a malicious or mistaken rating. A rating is never deleted:
-- an upheld appeal only excludes it from the metrics.

CREATE TABLE ratings (
    id                INTEGER PRIMARY KEY,
    number            TEXT    NOT NULL UNIQUE, -- PJ-2026-000123
    target_type       TEXT    NOT NULL,        -- report | project
    target_id         BIGINT  NOT NULL,
    target_ref        TEXT    NOT NULL,        -- the report's staff number or the project's number
    once_key          TEXT    NOT NULL UNIQUE, -- one rating per report (per rater for a project)
    unit_id           INTEGER NOT NULL REFERENCES units(id), -- the unit rated
    channel           TEXT    NOT NULL,        -- online | paper | phone
    level             INTEGER NOT NULL,        -- 1..5
    dim_efficiency    INTEGER NOT NULL DEFAULT 0, -- 0: not given
    dim_attitude      INTEGER NOT NULL DEFAULT 0,
    dim_result        INTEGER NOT NULL DEFAULT 0,
    comment           TEXT    NOT NULL DEFAULT '',
    real_name         INTEGER NOT NULL DEFAULT 0,
    problem_id        BIGINT,                  -- the ledger item a bad rating opened
    recorded_by       BIGINT,                  -- staff who took it on paper or by phone
    first_at          BIGINT  NOT NULL,        -- the change window runs from here
    changes           INTEGER NOT NULL DEFAULT 0,
    visit_at          BIGINT,                  -- 回访
    visit_by          BIGINT,
    visit_contact     TEXT    NOT NULL DEFAULT '',
    visit_said        TEXT    NOT NULL DEFAULT '',
    visit_reply       TEXT    NOT NULL DEFAULT '',
    appeal_status     TEXT    NOT NULL DEFAULT '', -- '' | pending | upheld | rejected
    appeal_reason     TEXT    NOT NULL DEFAULT '',
    appeal_by         BIGINT,
    appeal_at         BIGINT,
    appeal_decided_by BIGINT,
    appeal_decided_at BIGINT,
    appeal_note       TEXT    NOT NULL DEFAULT '',
    excluded          INTEGER NOT NULL DEFAULT 0, -- 1 after an upheld appeal
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
CREATE INDEX ratings_unit_created ON ratings(unit_id, created_at);
CREATE INDEX ratings_target ON ratings(target_type, target_id);
CREATE INDEX ratings_problem ON ratings(problem_id);

-- 我为群众办实事: projects with weighted milestones (progress counts only
-- milestones done with evidence), public or not, evaluated by a supervisor.
CREATE TABLE projects (
    id            INTEGER PRIMARY KEY,
    number        TEXT    NOT NULL UNIQUE, -- SS-2026-000123
    title         TEXT    NOT NULL,
    area          TEXT    NOT NULL,        -- 保民安 … 暖民心
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    leader_id     BIGINT  NOT NULL,
    handler_id    BIGINT  NOT NULL,
    beneficiaries TEXT    NOT NULL DEFAULT '',
    plan          TEXT    NOT NULL DEFAULT '',
    measures      TEXT    NOT NULL DEFAULT '',
    start_on      TEXT    NOT NULL,
    end_on        TEXT    NOT NULL,
    public        INTEGER NOT NULL DEFAULT 0,
    status        TEXT    NOT NULL,        -- proposed | adopted | in_progress | done | evaluated
    evaluation    TEXT    NOT NULL DEFAULT '', -- the supervisor's checklist, JSON
    evaluated_by  BIGINT,
    evaluated_at  BIGINT,
    created_by    BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
CREATE INDEX projects_unit ON projects(unit_id, status);

CREATE TABLE project_milestones (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    due_on      TEXT    NOT NULL,
    what        TEXT    NOT NULL,
    weight      INTEGER NOT NULL,
    done_at     BIGINT,
    done_by     BIGINT,
    evidence_id BIGINT,                 -- attachments(id)
    note        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX project_milestones_project ON project_milestones(project_id);

-- 承诺践诺: a unit's public pledges and how each was kept, with evidence.
CREATE TABLE pledges (
    id           INTEGER PRIMARY KEY,
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    content      TEXT    NOT NULL,
    due_on       TEXT    NOT NULL,
    public       INTEGER NOT NULL DEFAULT 1,
    kept_at      BIGINT,
    kept_by      BIGINT,
    kept_note    TEXT    NOT NULL DEFAULT '',
    evidence_id  BIGINT,
    created_by   BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX pledges_unit ON pledges(unit_id, due_on);

-- +goose Down
DROP TABLE pledges;
DROP TABLE project_milestones;
DROP TABLE projects;
DROP TABLE ratings;
