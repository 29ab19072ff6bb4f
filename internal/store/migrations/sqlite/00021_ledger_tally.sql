-- +goose Up
-- Maintained counts of the problem ledger, so a province's 晴雨表 and the
-- totals of large lists do not count a million rows per view.
--
-- problem_tally holds, for every unit, the items of its whole subtree by the
-- dashboard's dimensions; problem_days the items recorded and closed per
-- China-time day. Triggers on problems append signed changes, keyed by the
-- item's own unit, to the *_delta tables: an insert, never an update of a
-- shared row, so concurrent writers never wait on or deadlock over a count.
-- Readers add the pending changes of the subtree to the unit's row;
-- ledger.CompactTally folds the changes into every ancestor's rows (a job
-- runs it every minute). Moving a unit changes its items' ancestors: the
-- units trigger rebuilds both tables from problems.
CREATE TABLE problem_tally (
    unit_id    INTEGER NOT NULL,
    status     TEXT    NOT NULL,
    light      TEXT    NOT NULL,
    class      TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    supervised INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (unit_id, status, light, class, source, supervised)
) WITHOUT ROWID;
CREATE TABLE problem_tally_delta (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL,
    status     TEXT    NOT NULL,
    light      TEXT    NOT NULL,
    class      TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    supervised INTEGER NOT NULL,
    n          INTEGER NOT NULL
);
CREATE TABLE problem_days (
    unit_id INTEGER NOT NULL,
    kind    TEXT    NOT NULL, -- created | closed
    day     TEXT    NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (unit_id, kind, day)
) WITHOUT ROWID;
CREATE TABLE problem_day_delta (
    id      INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL,
    kind    TEXT    NOT NULL,
    day     TEXT    NOT NULL,
    n       INTEGER NOT NULL
);

-- +goose StatementBegin
CREATE TRIGGER problems_tally_insert AFTER INSERT ON problems BEGIN
    INSERT INTO problem_tally_delta (unit_id, status, light, class, source, supervised, n)
    VALUES (NEW.unit_id, NEW.status, NEW.light, NEW.class, NEW.source, NEW.supervised_at IS NOT NULL, 1);
    INSERT INTO problem_day_delta (unit_id, kind, day, n)
    VALUES (NEW.unit_id, 'created', date(NEW.created_at / 1000, 'unixepoch', '+8 hours'), 1);
    INSERT INTO problem_day_delta (unit_id, kind, day, n)
    SELECT NEW.unit_id, 'closed', NEW.closed_on, 1 WHERE NEW.closed_on IS NOT NULL;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER problems_tally_delete AFTER DELETE ON problems BEGIN
    INSERT INTO problem_tally_delta (unit_id, status, light, class, source, supervised, n)
    VALUES (OLD.unit_id, OLD.status, OLD.light, OLD.class, OLD.source, OLD.supervised_at IS NOT NULL, -1);
    INSERT INTO problem_day_delta (unit_id, kind, day, n)
    VALUES (OLD.unit_id, 'created', date(OLD.created_at / 1000, 'unixepoch', '+8 hours'), -1);
    INSERT INTO problem_day_delta (unit_id, kind, day, n)
    SELECT OLD.unit_id, 'closed', OLD.closed_on, -1 WHERE OLD.closed_on IS NOT NULL;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER problems_tally_update AFTER UPDATE OF status, light, class, source, supervised_at, unit_id ON problems
WHEN OLD.status IS NOT NEW.status OR OLD.light IS NOT NEW.light OR OLD.class IS NOT NEW.class
  OR OLD.source IS NOT NEW.source OR (OLD.supervised_at IS NULL) <> (NEW.supervised_at IS NULL)
  OR OLD.unit_id IS NOT NEW.unit_id
BEGIN
    INSERT INTO problem_tally_delta (unit_id, status, light, class, source, supervised, n)
    VALUES (OLD.unit_id, OLD.status, OLD.light, OLD.class, OLD.source, OLD.supervised_at IS NOT NULL, -1),
           (NEW.unit_id, NEW.status, NEW.light, NEW.class, NEW.source, NEW.supervised_at IS NOT NULL, 1);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER problems_days_update AFTER UPDATE OF unit_id, created_at, closed_on ON problems
