-- Aggregate deltas: -1 for each stored version of a changed record, +1 for each record as now
-- stored (resolved holds exactly that), summed per key. Then fold them into the aggregates and
-- drop rows that reached zero. Decrements go through UPDATE: INSERT … ON CONFLICT checks the
-- proposed row (n < 0) before it finds the conflict. The H3 deltas are per calendar month:
-- h3_agg keeps months (migration 00033), hotspot_month is per month, and h3_total and
-- h3_cell_total sum over all dates; the admin series keep months only (migration 00035).
CREATE TEMP TABLE d_h3 ON COMMIT DROP AS
SELECT v.res::smallint AS res, v.cell, c.month, c.category_group, c.agency, sum(c.n)::int AS n
FROM (SELECT h3_5, h3_6, h3_7, h3_8, h3_9, date_trunc('month', occurred_day::timestamp)::date AS month, category_group, agency, -1 AS n
      FROM old_rows WHERE precision = 'exact'
      UNION ALL
      SELECT h3_5, h3_6, h3_7, h3_8, h3_9, date_trunc('month', day::timestamp)::date, category_group, agency, 1
      FROM resolved WHERE precision = 'exact') c
CROSS JOIN LATERAL (VALUES (5, c.h3_5), (6, c.h3_6), (7, c.h3_7), (8, c.h3_8), (9, c.h3_9)) v(res, cell)
GROUP BY v.res, v.cell, c.month, c.category_group, c.agency
HAVING sum(c.n) <> 0;

ANALYZE d_h3;

CREATE TEMP TABLE d_admin ON COMMIT DROP AS
SELECT l.level, l.code, c.month, c.category_group, c.agency, c.precision, sum(c.n)::int AS n
FROM (SELECT kommun_code, lan_code, region_code, date_trunc('month', occurred_day::timestamp)::date AS month, category_group, agency, precision, -1 AS n
      FROM old_rows
      UNION ALL
      SELECT kommun_res, lan_res, region_res, date_trunc('month', day::timestamp)::date, category_group, agency, precision, 1
      FROM resolved) c
CROSS JOIN LATERAL (VALUES ('kommun', c.kommun_code), ('lan', c.lan_code), ('region', c.region_code)) l(level, code)
WHERE l.code IS NOT NULL
GROUP BY l.level, l.code, c.month, c.category_group, c.agency, c.precision
HAVING sum(c.n) <> 0;

UPDATE h3_agg a SET n = a.n + d.n FROM d_h3 d
WHERE d.n < 0 AND d.res <= 7 AND (a.res, a.cell, a.month, a.category_group, a.agency) = (d.res, d.cell, d.month, d.category_group, d.agency);

-- h3_agg and h3_total hold resolutions 5-7 (migrations 00019, 00024); the res-8 and res-9
-- deltas of d_h3 feed h3_cell_total and (res 8) hotspot_month only.
-- In key order: the primary key's B-tree is then filled page by page instead of at random.
-- New rows take their cell's scope columns (row-level security reads them). Cells new in this
-- batch (new_cell, from storeCells) have no rows yet: theirs are inserted without the conflict
-- check, a third faster.
INSERT INTO h3_agg (res, cell, month, category_group, agency, n, region_code, lpo_codes)
SELECT d.res, d.cell, d.month, d.category_group, d.agency, d.n, c.region_code, c.lpo_codes
FROM d_h3 d JOIN h3_cell c ON c.cell = d.cell
WHERE d.n > 0 AND d.res <= 7 AND EXISTS (SELECT 1 FROM new_cell nc WHERE nc.cell = d.cell)
ORDER BY d.res, d.cell, d.month, d.category_group, d.agency;

INSERT INTO h3_agg AS a (res, cell, month, category_group, agency, n, region_code, lpo_codes)
SELECT d.res, d.cell, d.month, d.category_group, d.agency, d.n, c.region_code, c.lpo_codes
FROM d_h3 d JOIN h3_cell c ON c.cell = d.cell
WHERE d.n > 0 AND d.res <= 7 AND NOT EXISTS (SELECT 1 FROM new_cell nc WHERE nc.cell = d.cell)
ORDER BY d.res, d.cell, d.month, d.category_group, d.agency
ON CONFLICT (res, cell, month, category_group, agency) DO UPDATE SET n = a.n + EXCLUDED.n;

