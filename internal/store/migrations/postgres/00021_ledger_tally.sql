-- +goose Up
-- Maintained counts of the problem ledger; see the SQLite migration of the
-- same number for the design. Here the triggers are per statement with
-- transition tables: a bulk UPDATE (the nightly relighting) appends one
-- aggregated change per group instead of one per row.
CREATE TABLE problem_tally (
    unit_id    BIGINT  NOT NULL,
    status     TEXT    NOT NULL,
    light      TEXT    NOT NULL,
    class      TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    supervised INTEGER NOT NULL,
    n          BIGINT  NOT NULL,
    PRIMARY KEY (unit_id, status, light, class, source, supervised)
);
CREATE TABLE problem_tally_delta (
    id         BIGSERIAL PRIMARY KEY,
    unit_id    BIGINT  NOT NULL,
    status     TEXT    NOT NULL,
    light      TEXT    NOT NULL,
    class      TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    supervised INTEGER NOT NULL,
    n          BIGINT  NOT NULL
);
CREATE TABLE problem_days (
    unit_id BIGINT NOT NULL,
    kind    TEXT   NOT NULL,
    day     TEXT   NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (unit_id, kind, day)
);
CREATE TABLE problem_day_delta (
    id      BIGSERIAL PRIMARY KEY,
    unit_id BIGINT NOT NULL,
    kind    TEXT   NOT NULL,
    day     TEXT   NOT NULL,
    n       BIGINT NOT NULL
);

-- the China-time day of a millisecond timestamp, as SQLite's date(…, '+8 hours')
-- +goose StatementBegin
CREATE FUNCTION problem_day(ms BIGINT) RETURNS TEXT IMMUTABLE LANGUAGE sql AS $$
    SELECT to_char(to_timestamp((ms + 28800000) / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION problem_tally_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO problem_tally_delta (unit_id, status, light, class, source, supervised, n)
    SELECT unit_id, status, light, class, source, CASE WHEN supervised_at IS NULL THEN 0 ELSE 1 END, COUNT(*)
    FROM new_rows GROUP BY 1, 2, 3, 4, 5, 6;
    INSERT INTO problem_day_delta (unit_id, kind, day, n)
    SELECT unit_id, 'created', problem_day(created_at), COUNT(*) FROM new_rows GROUP BY 1, 2, 3
    UNION ALL
    SELECT unit_id, 'closed', closed_on, COUNT(*) FROM new_rows WHERE closed_on IS NOT NULL GROUP BY 1, 2, 3;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION problem_tally_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO problem_tally_delta (unit_id, status, light, class, source, supervised, n)
    SELECT unit_id, status, light, class, source, CASE WHEN supervised_at IS NULL THEN 0 ELSE 1 END, -COUNT(*)
    FROM old_rows GROUP BY 1, 2, 3, 4, 5, 6;
    INSERT INTO problem_day_delta (unit_id, kind, day, n)
    SELECT unit_id, 'created', problem_day(created_at), -COUNT(*) FROM old_rows GROUP BY 1, 2, 3
    UNION ALL
    SELECT unit_id, 'closed', closed_on, -COUNT(*) FROM old_rows WHERE closed_on IS NOT NULL GROUP BY 1, 2, 3;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION problem_tally_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO problem_tally_delta (unit_id, status, light, class, source, supervised, n)
    SELECT unit_id, status, light, class, source, sup, SUM(n) FROM (
        SELECT unit_id, status, light, class, source, CASE WHEN supervised_at IS NULL THEN 0 ELSE 1 END AS sup, -1 AS n FROM old_rows
        UNION ALL
        SELECT unit_id, status, light, class, source, CASE WHEN supervised_at IS NULL THEN 0 ELSE 1 END, 1 FROM new_rows) c
    GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM(n) <> 0;
    INSERT INTO problem_day_delta (unit_id, kind, day, n)
    SELECT unit_id, kind, day, SUM(n) FROM (
        SELECT unit_id, 'created' AS kind, problem_day(created_at) AS day, -1 AS n FROM old_rows
        UNION ALL SELECT unit_id, 'created', problem_day(created_at), 1 FROM new_rows
        UNION ALL SELECT unit_id, 'closed', closed_on, -1 FROM old_rows WHERE closed_on IS NOT NULL
        UNION ALL SELECT unit_id, 'closed', closed_on, 1 FROM new_rows WHERE closed_on IS NOT NULL) c
    GROUP BY 1, 2, 3 HAVING SUM(n) <> 0;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- Rebuilds both tables from problems. Writers are held off meanwhile, so no
-- change is counted twice or lost.
-- +goose StatementBegin
CREATE FUNCTION problem_tally_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE problems IN SHARE MODE;
    PERFORM pg_advisory_xact_lock(7317001);
    DELETE FROM problem_tally;
    DELETE FROM problem_tally_delta;
    DELETE FROM problem_days;
    DELETE FROM problem_day_delta;
    INSERT INTO problem_tally (unit_id, status, light, class, source, supervised, n)
    SELECT a.id, t.status, t.light, t.class, t.source, t.sup, SUM(t.n)
    FROM (SELECT unit_id, status, light, class, source, CASE WHEN supervised_at IS NULL THEN 0 ELSE 1 END AS sup, COUNT(*) AS n
          FROM problems GROUP BY 1, 2, 3, 4, 5, 6) t
    JOIN units u ON u.id = t.unit_id
    CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from u.path), '/')::bigint[]) a(id)
    GROUP BY 1, 2, 3, 4, 5, 6;
    INSERT INTO problem_days (unit_id, kind, day, n)
    SELECT a.id, t.kind, t.day, SUM(t.n)
    FROM (SELECT unit_id, 'created' AS kind, problem_day(created_at) AS day, COUNT(*) AS n FROM problems GROUP BY 1, 2, 3
          UNION ALL
          SELECT unit_id, 'closed', closed_on, COUNT(*) FROM problems WHERE closed_on IS NOT NULL GROUP BY 1, 2, 3) t
    JOIN units u ON u.id = t.unit_id
    CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from u.path), '/')::bigint[]) a(id)
    GROUP BY 1, 2, 3;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION units_tally_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.parent_id IS DISTINCT FROM NEW.parent_id THEN
        PERFORM problem_tally_rebuild();
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER problems_tally_insert AFTER INSERT ON problems
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION problem_tally_insert();
CREATE TRIGGER problems_tally_delete AFTER DELETE ON problems
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION problem_tally_delete();
CREATE TRIGGER problems_tally_update AFTER UPDATE ON problems
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION problem_tally_update();
CREATE TRIGGER units_tally_move AFTER UPDATE OF parent_id ON units
    FOR EACH ROW EXECUTE FUNCTION units_tally_move();

SELECT problem_tally_rebuild();

-- +goose Down
DROP TRIGGER units_tally_move ON units;
DROP TRIGGER problems_tally_update ON problems;
DROP TRIGGER problems_tally_delete ON problems;
DROP TRIGGER problems_tally_insert ON problems;
DROP FUNCTION units_tally_move();
DROP FUNCTION problem_tally_rebuild();
DROP FUNCTION problem_tally_update();
DROP FUNCTION problem_tally_delete();
DROP FUNCTION problem_tally_insert();
DROP FUNCTION problem_day(BIGINT);
DROP TABLE problem_day_delta;
DROP TABLE problem_days;
DROP TABLE problem_tally_delta;
DROP TABLE problem_tally;