WHEN OLD.unit_id IS NOT NEW.unit_id OR OLD.created_at IS NOT NEW.created_at OR OLD.closed_on IS NOT NEW.closed_on
BEGIN
    INSERT INTO problem_day_delta (unit_id, kind, day, n)
    SELECT OLD.unit_id, 'created', date(OLD.created_at / 1000, 'unixepoch', '+8 hours'), -1
    WHERE OLD.unit_id IS NOT NEW.unit_id OR OLD.created_at IS NOT NEW.created_at;
    INSERT INTO problem_day_delta (unit_id, kind, day, n)
    SELECT NEW.unit_id, 'created', date(NEW.created_at / 1000, 'unixepoch', '+8 hours'), 1
    WHERE OLD.unit_id IS NOT NEW.unit_id OR OLD.created_at IS NOT NEW.created_at;
    INSERT INTO problem_day_delta (unit_id, kind, day, n)
    SELECT OLD.unit_id, 'closed', OLD.closed_on, -1
    WHERE OLD.closed_on IS NOT NULL AND (OLD.unit_id IS NOT NEW.unit_id OR OLD.closed_on IS NOT NEW.closed_on);
    INSERT INTO problem_day_delta (unit_id, kind, day, n)
    SELECT NEW.unit_id, 'closed', NEW.closed_on, 1
    WHERE NEW.closed_on IS NOT NULL AND (OLD.unit_id IS NOT NEW.unit_id OR OLD.closed_on IS NOT NEW.closed_on);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER units_tally_move AFTER UPDATE OF parent_id ON units
WHEN OLD.parent_id IS NOT NEW.parent_id
BEGIN
    DELETE FROM problem_tally;
    DELETE FROM problem_tally_delta;
    DELETE FROM problem_days;
    DELETE FROM problem_day_delta;
    INSERT INTO problem_tally (unit_id, status, light, class, source, supervised, n)
    SELECT a.value, t.status, t.light, t.class, t.source, t.sup, SUM(t.n)
    FROM (SELECT unit_id, status, light, class, source, supervised_at IS NOT NULL AS sup, COUNT(*) AS n
          FROM problems GROUP BY 1, 2, 3, 4, 5, 6) t
    JOIN units u ON u.id = t.unit_id, json_each('[' || replace(trim(u.path, '/'), '/', ',') || ']') a
    GROUP BY 1, 2, 3, 4, 5, 6;
    INSERT INTO problem_days (unit_id, kind, day, n)
    SELECT a.value, t.kind, t.day, SUM(t.n)
    FROM (SELECT unit_id, 'created' AS kind, date(created_at / 1000, 'unixepoch', '+8 hours') AS day, COUNT(*) AS n
          FROM problems GROUP BY 1, 2, 3
          UNION ALL
          SELECT unit_id, 'closed', closed_on, COUNT(*) FROM problems WHERE closed_on IS NOT NULL GROUP BY 1, 2, 3) t
    JOIN units u ON u.id = t.unit_id, json_each('[' || replace(trim(u.path, '/'), '/', ',') || ']') a
    GROUP BY 1, 2, 3;
END;
-- +goose StatementEnd

-- the counts of the items already recorded
INSERT INTO problem_tally (unit_id, status, light, class, source, supervised, n)
SELECT a.value, t.status, t.light, t.class, t.source, t.sup, SUM(t.n)
FROM (SELECT unit_id, status, light, class, source, supervised_at IS NOT NULL AS sup, COUNT(*) AS n
      FROM problems GROUP BY 1, 2, 3, 4, 5, 6) t
JOIN units u ON u.id = t.unit_id, json_each('[' || replace(trim(u.path, '/'), '/', ',') || ']') a
GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO problem_days (unit_id, kind, day, n)
SELECT a.value, t.kind, t.day, SUM(t.n)
FROM (SELECT unit_id, 'created' AS kind, date(created_at / 1000, 'unixepoch', '+8 hours') AS day, COUNT(*) AS n
      FROM problems GROUP BY 1, 2, 3
      UNION ALL
      SELECT unit_id, 'closed', closed_on, COUNT(*) FROM problems WHERE closed_on IS NOT NULL GROUP BY 1, 2, 3) t
JOIN units u ON u.id = t.unit_id, json_each('[' || replace(trim(u.path, '/'), '/', ',') || ']') a
GROUP BY 1, 2, 3;

-- +goose Down
DROP TRIGGER units_tally_move;
DROP TRIGGER problems_days_update;
DROP TRIGGER problems_tally_update;
DROP TRIGGER problems_tally_delete;
DROP TRIGGER problems_tally_insert;
DROP TABLE problem_day_delta;
DROP TABLE problem_days;
DROP TABLE problem_tally_delta;
DROP TABLE problem_tally;