DELETE FROM h3_agg a USING d_h3 d
WHERE d.n < 0 AND d.res <= 7 AND a.n = 0
  AND (a.res, a.cell, a.month, a.category_group, a.agency) = (d.res, d.cell, d.month, d.category_group, d.agency);

-- The res-8 deltas per calendar month, under the kommun(er) of each cell (h3_cell_kommun: the
-- batch's new cells were stored before this step), for the hot-spot grid of the summaries.
CREATE TEMP TABLE d_hotspot ON COMMIT DROP AS
SELECT k.kommun_code, d.month, d.cell, sum(d.n)::int AS n
FROM d_h3 d JOIN h3_cell_kommun k ON k.cell = d.cell
WHERE d.res = 8
GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;

UPDATE hotspot_month a SET n = a.n + d.n FROM d_hotspot d
WHERE d.n < 0 AND (a.kommun_code, a.month, a.cell) = (d.kommun_code, d.month, d.cell);

INSERT INTO hotspot_month (kommun_code, month, cell, n)
SELECT kommun_code, month, cell, n FROM d_hotspot d
WHERE n > 0 AND EXISTS (SELECT 1 FROM new_cell nc WHERE nc.cell = d.cell)
ORDER BY kommun_code, month, cell;

INSERT INTO hotspot_month AS a (kommun_code, month, cell, n)
SELECT kommun_code, month, cell, n FROM d_hotspot d
WHERE n > 0 AND NOT EXISTS (SELECT 1 FROM new_cell nc WHERE nc.cell = d.cell)
ORDER BY kommun_code, month, cell
ON CONFLICT (kommun_code, month, cell) DO UPDATE SET n = a.n + EXCLUDED.n;

DELETE FROM hotspot_month a USING d_hotspot d
WHERE d.n < 0 AND a.n = 0 AND (a.kommun_code, a.month, a.cell) = (d.kommun_code, d.month, d.cell);

CREATE TEMP TABLE d_h3_total ON COMMIT DROP AS
SELECT res, cell, category_group, agency, sum(n)::int AS n
FROM d_h3 GROUP BY res, cell, category_group, agency HAVING sum(n) <> 0;

UPDATE h3_total a SET n = a.n + d.n FROM d_h3_total d
WHERE d.n < 0 AND d.res <= 7 AND (a.res, a.cell, a.category_group, a.agency) = (d.res, d.cell, d.category_group, d.agency);

INSERT INTO h3_total (res, cell, category_group, agency, n, region_code, lpo_codes)
SELECT d.res, d.cell, d.category_group, d.agency, d.n, c.region_code, c.lpo_codes
FROM d_h3_total d JOIN h3_cell c ON c.cell = d.cell
WHERE d.n > 0 AND d.res <= 7 AND EXISTS (SELECT 1 FROM new_cell nc WHERE nc.cell = d.cell)
ORDER BY d.res, d.cell, d.category_group, d.agency;

INSERT INTO h3_total AS a (res, cell, category_group, agency, n, region_code, lpo_codes)
SELECT d.res, d.cell, d.category_group, d.agency, d.n, c.region_code, c.lpo_codes
FROM d_h3_total d JOIN h3_cell c ON c.cell = d.cell
WHERE d.n > 0 AND d.res <= 7 AND NOT EXISTS (SELECT 1 FROM new_cell nc WHERE nc.cell = d.cell)
ORDER BY d.res, d.cell, d.category_group, d.agency
ON CONFLICT (res, cell, category_group, agency) DO UPDATE SET n = a.n + EXCLUDED.n;

DELETE FROM h3_total a USING d_h3_total d
WHERE d.n < 0 AND d.res <= 7 AND a.n = 0
  AND (a.res, a.cell, a.category_group, a.agency) = (d.res, d.cell, d.category_group, d.agency);

-- The same deltas per cell, for the one-row-per-cell table of the default map view; one column
-- per category group (the GROUPS markers are filled from lagesbild.CategoryGroups in Go).
CREATE TEMP TABLE d_cell ON COMMIT DROP AS
SELECT res, cell, sum(n)::int AS total,
       /*GROUPS:coalesce(sum(n) FILTER (WHERE category_group = '%s'), 0)::int AS %s*/
FROM d_h3_total GROUP BY res, cell;

INSERT INTO h3_cell_total AS a (res, cell, total, /*GROUPS:%s*/, region_code, lpo_codes)
SELECT d.*, c.region_code, c.lpo_codes FROM d_cell d JOIN h3_cell c ON c.cell = d.cell ORDER BY d.res, d.cell
ON CONFLICT (res, cell) DO UPDATE SET total = a.total + EXCLUDED.total, /*GROUPS:%s = a.%s + EXCLUDED.%s*/;

DELETE FROM h3_cell_total a USING d_cell d
WHERE a.total = 0 AND (a.res, a.cell) = (d.res, d.cell);

UPDATE admin_month_agg a SET n = a.n + d.n FROM d_admin d
WHERE d.n < 0 AND (a.level, a.code, a.month, a.category_group, a.agency, a.precision) = (d.level, d.code, d.month, d.category_group, d.agency, d.precision);

INSERT INTO admin_month_agg AS a (level, code, month, category_group, agency, precision, n)
SELECT level, code, month, category_group, agency, precision, n FROM d_admin WHERE n > 0
ORDER BY level, code, month, category_group, agency, precision
ON CONFLICT (level, code, month, category_group, agency, precision) DO UPDATE SET n = a.n + EXCLUDED.n;

DELETE FROM admin_month_agg a USING d_admin d
WHERE d.n < 0 AND a.n = 0
  AND (a.level, a.code, a.month, a.category_group, a.agency, a.precision) = (d.level, d.code, d.month, d.category_group, d.agency, d.precision);

-- The areas of each new or changed exact record (every list year), from its cells' classes
-- (migration 00014): the areas that hold its resolution-7 cell, and where that cell touches an
-- area, those that hold its resolution-9 cell and those whose polygon contains the point. That
-- last test runs on the small parts touching the cell: a point in the interior of a part is in
-- the interior of its area; a point on a part's edge (a cut line, or the area's own boundary) is
-- decided by ST_Contains on the whole polygon.
CREATE TEMP TABLE new_area ON COMMIT DROP AS
SELECT DISTINCT x.area_id, r.incident_id, r.day, r.category_group, r.source, r.agency, r.region_res AS region_code
FROM resolved r
JOIN cell_class c7 ON c7.cell = r.place_cell
LEFT JOIN cell_class c9 ON c9.cell = r.h3_9 AND c7.area_border <> '{}'
CROSS JOIN LATERAL (
    SELECT unnest(c7.area_inside)
    UNION ALL
    SELECT unnest(c9.area_inside)
    UNION ALL
    SELECT q.area_id
    FROM (SELECT ap.area_id, ap.geom FROM area_part ap WHERE ap.id = ANY (c9.area_parts) OFFSET 0) q
    WHERE q.geom && r.geom AND ST_Intersects(q.geom, r.geom)
      AND (ST_Contains(q.geom, r.geom) OR ST_Contains((SELECT a.geom FROM area a WHERE a.id = q.area_id), r.geom))
) x(area_id)
WHERE r.precision = 'exact' AND (c7.area_inside <> '{}' OR c7.area_border <> '{}');

