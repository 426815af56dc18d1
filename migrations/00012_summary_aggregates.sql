-- +goose Up
-- Aggregates for the area summaries (GET /api/v1/summaries), kept by every import in the same
-- transaction like h3_agg and admin_agg. A summary over 12 months used to join incident_area to
-- incident for every incident of the list's areas and sum a year of daily res-8 rows of h3_agg
-- for the whole country; it now reads whole calendar months from the *month* tables and only the
-- days of a period's partial first and last month from the daily ones.
--
-- Every table here holds incident-derived counts, so each has row-level security that shows a
-- caller exactly the rows the queries on the base tables would have shown (see the policies).
-- The scope functions are called as (SELECT f()): an init plan evaluated once per statement
-- rather than once per row, with the same value.
SET LOCAL statement_timeout = 0;

-- Exact incidents per area (of every list), day, category group, source and owning agency. The
-- incident's own scope columns come along so that row-level security can apply the incident
-- policy without the incident: region_code is the incident's police region, lpo_codes the
-- lokalpolisområden of every area (of any list) that contains it.
CREATE TABLE area_agg (
    area_id        text    NOT NULL REFERENCES area (id) ON DELETE CASCADE,
    day            date    NOT NULL,
    category_group text    NOT NULL,
    source         text    NOT NULL,
    agency         text    NOT NULL,
    region_code    text    NOT NULL,
    lpo_codes      text[]  NOT NULL,
    n              integer NOT NULL CHECK (n >= 0),  -- rows reaching 0 are deleted in the same transaction
    PRIMARY KEY (area_id, day, category_group, source, agency, region_code, lpo_codes)
);

-- The same per calendar month (month = its first day).
CREATE TABLE area_month_agg (
    area_id        text    NOT NULL REFERENCES area (id) ON DELETE CASCADE,
    month          date    NOT NULL CHECK (extract(day FROM month) = 1),
    category_group text    NOT NULL,
    source         text    NOT NULL,
    agency         text    NOT NULL,
    region_code    text    NOT NULL,
    lpo_codes      text[]  NOT NULL,
    n              integer NOT NULL CHECK (n >= 0),
    PRIMARY KEY (area_id, month, category_group, source, agency, region_code, lpo_codes)
);

-- admin_agg per calendar month.
CREATE TABLE admin_month_agg (
    level          text    NOT NULL CHECK (level IN ('kommun', 'lan', 'region')),
    code           text    NOT NULL,
    month          date    NOT NULL CHECK (extract(day FROM month) = 1),
    category_group text    NOT NULL,
    agency         text    NOT NULL,
    precision      text    NOT NULL,
    n              integer NOT NULL CHECK (n >= 0),
    PRIMARY KEY (level, code, month, category_group, agency, precision)
);

-- The kommun(er) whose polygon contains the centre of each stored res-8 cell: the hot-spot grid
-- of a kommun. Almost always one; a centre on a boundary meets two.
CREATE TABLE h3_cell_kommun (
    cell        bigint NOT NULL CHECK ((cell >> 52) & 15 = 8),
    kommun_code text   NOT NULL,
    PRIMARY KEY (cell, kommun_code)
);

-- The hot-spot grid's counts: exact incidents per res-8 cell and calendar month (all groups and
-- agencies), under each kommun of h3_cell_kommun, so that a list reads only its kommuner.
-- Derived from h3_agg and h3_cell_kommun: refresh_cell_kommun rebuilds the rows of the cells it
-- is given, the import adds its deltas.
CREATE TABLE hotspot_month (
    kommun_code text    NOT NULL,
    month       date    NOT NULL CHECK (extract(day FROM month) = 1),
    cell        bigint  NOT NULL CHECK ((cell >> 52) & 15 = 8),
    n           integer NOT NULL CHECK (n >= 0),
    PRIMARY KEY (kommun_code, month, cell)
);
CREATE INDEX hotspot_month_cell_idx ON hotspot_month (cell);

-- The days of a period's partial months come from h3_agg; without this index a day range of
-- resolution 8 walks every res-8 entry of the primary key.
CREATE INDEX h3_agg_res8_day_idx ON h3_agg (day, cell) INCLUDE (n) WHERE res = 8;

-- The newest incident day (the default period) was a scan of all of admin_agg.
CREATE INDEX admin_agg_day_idx ON admin_agg (day);

