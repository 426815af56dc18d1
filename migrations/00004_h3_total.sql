-- +goose Up
-- The backfill may take minutes on a large database; the pool's read timeout does not apply.
SET LOCAL statement_timeout = 0;
-- Incident counts per H3 cell over the whole stored period (no day), kept by every import next to
-- h3_agg. Tiles without a date filter read this table: at low zoom a cell of h3_agg has a row per
-- day, which made a country-wide tile sum hundreds of thousands of rows.
CREATE TABLE h3_total (
    res            smallint NOT NULL CHECK (res BETWEEN 5 AND 9),
    cell           bigint   NOT NULL,
    category_group text     NOT NULL,
    agency         text     NOT NULL,
    n              integer  NOT NULL CHECK (n >= 0),
    PRIMARY KEY (res, cell, category_group, agency)
);
INSERT INTO h3_total (res, cell, category_group, agency, n)
SELECT res, cell, category_group, agency, sum(n) FROM h3_agg GROUP BY res, cell, category_group, agency;

-- +goose Down
DROP TABLE h3_total;
