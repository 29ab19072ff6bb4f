-- +goose Up
-- Times are unix milliseconds (BIGINT) on both engines.
CREATE TABLE units (
    id         INTEGER PRIMARY KEY,
    code       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    kind       TEXT    NOT NULL DEFAULT '',
    parent_id  INTEGER REFERENCES units(id),
    -- materialized path of ids, "/1/7/42/": a subtree is a prefix match
    path       TEXT    NOT NULL,
    depth      INTEGER NOT NULL,
    sort       INTEGER NOT NULL DEFAULT 0,
    closed_at  BIGINT,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);
CREATE INDEX units_path ON units(path);
CREATE INDEX units_parent ON units(parent_id);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    username            TEXT    NOT NULL UNIQUE,
    name                TEXT    NOT NULL,
    unit_id             INTEGER NOT NULL REFERENCES units(id),
    password_hash       TEXT    NOT NULL,
    must_change_pw      INTEGER NOT NULL DEFAULT 0,
    totp_secret         TEXT,
    totp_enabled_at     BIGINT,
    totp_last_step      BIGINT  NOT NULL DEFAULT 0, -- last accepted time step: a code works once
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        BIGINT,
    disabled_at         BIGINT,
    password_changed_at BIGINT  NOT NULL,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);
CREATE INDEX users_unit ON users(unit_id);

CREATE TABLE user_roles (
    user_id       INTEGER NOT NULL REFERENCES users(id),
    role          TEXT    NOT NULL,
    scope_unit_id INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role ON user_roles(role);

CREATE TABLE sessions (
    id           TEXT    PRIMARY KEY, -- sha256 of the cookie value; the value itself is never stored
    user_id      INTEGER NOT NULL REFERENCES users(id),
    stage        INTEGER NOT NULL DEFAULT 0, -- 0 full, 1 second factor pending, 2 second factor enrolment
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE audit_log (
    seq         BIGINT  PRIMARY KEY,
    at          BIGINT  NOT NULL,
    actor_id    BIGINT,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    object_type TEXT    NOT NULL,
    object_id   TEXT    NOT NULL,
    unit_id     BIGINT,
    detail      TEXT    NOT NULL,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_object ON audit_log(object_type, object_id);
CREATE INDEX audit_log_actor ON audit_log(actor_id);
CREATE INDEX audit_log_unit ON audit_log(unit_id);

-- The head of the chain: one row, locked by every append so appends are serial.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
-- +goose StatementEnd

CREATE TABLE settings (
    key        TEXT   PRIMARY KEY,
    value      TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE jobs (
    name          TEXT   PRIMARY KEY,
    next_run_at   BIGINT NOT NULL,
    claimed_by    TEXT,
    claimed_until BIGINT,
    last_run_at   BIGINT,
    last_error    TEXT
);

-- +goose Down
DROP TABLE jobs;
DROP TABLE settings;
DROP TABLE audit_head;
DROP TABLE audit_log;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE user_roles;
DROP TABLE users;
DROP TABLE units;