-- Row-level security on the H3 tables asks for the cells visible to the caller (see the policies
-- below). A regional caller's come from a range of this index, a lokalpolisområde's from a scan
-- of it instead of the wide table (two polygons per row); index-only, since h3_cell's own policy
-- reads just these columns.
CREATE INDEX h3_cell_region_scope_idx ON h3_cell (region_code) INCLUDE (cell, lpo_codes);

-- +goose StatementBegin
-- refresh_cell_kommun recomputes h3_cell_kommun, and the hotspot_month rows, of the given cells
-- (NULL: all). The import calls it for the cells it adds, the geodata import after rebuilding
-- kommun_part.
CREATE FUNCTION refresh_cell_kommun(only_cells bigint[]) RETURNS void LANGUAGE plpgsql AS $$
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

-- +goose StatementBegin
-- rebuild_area_agg recomputes area_agg and area_month_agg from incident_area. The geodata import
-- calls it when areas change: an area's lokalpolisområde, or the areas an incident lies in, decide
-- the lpo_codes of its rows.
CREATE FUNCTION rebuild_area_agg() RETURNS void LANGUAGE sql AS $$
DELETE FROM area_agg;
DELETE FROM area_month_agg;
INSERT INTO area_agg (area_id, day, category_group, source, agency, region_code, lpo_codes, n)
SELECT ia.area_id, i.occurred_day, i.category_group, i.source, i.agency, i.region_code, l.lpo_codes, count(*)
FROM incident_area ia
JOIN incident i ON i.id = ia.incident_id
JOIN (SELECT ia.incident_id,
             coalesce(array_agg(DISTINCT a.lpo_code ORDER BY a.lpo_code) FILTER (WHERE a.lpo_code IS NOT NULL), '{}') AS lpo_codes
      FROM incident_area ia JOIN area a ON a.id = ia.area_id
      GROUP BY ia.incident_id) l ON l.incident_id = ia.incident_id
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO area_month_agg (area_id, month, category_group, source, agency, region_code, lpo_codes, n)
SELECT area_id, date_trunc('month', day::timestamp)::date, category_group, source, agency, region_code, lpo_codes, sum(n)
FROM area_agg
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 1, 2, 3, 4, 5, 6, 7;
$$;
-- +goose StatementEnd

SELECT rebuild_area_agg();

INSERT INTO admin_month_agg (level, code, month, category_group, agency, precision, n)
SELECT level, code, date_trunc('month', day::timestamp)::date, category_group, agency, precision, sum(n)
FROM admin_agg
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6;

SELECT refresh_cell_kommun(NULL);

-- Row-level security.
--
-- area_agg and area_month_agg: the old query joined area (visible), incident_area (visible when
-- its area is) and incident. An incident is visible with the whole country, when its region is
-- in scope, or when some area containing it has a lokalpolisområde in scope; region_code and
-- lpo_codes are exactly those columns of the incidents counted in the row.
ALTER TABLE area_agg ENABLE ROW LEVEL SECURITY;
CREATE POLICY area_agg_scope ON area_agg FOR SELECT
    USING ((SELECT scope_all())
           OR (area_id IN (SELECT a.id FROM area a)
               AND (region_code = ANY ((SELECT scope_regions())::text[]) OR lpo_codes && (SELECT scope_lpos()))));

ALTER TABLE area_month_agg ENABLE ROW LEVEL SECURITY;
CREATE POLICY area_month_agg_scope ON area_month_agg FOR SELECT
    USING ((SELECT scope_all())
           OR (area_id IN (SELECT a.id FROM area a)
               AND (region_code = ANY ((SELECT scope_regions())::text[]) OR lpo_codes && (SELECT scope_lpos()))));

-- As admin_agg.
ALTER TABLE admin_month_agg ENABLE ROW LEVEL SECURITY;
CREATE POLICY admin_month_agg_scope ON admin_month_agg FOR SELECT
    USING ((SELECT scope_all())
           OR (level = 'region' AND code = ANY ((SELECT scope_regions())::text[]))
           OR (level = 'lan' AND code IN (SELECT l.code FROM lan l WHERE l.region_code = ANY ((SELECT scope_regions())::text[])))
           OR (level = 'kommun' AND code IN (
                SELECT k.code FROM kommun k JOIN lan l ON l.code = k.lan_code WHERE l.region_code = ANY ((SELECT scope_regions())::text[])
                UNION ALL
                SELECT a.kommun_code FROM area a WHERE a.lpo_code = ANY ((SELECT scope_lpos())::text[]))));

