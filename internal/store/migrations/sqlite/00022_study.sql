-- +goose Up
-- 学习教育: study tasks issued by a unit to an audience (a unit subtree and
-- roles, fixed when the task is issued), the reflections (心得体会) officers
-- submit, each checked for originality against the other reflections and a
-- reference corpus of published template texts.

CREATE TABLE study_tasks (
    id             INTEGER PRIMARY KEY,
    number         TEXT    NOT NULL UNIQUE, -- XX-2026-000123
    title          TEXT    NOT NULL,
    material       TEXT    NOT NULL DEFAULT '',
    unit_id        INTEGER NOT NULL REFERENCES units(id), -- the issuing unit; the audience is its subtree
    audience_roles TEXT    NOT NULL DEFAULT '', -- ",leader,deputy," or '' for everyone
    min_length     INTEGER NOT NULL,            -- characters, punctuation and spaces not counted
    due_at         BIGINT  NOT NULL,
    created_by     BIGINT  NOT NULL,
    created_at     BIGINT  NOT NULL
);
CREATE INDEX study_tasks_unit ON study_tasks(unit_id, due_at);
CREATE INDEX study_tasks_due ON study_tasks(due_at);

CREATE TABLE study_task_files (
    task_id       INTEGER NOT NULL REFERENCES study_tasks(id),
    attachment_id BIGINT  NOT NULL,
    PRIMARY KEY (task_id, attachment_id)
);

-- Who must submit, with their unit and rank (leader | deputy | officer) as
-- they were when the task was issued: completion does not move when people do.
CREATE TABLE study_assignees (
    task_id INTEGER NOT NULL REFERENCES study_tasks(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    rank    TEXT    NOT NULL,
    PRIMARY KEY (task_id, user_id)
);
CREATE INDEX study_assignees_user ON study_assignees(user_id);
CREATE INDEX study_assignees_unit ON study_assignees(unit_id);

-- A resubmission supersedes the earlier version (kept, superseded = 1).
-- similarity is per mille; matches is the check's JSON; signature the
-- 64 MinHash values (256 bytes) the in-memory index is rebuilt from.
CREATE TABLE study_reflections (
    id           INTEGER PRIMARY KEY,
    task_id      INTEGER NOT NULL REFERENCES study_tasks(id),
    user_id      INTEGER NOT NULL REFERENCES users(id),
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    body         TEXT    NOT NULL,
    chars        INTEGER NOT NULL,
    late         INTEGER NOT NULL DEFAULT 0,
    similarity   INTEGER NOT NULL,
    flagged      INTEGER NOT NULL DEFAULT 0,
    matches      TEXT    NOT NULL,
    signature    BLOB    NOT NULL,
    superseded   INTEGER NOT NULL DEFAULT 0,
    review       TEXT    NOT NULL DEFAULT '', -- '' | copy (confirmed) | original (flag dismissed)
    review_note  TEXT    NOT NULL DEFAULT '',
    reviewed_by  BIGINT,
    reviewed_at  BIGINT,
    submitted_at BIGINT  NOT NULL
);
CREATE INDEX study_reflections_task ON study_reflections(task_id, user_id);
CREATE INDEX study_reflections_unit ON study_reflections(unit_id, flagged);

-- Reference texts added by admins (the five built-in ones are embedded in
-- the binary). A text is withdrawn, never deleted: old matches still name it.
CREATE TABLE study_refs (
    id           INTEGER PRIMARY KEY,
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    created_by   BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    withdrawn_at BIGINT
);

-- +goose Down
DROP TABLE study_refs;
DROP TABLE study_reflections;
DROP TABLE study_assignees;
DROP TABLE study_task_files;
DROP TABLE study_tasks;
