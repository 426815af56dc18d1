-- +goose Up
-- The scope columns of a new H3 cell, cheaper (issue 14, session 7: the cell step of a 1 M
-- import stores ≈ 274 k cells).
--   * cell_lpos tested each cell against the whole area polygons; it now tests the subdivided
--     parts (area_part, ≤ 16 vertices each, GiST-indexed), whose union is the area: a cell meets
--     an area exactly when it meets one of its parts (the cut lines lie inside the area). Same
--     answers (all 274 k cells of the 1 M benchmark compared), about 3× faster.
--   * cell_region took the cell's centroid twice (the point-in-polygon and the nearest-region
--     fallback); cell_region_at takes the point. The import writes the bodies of cell_region_at
--     and cell_lpos out in its INSERT (PostgreSQL does not inline SQL functions holding
--     subqueries; the calls cost more than the queries) with each centroid computed once;
--     the importer tests compare every stored cell with these functions.
--   * h3_cell_region_idx (region_code) duplicated the leading column of h3_cell_region_scope_idx
--     (region_code) INCLUDE (cell, lpo_codes), which serves the same lookups: one index less to
--     maintain per stored cell.
-- +goose StatementBegin
CREATE FUNCTION cell_region_at(centre geometry) RETURNS text LANGUAGE sql STABLE AS $$
SELECT coalesce(
    (SELECT min(r.region_code) FROM police_region_part r WHERE ST_Intersects(r.geom, centre)),
    (SELECT r.code FROM police_region r ORDER BY r.geom <-> centre, r.code LIMIT 1))
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION cell_region(cell_geom geometry) RETURNS text LANGUAGE sql STABLE AS $$
SELECT cell_region_at(ST_Centroid(cell_geom))
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION cell_lpos(cell_geom geometry) RETURNS text[] LANGUAGE sql STABLE AS $$
SELECT coalesce((SELECT array_agg(DISTINCT a.lpo_code ORDER BY a.lpo_code)
                 FROM area_part ap JOIN area a ON a.id = ap.area_id
                 WHERE a.lpo_code IS NOT NULL AND ap.geom && cell_geom AND ST_Intersects(ap.geom, cell_geom)), '{}')
$$;
-- +goose StatementEnd

DROP INDEX h3_cell_region_idx;

-- +goose Down
CREATE INDEX h3_cell_region_idx ON h3_cell (region_code);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION cell_lpos(cell_geom geometry) RETURNS text[] LANGUAGE sql STABLE AS $$
SELECT coalesce((SELECT array_agg(DISTINCT a.lpo_code ORDER BY a.lpo_code) FROM area a
                 WHERE a.lpo_code IS NOT NULL AND a.geom && cell_geom AND ST_Intersects(a.geom, cell_geom)), '{}')
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION cell_region(cell_geom geometry) RETURNS text LANGUAGE sql STABLE AS $$
SELECT coalesce(
    (SELECT min(r.region_code) FROM police_region_part r WHERE ST_Intersects(r.geom, ST_Centroid(cell_geom))),
    (SELECT r.code FROM police_region r ORDER BY r.geom <-> ST_Centroid(cell_geom), r.code LIMIT 1))
$$;
-- +goose StatementEnd

DROP FUNCTION cell_region_at(geometry);
