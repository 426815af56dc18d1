-- +goose Up
-- Faster imports (issue 3), with the same results.
--
-- 1. Kommun and area assignment by cell. Until now every exact point was tested against the
--    kommun polygons through the GiST index (≈ 15 µs a point) and against the area polygons (two
--    more index probes and ST_Contains). Now each H3 cell that holds points is classified once
--    (cell_class): the kommun whose polygon holds the whole cell, the areas that hold the whole
--    cell, and the areas and kommun parts that touch it. A point inherits the decided parts from
--    its cell; only points of cells that touch a boundary are tested one by one, against just the
--    polygons that touch their cell. The result is the same ST_Contains / ST_Intersects answer
--    point by point: a cell counts as inside a polygon only when its bounding box, grown by 10 m,
--    lies within it (points of the cell are then inside, more than 9 m from the boundary; the
--    box is grown so that H3's spherical edges against the stored planar polygon cannot matter),
--    and a polygon that does not touch that box cannot hold any of the cell's points.
--    Classification is cached across imports and cleared whenever the geodata changes (the
--    geodata import rebuilds kommun_part).
-- 2. Row-by-row foreign-key checks on incident_area and the area aggregates go: they cost 60 %
--    of writing incident_area (each check is a query and a row lock on incident). The import
--    writes only ids it has just taken from those tables; deleting an area or an incident still
--    removes its rows, now by statement-level triggers.
SET LOCAL statement_timeout = 0;

ALTER TABLE kommun_part ADD COLUMN id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY;

ALTER TABLE area_part ADD COLUMN id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY;

-- One row per classified cell (any resolution; the import uses the point's own resolution-7 cell
-- and, where that is not enough, its resolution-9 cell). Parts are the subdivided polygons
-- (kommun_part, area_part); "touch" means their bounding boxes overlap the cell's grown box, a
-- superset of the parts that can hold a point of the cell.
CREATE TABLE cell_class (
    cell         bigint PRIMARY KEY,
    kommun_code  text,                        -- the kommun holding the whole cell, no other touching it
    kommun_parts integer[] NOT NULL,          -- else the kommun parts touching the cell
    area_inside  text[]    NOT NULL,          -- areas holding the whole cell
    area_border  text[]    NOT NULL,          -- other areas touching the cell
    area_parts   integer[] NOT NULL           -- their parts touching the cell
);

-- +goose StatementBegin
-- classify_cells adds the classification of the given cells (their polygons are in h3_cell) that
-- are not classified yet. A polygon holds the cell when ST_Contains(polygon, box): the cell's
-- points then lie in its interior. Some generalised kommun polygons overlap their neighbours a
-- little, so a kommun decides a cell only when no other kommun's polygon meets the box.
CREATE FUNCTION classify_cells(cells bigint[]) RETURNS void LANGUAGE sql AS $$
INSERT INTO cell_class (cell, kommun_code, kommun_parts, area_inside, area_border, area_parts)
SELECT h.cell, k.inside, CASE WHEN k.inside IS NULL THEN k0.parts ELSE '{}' END, a.inside, a.border, ap.parts
FROM (SELECT DISTINCT c FROM unnest(cells) c) u(cell)
JOIN h3_cell h ON h.cell = u.cell
CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_Expand(h.geom::box2d::geometry, 10), 3006) AS box) e
CROSS JOIN LATERAL (
    SELECT min(kp.kommun_code) FILTER (WHERE ST_Contains(kp.geom, e.box)) AS holder,
           coalesce(array_agg(kp.id ORDER BY kp.id), '{}') AS parts
    FROM kommun_part kp WHERE kp.geom && e.box) k0
CROSS JOIN LATERAL (
    SELECT CASE WHEN k0.holder IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM kommun_part kp
                    WHERE kp.geom && e.box AND kp.kommun_code <> k0.holder AND ST_Intersects(kp.geom, e.box))
                THEN k0.holder END AS inside) k
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(ar.id ORDER BY ar.id) FILTER (WHERE ST_Contains(ar.geom, e.box)), '{}') AS inside,
           coalesce(array_agg(ar.id ORDER BY ar.id) FILTER (WHERE NOT ST_Contains(ar.geom, e.box)), '{}') AS border
    FROM area ar WHERE ar.id IN (SELECT ap.area_id FROM area_part ap WHERE ap.geom && e.box)) a
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(ap.id ORDER BY ap.id), '{}') AS parts
    FROM area_part ap WHERE ap.geom && e.box AND ap.area_id = ANY (a.border)) ap