-- The H3 tables show the rows of the cells the caller may see in h3_cell. Those are the cells of
-- a region in scope and the cells touching an area of a lokalpolisområde in scope, which is what
-- h3_cell's own policy lets through (it still applies inside both subqueries). Asked for branch
-- by branch, the first is an index scan of h3_cell_region_scope_idx and the second is skipped
-- for a caller without lokalpolisområden, instead of a scan of every cell with the scope
-- functions evaluated per row. The rows shown are the same as with the policy of 00008,
-- "cell IN (SELECT c.cell FROM h3_cell c)".
ALTER POLICY h3_cell_scope ON h3_cell
    USING ((SELECT scope_all()) OR region_code = ANY ((SELECT scope_regions())::text[]) OR lpo_codes && (SELECT scope_lpos()));
ALTER POLICY h3_agg_scope ON h3_agg
    USING ((SELECT scope_all()) OR cell IN (SELECT c.cell FROM h3_cell c WHERE c.region_code = ANY ((SELECT scope_regions())::text[]))
        OR ((SELECT scope_lpos()) IS NOT NULL AND cell IN (SELECT c.cell FROM h3_cell c WHERE c.lpo_codes && (SELECT scope_lpos()))));
ALTER POLICY h3_total_scope ON h3_total
    USING ((SELECT scope_all()) OR cell IN (SELECT c.cell FROM h3_cell c WHERE c.region_code = ANY ((SELECT scope_regions())::text[]))
        OR ((SELECT scope_lpos()) IS NOT NULL AND cell IN (SELECT c.cell FROM h3_cell c WHERE c.lpo_codes && (SELECT scope_lpos()))));
ALTER POLICY h3_cell_total_scope ON h3_cell_total
    USING ((SELECT scope_all()) OR cell IN (SELECT c.cell FROM h3_cell c WHERE c.region_code = ANY ((SELECT scope_regions())::text[]))
        OR ((SELECT scope_lpos()) IS NOT NULL AND cell IN (SELECT c.cell FROM h3_cell c WHERE c.lpo_codes && (SELECT scope_lpos()))));

-- A stored cell reveals that an incident happened in it: as visible as the cell itself.
ALTER TABLE h3_cell_kommun ENABLE ROW LEVEL SECURITY;
CREATE POLICY h3_cell_kommun_scope ON h3_cell_kommun FOR SELECT
    USING ((SELECT scope_all()) OR cell IN (SELECT c.cell FROM h3_cell c WHERE c.region_code = ANY ((SELECT scope_regions())::text[]))
        OR ((SELECT scope_lpos()) IS NOT NULL AND cell IN (SELECT c.cell FROM h3_cell c WHERE c.lpo_codes && (SELECT scope_lpos()))));

ALTER TABLE hotspot_month ENABLE ROW LEVEL SECURITY;
CREATE POLICY hotspot_month_scope ON hotspot_month FOR SELECT
    USING ((SELECT scope_all()) OR cell IN (SELECT c.cell FROM h3_cell c WHERE c.region_code = ANY ((SELECT scope_regions())::text[]))
        OR ((SELECT scope_lpos()) IS NOT NULL AND cell IN (SELECT c.cell FROM h3_cell c WHERE c.lpo_codes && (SELECT scope_lpos()))));

GRANT SELECT ON area_agg, area_month_agg, admin_month_agg, h3_cell_kommun, hotspot_month TO lagesbild_reader;

ANALYZE area_agg, area_month_agg, admin_month_agg, h3_cell_kommun, hotspot_month;

-- +goose Down
ALTER POLICY h3_cell_scope ON h3_cell
    USING (scope_all() OR region_code = ANY (scope_regions()) OR lpo_codes && scope_lpos());
ALTER POLICY h3_agg_scope ON h3_agg USING (scope_all() OR cell IN (SELECT c.cell FROM h3_cell c));
ALTER POLICY h3_total_scope ON h3_total USING (scope_all() OR cell IN (SELECT c.cell FROM h3_cell c));
ALTER POLICY h3_cell_total_scope ON h3_cell_total USING (scope_all() OR cell IN (SELECT c.cell FROM h3_cell c));
DROP TABLE area_agg, area_month_agg, admin_month_agg, h3_cell_kommun, hotspot_month;
DROP FUNCTION refresh_cell_kommun(bigint[]);
DROP FUNCTION rebuild_area_agg();
DROP INDEX h3_agg_res8_day_idx, admin_agg_day_idx, h3_cell_region_scope_idx;
