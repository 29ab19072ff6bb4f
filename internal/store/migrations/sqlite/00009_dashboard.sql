-- +goose Up
-- The 晴雨表 (dashboard) counts a subtree's items by status, light, class,
-- source and supervision in one GROUP BY: an index holding all of them lets
-- both engines answer from the index alone (PostgreSQL: an index-only scan)
-- instead of reading every row. It starts with (unit_id, status), so it
-- replaces problems_unit_status. The weekly closed count reads closed_on.
CREATE INDEX problems_dashboard ON problems(unit_id, status, light, class, source, supervised_at);
DROP INDEX problems_unit_status;
CREATE INDEX problems_closed_on ON problems(closed_on);

-- +goose Down
DROP INDEX problems_closed_on;
CREATE INDEX problems_unit_status ON problems(unit_id, status);
DROP INDEX problems_dashboard;