WHERE NOT EXISTS (SELECT 1 FROM cell_class c WHERE c.cell = h.cell)
$$;
-- +goose StatementEnd

ALTER TABLE incident_area DROP CONSTRAINT incident_area_incident_id_fkey;
ALTER TABLE incident_area DROP CONSTRAINT incident_area_area_id_fkey;
ALTER TABLE area_agg DROP CONSTRAINT area_agg_area_id_fkey;
ALTER TABLE area_month_agg DROP CONSTRAINT area_month_agg_area_id_fkey;

-- +goose StatementBegin
CREATE FUNCTION area_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM incident_area WHERE area_id IN (SELECT id FROM gone);
    DELETE FROM area_agg WHERE area_id IN (SELECT id FROM gone);
    DELETE FROM area_month_agg WHERE area_id IN (SELECT id FROM gone);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER area_deleted AFTER DELETE ON area REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION area_deleted();

-- +goose StatementBegin
CREATE FUNCTION incident_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM incident_area WHERE incident_id IN (SELECT id FROM gone);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER incident_deleted AFTER DELETE ON incident REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION incident_deleted();


-- 3. The police region of each new cell's centre was tested against the whole region polygons
--    (thousands of vertices, ≈ 100 µs a cell, 28 s for the cells of a million incidents). The
--    regions are cut into small parts like the kommuner; the answer is the same (the lowest
--    region code whose polygon holds the centre, else the nearest region).
CREATE TABLE police_region_part (
    region_code text NOT NULL,
    geom        geometry(Polygon, 3006) NOT NULL
);
CREATE INDEX police_region_part_geom_idx ON police_region_part USING gist (geom);
INSERT INTO police_region_part (region_code, geom) SELECT code, ST_Subdivide(geom, 64) FROM police_region;
GRANT SELECT ON police_region_part TO lagesbild_reader;

-- The scope columns of a cell, one rule for new cells (the import computes them as it inserts
-- the cells, instead of updating them after: a second version of each new row and its index
-- entries) and for refresh_cell_scope.
-- +goose StatementBegin
CREATE FUNCTION cell_region(cell_geom geometry) RETURNS text LANGUAGE sql STABLE AS $$
SELECT coalesce(
    (SELECT min(r.region_code) FROM police_region_part r WHERE ST_Intersects(r.geom, ST_Centroid(cell_geom))),
    (SELECT r.code FROM police_region r ORDER BY r.geom <-> ST_Centroid(cell_geom), r.code LIMIT 1))
$$;
CREATE FUNCTION cell_lpos(cell_geom geometry) RETURNS text[] LANGUAGE sql STABLE AS $$
SELECT coalesce((SELECT array_agg(DISTINCT a.lpo_code ORDER BY a.lpo_code) FROM area a
                 WHERE a.lpo_code IS NOT NULL AND a.geom && cell_geom AND ST_Intersects(a.geom, cell_geom)), '{}')
