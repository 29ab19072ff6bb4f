-- +goose Up
-- The master key's fingerprint (never the key itself): a start with another
-- key is refused instead of silently writing data nobody can read later. One
-- row only (singleton = 1), so two nodes starting at once with different keys
-- cannot both register theirs.

CREATE TABLE vault_master (
    singleton   INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
    key_id      TEXT    NOT NULL, -- public id, carried by every wrapped data key
    check_value TEXT    NOT NULL, -- HMAC-SHA256(master, "luoshi-vault-check"), truncated
    created_at  BIGINT  NOT NULL
);

-- +goose Down
DROP TABLE vault_master;
