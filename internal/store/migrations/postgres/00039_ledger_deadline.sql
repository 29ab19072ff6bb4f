-- +goose Up
-- A deadline range over a whole reach (the province's items due this month:
-- 82,000 of a million) is counted for the list's total. The deadline
-- indexes all lead with another column (light, status, the closed flag), so
-- PostgreSQL, without skip scans, read the whole light index to count it
-- (37–69 ms); on deadline alone it is one short index-only range (7–9 ms).
-- SQLite counts it in ~5 ms from the indexes it has.
CREATE INDEX problems_deadline ON problems(deadline);

-- +goose Down
DROP INDEX problems_deadline;
