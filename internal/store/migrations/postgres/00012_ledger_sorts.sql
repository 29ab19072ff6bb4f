-- +goose Up
-- The ledger list's two stored orders as expression indexes, so the first
-- page of a large match is read in order from an index and the scan stops
-- after the page (no sort of every matching item). The expressions are the
-- list's ORDER BY terms, letter for letter (internal/ledger/list.go orderBy).
CREATE INDEX problems_sort_default ON problems((CASE WHEN status = 'closed' THEN 1 ELSE 0 END),
    (CASE WHEN deadline IS NULL THEN 1 ELSE 0 END), deadline, id);
CREATE INDEX problems_sort_light ON problems((CASE light WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END), deadline, id);
-- light filters (红灯) count from an index instead of the table
CREATE INDEX problems_light ON problems(light, status);

-- +goose Down
DROP INDEX problems_light;
DROP INDEX problems_sort_light;
DROP INDEX problems_sort_default;
