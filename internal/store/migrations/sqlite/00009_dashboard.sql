-- +goose Up
-- The 晴雨表 (dashboard) counts a subtree's items by status, light, class,
-- source and supervision in one GROUP BY, and by week of recording and of
-- closing. These indexes hold every column those queries read, so both
-- engines answer from an index alone (PostgreSQL: index-only scans) instead
-- of visiting every row. Each starts with the columns of the index it
-- replaces, so nothing that used those gets slower.
CREATE INDEX problems_dashboard ON problems(unit_id, status, light, class, source, supervised_at);
DROP INDEX problems_unit_status;
CREATE INDEX problems_created_unit ON problems(created_at, unit_id);
DROP INDEX problems_created;
CREATE INDEX problems_closed_unit ON problems(closed_on, unit_id);

-- +goose Down
DROP INDEX problems_closed_unit;
CREATE INDEX problems_created ON problems(created_at);
DROP INDEX problems_created_unit;
CREATE INDEX problems_unit_status ON problems(unit_id, status);
DROP INDEX problems_dashboard;
