-- +goose Up
-- The H3 aggregates carry their cell's scope columns (region of the centre, lokalpolisområden
-- of the areas it touches), so row-level security checks each row by its own columns. Until now
-- their policies looked the caller's cells up in h3_cell, which cost a regional caller 30–40 ms
-- on every tile (a hash of the region's cells of every resolution, built per statement) against
-- 4–8 ms for a national one. The rows visible to each scope stay exactly the same: a cell's
-- columns are copied from h3_cell, and refresh_cell_scope keeps them equal.
SET LOCAL statement_timeout = 0;

ALTER TABLE h3_agg ADD COLUMN region_code text, ADD COLUMN lpo_codes text[] NOT NULL DEFAULT '{}';
ALTER TABLE h3_total ADD COLUMN region_code text, ADD COLUMN lpo_codes text[] NOT NULL DEFAULT '{}';
ALTER TABLE h3_cell_total ADD COLUMN region_code text, ADD COLUMN lpo_codes text[] NOT NULL DEFAULT '{}';
UPDATE h3_agg a SET region_code = c.region_code, lpo_codes = c.lpo_codes FROM h3_cell c WHERE c.cell = a.cell;
UPDATE h3_total a SET region_code = c.region_code, lpo_codes = c.lpo_codes FROM h3_cell c WHERE c.cell = a.cell;
UPDATE h3_cell_total a SET region_code = c.region_code, lpo_codes = c.lpo_codes FROM h3_cell c WHERE c.cell = a.cell;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION refresh_cell_scope(only_cells bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE h3_cell c SET
        region_code = coalesce(
            (SELECT r.code FROM police_region r WHERE ST_Intersects(r.geom, ST_Centroid(c.geom)) ORDER BY r.code LIMIT 1),
            (SELECT r.code FROM police_region r ORDER BY r.geom <-> ST_Centroid(c.geom), r.code LIMIT 1)),
        lpo_codes = coalesce((SELECT array_agg(DISTINCT a.lpo_code ORDER BY a.lpo_code) FROM area a
                              WHERE a.lpo_code IS NOT NULL AND a.geom && c.geom AND ST_Intersects(a.geom, c.geom)), '{}')
    WHERE only_cells IS NULL OR c.cell = ANY (only_cells);
    -- New cells (only_cells) have no aggregate rows yet: the import stores cells first.
    IF only_cells IS NULL THEN
        UPDATE h3_agg a SET region_code = c.region_code, lpo_codes = c.lpo_codes FROM h3_cell c
        WHERE c.cell = a.cell AND (a.region_code IS DISTINCT FROM c.region_code OR a.lpo_codes <> c.lpo_codes);
        UPDATE h3_total a SET region_code = c.region_code, lpo_codes = c.lpo_codes FROM h3_cell c
        WHERE c.cell = a.cell AND (a.region_code IS DISTINCT FROM c.region_code OR a.lpo_codes <> c.lpo_codes);
        UPDATE h3_cell_total a SET region_code = c.region_code, lpo_codes = c.lpo_codes FROM h3_cell c
        WHERE c.cell = a.cell AND (a.region_code IS DISTINCT FROM c.region_code OR a.lpo_codes <> c.lpo_codes);
    END IF;
END
$$;
-- +goose StatementEnd

ALTER POLICY h3_agg_scope ON h3_agg
    USING ((SELECT scope_all()) OR region_code = ANY ((SELECT scope_regions())::text[]) OR lpo_codes && (SELECT scope_lpos()));
ALTER POLICY h3_total_scope ON h3_total
    USING ((SELECT scope_all()) OR region_code = ANY ((SELECT scope_regions())::text[]) OR lpo_codes && (SELECT scope_lpos()));
ALTER POLICY h3_cell_total_scope ON h3_cell_total
    USING ((SELECT scope_all()) OR region_code = ANY ((SELECT scope_regions())::text[]) OR lpo_codes && (SELECT scope_lpos()));
ANALYZE h3_agg, h3_total, h3_cell_total;

-- +goose Down
ALTER POLICY h3_agg_scope ON h3_agg
    USING ((SELECT scope_all()) OR cell IN (SELECT c.cell FROM h3_cell c WHERE c.region_code = ANY ((SELECT scope_regions())::text[]))
        OR ((SELECT scope_lpos()) IS NOT NULL AND cell IN (SELECT c.cell FROM h3_cell c WHERE c.lpo_codes && (SELECT scope_lpos()))));
ALTER POLICY h3_total_scope ON h3_total
    USING ((SELECT scope_all()) OR cell IN (SELECT c.cell FROM h3_cell c WHERE c.region_code = ANY ((SELECT scope_regions())::text[]))
        OR ((SELECT scope_lpos()) IS NOT NULL AND cell IN (SELECT c.cell FROM h3_cell c WHERE c.lpo_codes && (SELECT scope_lpos()))));
ALTER POLICY h3_cell_total_scope ON h3_cell_total
    USING ((SELECT scope_all()) OR cell IN (SELECT c.cell FROM h3_cell c WHERE c.region_code = ANY ((SELECT scope_regions())::text[]))
        OR ((SELECT scope_lpos()) IS NOT NULL AND cell IN (SELECT c.cell FROM h3_cell c WHERE c.lpo_codes && (SELECT scope_lpos()))));
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION refresh_cell_scope(only_cells bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE h3_cell c SET
        region_code = coalesce(
            (SELECT r.code FROM police_region r WHERE ST_Intersects(r.geom, ST_Centroid(c.geom)) ORDER BY r.code LIMIT 1),
            (SELECT r.code FROM police_region r ORDER BY r.geom <-> ST_Centroid(c.geom), r.code LIMIT 1)),
        lpo_codes = coalesce((SELECT array_agg(DISTINCT a.lpo_code ORDER BY a.lpo_code) FROM area a
                              WHERE a.lpo_code IS NOT NULL AND a.geom && c.geom AND ST_Intersects(a.geom, c.geom)), '{}')
    WHERE only_cells IS NULL OR c.cell = ANY (only_cells);
END
$$;
-- +goose StatementEnd
ALTER TABLE h3_agg DROP COLUMN region_code, DROP COLUMN lpo_codes;
ALTER TABLE h3_total DROP COLUMN region_code, DROP COLUMN lpo_codes;
ALTER TABLE h3_cell_total DROP COLUMN region_code, DROP COLUMN lpo_codes;
