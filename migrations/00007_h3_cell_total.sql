-- +goose Up
-- One row per H3 cell with its total and per-group counts over the whole stored period: the
-- default map view (no date, category or agency filter) then reads one row per cell instead of
-- one per (cell, group, agency) — a z5 tile over Stockholm sums 1 100 rows instead of 18 000.
SET LOCAL statement_timeout = 0;
CREATE TABLE h3_cell_total (
    res                smallint NOT NULL,
    cell               bigint   NOT NULL,
    total              integer  NOT NULL,
    skjutning          integer NOT NULL DEFAULT 0,
    sprangning         integer NOT NULL DEFAULT 0,
    grovt_vald         integer NOT NULL DEFAULT 0,
    misshandel_hot     integer NOT NULL DEFAULT 0,
    ran                integer NOT NULL DEFAULT 0,
    narkotika          integer NOT NULL DEFAULT 0,
    overgrepp_rattssak integer NOT NULL DEFAULT 0,
    brand_skadegorelse integer NOT NULL DEFAULT 0,
    stold_inbrott      integer NOT NULL DEFAULT 0,
    bedrageri_valfard  integer NOT NULL DEFAULT 0,
    ovrigt             integer NOT NULL DEFAULT 0,
    PRIMARY KEY (res, cell)
);
INSERT INTO h3_cell_total (res, cell, total, skjutning, sprangning, grovt_vald, misshandel_hot, ran, narkotika, overgrepp_rattssak, brand_skadegorelse, stold_inbrott, bedrageri_valfard, ovrigt)
SELECT res, cell, sum(n)::int,
       coalesce(sum(n) FILTER (WHERE category_group = 'skjutning'), 0)::int,
       coalesce(sum(n) FILTER (WHERE category_group = 'sprangning'), 0)::int,
       coalesce(sum(n) FILTER (WHERE category_group = 'grovt_vald'), 0)::int,
       coalesce(sum(n) FILTER (WHERE category_group = 'misshandel_hot'), 0)::int,
       coalesce(sum(n) FILTER (WHERE category_group = 'ran'), 0)::int,
       coalesce(sum(n) FILTER (WHERE category_group = 'narkotika'), 0)::int,
       coalesce(sum(n) FILTER (WHERE category_group = 'overgrepp_rattssak'), 0)::int,
       coalesce(sum(n) FILTER (WHERE category_group = 'brand_skadegorelse'), 0)::int,
       coalesce(sum(n) FILTER (WHERE category_group = 'stold_inbrott'), 0)::int,
       coalesce(sum(n) FILTER (WHERE category_group = 'bedrageri_valfard'), 0)::int,
       coalesce(sum(n) FILTER (WHERE category_group = 'ovrigt'), 0)::int
FROM h3_total GROUP BY res, cell;

-- +goose Down
DROP TABLE h3_cell_total;
