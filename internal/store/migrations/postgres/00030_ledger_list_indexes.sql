-- +goose Up
-- The ledger list at a million items (internal/ledger/list.go).
--
-- A unit subtree with a status (a city's items in progress: 13,000 of a
-- million) sorts its match by deadline: with the deadline in a unit and
-- status index (problems_dashboard has none) the engines read and sort the
-- match from the index alone (PostgreSQL: an index-only scan) instead of
-- one table row per item (0.6–1.5 s under load).
CREATE INDEX problems_unit_status_deadline ON problems(unit_id, status, deadline) INCLUDE (id);
-- Light filters were counted from problems_light; the list's totals now come
-- from the maintained counts (migration 00021), and the index lured SQLite
-- into reading every red item and sorting them (77,757 of a million, 3 s)
-- instead of walking the sort index and stopping after the page.
DROP INDEX problems_light;

-- +goose Down
CREATE INDEX problems_light ON problems(light, status);
DROP INDEX problems_unit_status_deadline;
