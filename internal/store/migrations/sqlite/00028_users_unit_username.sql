-- +goose Up
-- A people list is ordered by unit path, then username (internal/org
-- ListUsers). With this index the engines read a unit's people already in
-- username order and stop at the end of the page, instead of reading and
-- sorting every person of each unit they walk.
CREATE INDEX users_unit_username ON users(unit_id, username);

-- +goose Down
DROP INDEX users_unit_username;
