-- +goose Up
-- Notifications: the in-app inbox, and an outbox of messages to other
-- channels that the delivery job sends exactly once across server processes.

ALTER TABLE users ADD COLUMN email TEXT;

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    kind       TEXT    NOT NULL,
    day        TEXT    NOT NULL, -- 'YYYY-MM-DD': one digest per user, kind and day
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL, -- JSON array of {text, link}
    created_at BIGINT  NOT NULL,
    read_at    BIGINT,
    UNIQUE (user_id, kind, day)
);
CREATE INDEX notifications_user ON notifications(user_id, read_at);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    channel         TEXT    NOT NULL, -- email | dingtalk | wecom | feishu
    target          TEXT    NOT NULL, -- an address, or the webhook id
    subject         TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    dedupe_key      TEXT    NOT NULL UNIQUE,
    created_at      BIGINT  NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    claimed_at      BIGINT,
    claimed_by      TEXT,
    sent_at         BIGINT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox(sent_at, next_attempt_at);

CREATE TABLE notify_webhooks (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    kind       TEXT    NOT NULL, -- dingtalk | wecom | feishu
    url        TEXT    NOT NULL,
    secret     TEXT    NOT NULL DEFAULT '',
    created_by BIGINT,
    created_at BIGINT  NOT NULL
);
CREATE INDEX notify_webhooks_unit ON notify_webhooks(unit_id);

-- +goose Down
DROP TABLE notify_webhooks;
DROP TABLE outbox;
DROP TABLE notifications;
ALTER TABLE users DROP COLUMN email;
