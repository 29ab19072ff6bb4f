-- +goose Up
-- 形式主义预警: the flags are computed from the records on every view; only a
-- dismissal is stored. A flag is dismissed with a reason, which stays visible
-- beside the flag (and in the audit trail); subject names what the flag is
-- about (a period, an item number, a note's fingerprint) so that new evidence
-- of the same kind raises a new flag.

CREATE TABLE warn_dismissals (
    id           INTEGER PRIMARY KEY,
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    kind         TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    dismissed_by BIGINT  NOT NULL,
    dismissed_at BIGINT  NOT NULL,
    UNIQUE (unit_id, kind, subject)
);

-- +goose Down
DROP TABLE warn_dismissals;
