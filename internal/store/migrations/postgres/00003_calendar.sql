-- +goose Up
-- Days an administrator entered or corrected in the working-day calendar;
-- they win over the official table shipped with the binary.
CREATE TABLE calendar_days (
    day        TEXT    PRIMARY KEY, -- 'YYYY-MM-DD'
    workday    INTEGER NOT NULL,    -- 1 a working day, 0 a day off
    name       TEXT    NOT NULL DEFAULT '',
    updated_by BIGINT,
    updated_at BIGINT  NOT NULL
);

-- +goose Down
DROP TABLE calendar_days;
