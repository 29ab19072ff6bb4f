-- +goose Up
-- 群众举报 and 问题线索: public reports and the leads handled from them. What a
-- reporter wrote, who they are, and their files are sealed under a per-report
-- data key (wrapped by the master key outside the database); only routing
-- facts (category, units, states, timers) are stored in the clear.

CREATE TABLE reports (
    id               INTEGER PRIMARY KEY,
    number           TEXT    NOT NULL UNIQUE, -- staff number JB-2026-000123
    receipt          TEXT    NOT NULL UNIQUE, -- 查询编码, digits only
    key_hash         TEXT    NOT NULL,        -- argon2id of the reporter's secret key
    channel          TEXT    NOT NULL,        -- public | self (自查自纠 by an officer)
    category         TEXT    NOT NULL,
    unit_id          INTEGER NOT NULL REFERENCES units(id), -- the unit reported on
    handling_unit_id INTEGER NOT NULL REFERENCES units(id), -- whose discipline office handles it
    status           TEXT    NOT NULL,
    real_name        INTEGER NOT NULL DEFAULT 0,
    wrapped_key      BLOB    NOT NULL,
    sealed           BLOB    NOT NULL,        -- subject, content, when, where, accused
    identity         BLOB,                    -- the reporter's identity, NULL when anonymous
    received_on      TEXT    NOT NULL,        -- day
    ack_due          TEXT    NOT NULL,        -- day
    acked_at         BIGINT,
    acked_by         BIGINT,
    method           TEXT    NOT NULL DEFAULT '', -- 处置方式
    conclude_due     TEXT,
    conclusion       TEXT    NOT NULL DEFAULT '',
    form             INTEGER NOT NULL DEFAULT 0,  -- 四种形态 1..4; 0 none
    measure          TEXT    NOT NULL DEFAULT '',
    prior_case       TEXT    NOT NULL DEFAULT '', -- 已查过: the earlier case number
    pending_by       BIGINT,                      -- 已查过 waiting for a second approver
    concluded_at     BIGINT,
    concluded_on     TEXT,
    feedback_due     TEXT,
    feedback_at      BIGINT,
    merged_into      BIGINT,
    problem_id       BIGINT,
    public_outcome   TEXT    NOT NULL DEFAULT '', -- anonymized outcome the handler chose to publish
    escalated_on     TEXT,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE INDEX reports_handling ON reports(handling_unit_id, status);
CREATE INDEX reports_status_ack ON reports(status, ack_due);
CREATE INDEX reports_created ON reports(created_at);

-- Who a report names, for recusal: a person it names, and the leaders and
-- deputies of that person's unit, can never see it.
CREATE TABLE report_named (
    report_id INTEGER NOT NULL REFERENCES reports(id),
    user_id   INTEGER NOT NULL REFERENCES users(id),
    unit_path TEXT    NOT NULL, -- the named person's unit path when named
    PRIMARY KEY (report_id, user_id)
);
CREATE INDEX report_named_user ON report_named(user_id);

-- The timeline. public = 1 rows are shown to the reporter; notes are sealed.
CREATE TABLE report_events (
    id         INTEGER PRIMARY KEY,
    report_id  INTEGER NOT NULL REFERENCES reports(id),
    kind       TEXT    NOT NULL,
    stage      TEXT    NOT NULL DEFAULT '', -- the public stage it marks: 受理 分办 核查 办结 反馈
    public     INTEGER NOT NULL DEFAULT 0,
    actor_id   BIGINT,
    note       BLOB,
    detail     TEXT    NOT NULL DEFAULT '',
    at         BIGINT  NOT NULL
);
CREATE INDEX report_events_report ON report_events(report_id, id);

-- Files: sealed bytes in the attachments folder under sealed/<sha256 of the ciphertext>.
CREATE TABLE report_files (
    id         INTEGER PRIMARY KEY,
    report_id  INTEGER NOT NULL REFERENCES reports(id),
    event_id   BIGINT,
    sha256     TEXT    NOT NULL, -- of the sealed bytes
    plain_sha  TEXT    NOT NULL, -- of the cleaned plaintext, checked on every read
    sealed_name BLOB   NOT NULL,
    mime       TEXT    NOT NULL,
    size       BIGINT  NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX report_files_report ON report_files(report_id);

-- Failed look-ups, by a hash of the receipt tried (existing or not, so a lock
-- says nothing about whether the receipt exists).
CREATE TABLE report_lookup_failures (
    receipt_hash TEXT   PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    updated_at   BIGINT NOT NULL
);

-- Public rate limiting: buckets keyed by a salted hash of the client address;
-- the salt is random per day and both are forgotten the next day.
CREATE TABLE public_salts (
    day  TEXT PRIMARY KEY,
    salt TEXT NOT NULL
);
CREATE TABLE public_rate (
    bucket TEXT    PRIMARY KEY, -- day|action|hash
    day    TEXT    NOT NULL,
    count  INTEGER NOT NULL
);

-- Matching the names a reporter gives to people, for recusal.
CREATE INDEX users_name ON users(name);

-- +goose Down
DROP INDEX users_name;
DROP TABLE public_rate;
DROP TABLE public_salts;
DROP TABLE report_lookup_failures;
DROP TABLE report_files;
DROP TABLE report_events;
DROP TABLE report_named;
DROP TABLE reports;