INSERT INTO incident_area (area_id, incident_id)
SELECT area_id, incident_id FROM new_area;

-- Per-area deltas: -1 for each area row of a changed record's stored version, +1 for each new
-- one, keyed with the incident's scope columns (its region, and the lokalpolisområden of all the
-- areas it lies in) that row-level security on area_agg reads.
CREATE TEMP TABLE d_area ON COMMIT DROP AS
WITH old_lpo AS (
    SELECT o.incident_id,
           coalesce(array_agg(DISTINCT a.lpo_code ORDER BY a.lpo_code) FILTER (WHERE a.lpo_code IS NOT NULL), '{}') AS lpo_codes
    FROM old_area o JOIN area a ON a.id = o.area_id
    GROUP BY o.incident_id
), new_lpo AS (
    SELECT w.incident_id,
           coalesce(array_agg(DISTINCT a.lpo_code ORDER BY a.lpo_code) FILTER (WHERE a.lpo_code IS NOT NULL), '{}') AS lpo_codes
    FROM new_area w JOIN area a ON a.id = w.area_id
    GROUP BY w.incident_id
)
SELECT area_id, day, category_group, source, agency, region_code, lpo_codes, sum(n)::int AS n
FROM (SELECT o.area_id, x.occurred_day AS day, x.category_group, x.source, x.agency, x.region_code, l.lpo_codes, -1 AS n
      FROM old_area o JOIN old_rows x ON x.id = o.incident_id JOIN old_lpo l ON l.incident_id = o.incident_id
      UNION ALL
      SELECT w.area_id, w.day, w.category_group, w.source, w.agency, w.region_code, l.lpo_codes, 1
      FROM new_area w JOIN new_lpo l ON l.incident_id = w.incident_id) c
