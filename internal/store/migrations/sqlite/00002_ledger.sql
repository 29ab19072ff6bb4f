-- +goose Up
-- The problem ledger (问题台账). Days are 'YYYY-MM-DD' text (civil days in
-- China), times are unix milliseconds.

-- Named counters for human-quotable numbers (WT-2026-000123).
CREATE TABLE counters (
    name  TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);

-- Uploaded files; the bytes live in the attachments store under their sha256.
CREATE TABLE attachments (
    id         INTEGER PRIMARY KEY,
    sha256     TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    mime       TEXT    NOT NULL,
    size       BIGINT  NOT NULL,
    created_by BIGINT,
    created_at BIGINT  NOT NULL
);

CREATE TABLE problems (
    id                INTEGER PRIMARY KEY,
    number            TEXT    NOT NULL UNIQUE,
    title             TEXT    NOT NULL,
    description       TEXT    NOT NULL DEFAULT '',
    source            TEXT    NOT NULL,
    class             TEXT    NOT NULL,
    severity          TEXT    NOT NULL DEFAULT 'normal',
    unit_id           INTEGER NOT NULL REFERENCES units(id),
    responsible_id    INTEGER REFERENCES users(id),
    measures          TEXT    NOT NULL DEFAULT '',
    deadline          TEXT,
    start_day         TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    percent           INTEGER NOT NULL DEFAULT 0,
    light             TEXT    NOT NULL DEFAULT 'green',
    extensions        INTEGER NOT NULL DEFAULT 0,
    ext_deadline      TEXT,
    ext_reason        TEXT    NOT NULL DEFAULT '',
    ext_requested_by  BIGINT,
    reopen_count      INTEGER NOT NULL DEFAULT 0,
    supervised_at     BIGINT,
    supervise_unit_id INTEGER REFERENCES units(id),
    supervise_days    INTEGER NOT NULL DEFAULT 0,
    supervise_note    TEXT    NOT NULL DEFAULT '',
    origin_type       TEXT    NOT NULL DEFAULT '',
    origin_ref        TEXT    NOT NULL DEFAULT '',
    evidence_count    INTEGER NOT NULL DEFAULT 0,
    last_progress_by  BIGINT,
    close_requested_by BIGINT,
    close_standard    TEXT    NOT NULL DEFAULT '',
    closed_on         TEXT,
    review_due        TEXT,
    review_result     TEXT    NOT NULL DEFAULT '',
    mech_title        TEXT    NOT NULL DEFAULT '',
    mech_doc_no       TEXT    NOT NULL DEFAULT '',
    mech_issued_on    TEXT,
    mech_attachment_id BIGINT,
    created_by        BIGINT  NOT NULL,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
CREATE INDEX problems_unit_status ON problems(unit_id, status);
CREATE INDEX problems_status_deadline ON problems(status, deadline);
CREATE INDEX problems_responsible ON problems(responsible_id, status);
CREATE INDEX problems_review_due ON problems(review_due);
CREATE INDEX problems_created ON problems(created_at);

CREATE TABLE problem_tags (
    problem_id INTEGER NOT NULL REFERENCES problems(id),
    tag        TEXT    NOT NULL,
    PRIMARY KEY (problem_id, tag)
);
CREATE INDEX problem_tags_tag ON problem_tags(tag);

-- The timeline: every transition, progress report, extension and decision.
CREATE TABLE problem_events (
    id          INTEGER PRIMARY KEY,
    problem_id  INTEGER NOT NULL REFERENCES problems(id),
    at          BIGINT  NOT NULL,
    actor_id    BIGINT,
    actor_name  TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    from_status TEXT    NOT NULL DEFAULT '',
    to_status   TEXT    NOT NULL DEFAULT '',
    note        TEXT    NOT NULL DEFAULT '',
    percent     INTEGER,
    detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX problem_events_problem ON problem_events(problem_id, id);
CREATE INDEX problem_events_at ON problem_events(at);

CREATE TABLE problem_evidence (
    problem_id    INTEGER NOT NULL REFERENCES problems(id),
    event_id      INTEGER NOT NULL REFERENCES problem_events(id),
    attachment_id INTEGER NOT NULL REFERENCES attachments(id),
    PRIMARY KEY (problem_id, attachment_id)
);
CREATE INDEX problem_evidence_event ON problem_evidence(event_id);

CREATE TABLE saved_filters (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    name       TEXT    NOT NULL,
    query      TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    UNIQUE (user_id, name)
);

-- +goose Down
DROP TABLE saved_filters;
DROP TABLE problem_evidence;
DROP TABLE problem_events;
DROP TABLE problem_tags;
DROP TABLE problems;
DROP TABLE attachments;
DROP TABLE counters;