$$;
CREATE OR REPLACE FUNCTION refresh_cell_scope(only_cells bigint[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    UPDATE h3_cell c SET region_code = cell_region(c.geom), lpo_codes = cell_lpos(c.geom)
    WHERE only_cells IS NULL OR c.cell IN (SELECT unnest(only_cells));
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

-- 4. refresh_cell_kommun and refresh_cell_scope took their cells as `cell = ANY (only_cells)`
--    next to `only_cells IS NULL`. After five calls in one session PL/pgSQL may switch to a
--    generic plan, which cannot use an index for that condition: a scan of all of h3_cell and
--    h3_agg checking each row against the whole array (the sixth 1 M-row import of one session
--    ran for more than 14 minutes in this step). The cells now come as a hashed set, and the
--    functions always plan for their actual arguments.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION refresh_cell_kommun(only_cells bigint[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    IF only_cells IS NULL THEN
        DELETE FROM h3_cell_kommun;
        DELETE FROM hotspot_month;
        INSERT INTO h3_cell_kommun (cell, kommun_code)
        SELECT DISTINCT h.cell, kp.kommun_code
        FROM h3_cell h
        JOIN kommun_part kp ON ST_Intersects(kp.geom, ST_Centroid(h.geom))
        WHERE h.res = 8;
        INSERT INTO hotspot_month (kommun_code, month, cell, n)
        SELECT k.kommun_code, date_trunc('month', g.day::timestamp)::date, g.cell, sum(g.n)
        FROM h3_agg g
        JOIN h3_cell_kommun k ON k.cell = g.cell
        WHERE g.res = 8
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3;
        RETURN;
    END IF;
    CREATE TEMP TABLE refresh_cells ON COMMIT DROP AS
    SELECT DISTINCT c AS cell FROM unnest(only_cells) c WHERE (c >> 52) & 15 = 8;
    ANALYZE refresh_cells;
    DELETE FROM h3_cell_kommun WHERE cell IN (SELECT cell FROM refresh_cells);
    DELETE FROM hotspot_month WHERE cell IN (SELECT cell FROM refresh_cells);
    INSERT INTO h3_cell_kommun (cell, kommun_code)
    SELECT DISTINCT h.cell, kp.kommun_code
    FROM refresh_cells r
    JOIN h3_cell h ON h.cell = r.cell
    JOIN kommun_part kp ON ST_Intersects(kp.geom, ST_Centroid(h.geom));
    INSERT INTO hotspot_month (kommun_code, month, cell, n)
    SELECT k.kommun_code, date_trunc('month', g.day::timestamp)::date, g.cell, sum(g.n)
    FROM refresh_cells r
    JOIN h3_cell_kommun k ON k.cell = r.cell
    JOIN h3_agg g ON g.res = 8 AND g.cell = r.cell
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3;
    DROP TABLE refresh_cells;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER incident_deleted ON incident;
DROP FUNCTION incident_deleted();
DROP TRIGGER area_deleted ON area;
DROP FUNCTION area_deleted();
ALTER TABLE area_month_agg ADD FOREIGN KEY (area_id) REFERENCES area (id) ON DELETE CASCADE;
ALTER TABLE area_agg ADD FOREIGN KEY (area_id) REFERENCES area (id) ON DELETE CASCADE;
ALTER TABLE incident_area ADD FOREIGN KEY (area_id) REFERENCES area (id) ON DELETE CASCADE;
ALTER TABLE incident_area ADD FOREIGN KEY (incident_id) REFERENCES incident (id) ON DELETE CASCADE;
DROP FUNCTION classify_cells(bigint[]);
DROP TABLE cell_class;
ALTER TABLE kommun_part DROP COLUMN id;
ALTER TABLE area_part DROP COLUMN id;
DROP FUNCTION cell_lpos(geometry);
DROP FUNCTION cell_region(geometry);
DROP TABLE police_region_part;
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
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION refresh_cell_kommun(only_cells bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF only_cells IS NULL THEN
        DELETE FROM h3_cell_kommun;
        DELETE FROM hotspot_month;
    ELSE
        DELETE FROM h3_cell_kommun WHERE cell = ANY (only_cells);
        DELETE FROM hotspot_month WHERE cell = ANY (only_cells);
    END IF;
    INSERT INTO h3_cell_kommun (cell, kommun_code)
    SELECT DISTINCT h.cell, kp.kommun_code
    FROM h3_cell h
    JOIN kommun_part kp ON ST_Intersects(kp.geom, ST_Centroid(h.geom))
    WHERE h.res = 8 AND (only_cells IS NULL OR h.cell = ANY (only_cells));
    INSERT INTO hotspot_month (kommun_code, month, cell, n)
    SELECT k.kommun_code, date_trunc('month', g.day::timestamp)::date, g.cell, sum(g.n)
    FROM h3_agg g
    JOIN h3_cell_kommun k ON k.cell = g.cell
    WHERE g.res = 8 AND (only_cells IS NULL OR g.cell = ANY (only_cells))
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3;
END
$$;
-- +goose StatementEnd