GROUP BY 1, 2, 3, 4, 5, 6, 7
HAVING sum(n) <> 0;

UPDATE area_agg a SET n = a.n + d.n FROM d_area d
WHERE d.n < 0 AND (a.area_id, a.day, a.category_group, a.source, a.agency, a.region_code, a.lpo_codes)
                = (d.area_id, d.day, d.category_group, d.source, d.agency, d.region_code, d.lpo_codes);

INSERT INTO area_agg AS a (area_id, day, category_group, source, agency, region_code, lpo_codes, n)
SELECT area_id, day, category_group, source, agency, region_code, lpo_codes, n FROM d_area WHERE n > 0
ORDER BY area_id, day, category_group, source, agency, region_code, lpo_codes
ON CONFLICT (area_id, day, category_group, source, agency, region_code, lpo_codes) DO UPDATE SET n = a.n + EXCLUDED.n;

DELETE FROM area_agg a USING d_area d
WHERE d.n < 0 AND a.n = 0
  AND (a.area_id, a.day, a.category_group, a.source, a.agency, a.region_code, a.lpo_codes)
    = (d.area_id, d.day, d.category_group, d.source, d.agency, d.region_code, d.lpo_codes);

CREATE TEMP TABLE d_area_month ON COMMIT DROP AS
SELECT area_id, date_trunc('month', day::timestamp)::date AS month, category_group, source, agency, region_code, lpo_codes, sum(n)::int AS n
FROM d_area
GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0;

UPDATE area_month_agg a SET n = a.n + d.n FROM d_area_month d
WHERE d.n < 0 AND (a.area_id, a.month, a.category_group, a.source, a.agency, a.region_code, a.lpo_codes)
                = (d.area_id, d.month, d.category_group, d.source, d.agency, d.region_code, d.lpo_codes);

INSERT INTO area_month_agg AS a (area_id, month, category_group, source, agency, region_code, lpo_codes, n)
SELECT area_id, month, category_group, source, agency, region_code, lpo_codes, n FROM d_area_month WHERE n > 0
ORDER BY area_id, month, category_group, source, agency, region_code, lpo_codes
ON CONFLICT (area_id, month, category_group, source, agency, region_code, lpo_codes) DO UPDATE SET n = a.n + EXCLUDED.n;

DELETE FROM area_month_agg a USING d_area_month d
WHERE d.n < 0 AND a.n = 0
  AND (a.area_id, a.month, a.category_group, a.source, a.agency, a.region_code, a.lpo_codes)
    = (d.area_id, d.month, d.category_group, d.source, d.agency, d.region_code, d.lpo_codes);
