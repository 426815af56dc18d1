-- Aggregate deltas: -1 for each stored version of a changed record, +1 for each record as now
-- stored (resolved holds exactly that), summed per key. Then fold them into the aggregates and
-- drop rows that reached zero. Decrements go through UPDATE: INSERT … ON CONFLICT checks the
-- proposed row (n < 0) before it finds the conflict.
CREATE TEMP TABLE d_h3 ON COMMIT DROP AS
SELECT v.res::smallint AS res, v.cell, c.day, c.category_group, c.agency, sum(c.n)::int AS n
FROM (SELECT h3_5, h3_6, h3_7, h3_8, h3_9, occurred_day AS day, category_group, agency, -1 AS n
      FROM old_rows WHERE precision = 'exact'
      UNION ALL
      SELECT h3_5, h3_6, h3_7, h3_8, h3_9, day, category_group, agency, 1
      FROM resolved WHERE precision = 'exact') c
CROSS JOIN LATERAL (VALUES (5, c.h3_5), (6, c.h3_6), (7, c.h3_7), (8, c.h3_8), (9, c.h3_9)) v(res, cell)
GROUP BY v.res, v.cell, c.day, c.category_group, c.agency
HAVING sum(c.n) <> 0;

CREATE TEMP TABLE d_admin ON COMMIT DROP AS
SELECT l.level, l.code, c.day, c.category_group, c.agency, c.precision, sum(c.n)::int AS n
FROM (SELECT kommun_code, lan_code, region_code, occurred_day AS day, category_group, agency, precision, -1 AS n
      FROM old_rows
      UNION ALL
      SELECT kommun_res, lan_res, region_res, day, category_group, agency, precision, 1
      FROM resolved) c
CROSS JOIN LATERAL (VALUES ('kommun', c.kommun_code), ('lan', c.lan_code), ('region', c.region_code)) l(level, code)
WHERE l.code IS NOT NULL
GROUP BY l.level, l.code, c.day, c.category_group, c.agency, c.precision
HAVING sum(c.n) <> 0;

UPDATE h3_agg a SET n = a.n + d.n FROM d_h3 d
WHERE d.n < 0 AND (a.res, a.cell, a.day, a.category_group, a.agency) = (d.res, d.cell, d.day, d.category_group, d.agency);

-- In key order: the primary key's B-tree is then filled page by page instead of at random.
INSERT INTO h3_agg AS a (res, cell, day, category_group, agency, n)
SELECT res, cell, day, category_group, agency, n FROM d_h3 WHERE n > 0
ORDER BY res, cell, day, category_group, agency
ON CONFLICT (res, cell, day, category_group, agency) DO UPDATE SET n = a.n + EXCLUDED.n;

DELETE FROM h3_agg a USING d_h3 d
WHERE d.n < 0 AND a.n = 0
  AND (a.res, a.cell, a.day, a.category_group, a.agency) = (d.res, d.cell, d.day, d.category_group, d.agency);

CREATE TEMP TABLE d_h3_total ON COMMIT DROP AS
SELECT res, cell, category_group, agency, sum(n)::int AS n
FROM d_h3 GROUP BY res, cell, category_group, agency HAVING sum(n) <> 0;

UPDATE h3_total a SET n = a.n + d.n FROM d_h3_total d
WHERE d.n < 0 AND (a.res, a.cell, a.category_group, a.agency) = (d.res, d.cell, d.category_group, d.agency);

INSERT INTO h3_total AS a (res, cell, category_group, agency, n)
SELECT res, cell, category_group, agency, n FROM d_h3_total WHERE n > 0
ORDER BY res, cell, category_group, agency
ON CONFLICT (res, cell, category_group, agency) DO UPDATE SET n = a.n + EXCLUDED.n;

DELETE FROM h3_total a USING d_h3_total d
WHERE d.n < 0 AND a.n = 0
  AND (a.res, a.cell, a.category_group, a.agency) = (d.res, d.cell, d.category_group, d.agency);

-- The same deltas per cell, for the one-row-per-cell table of the default map view.
CREATE TEMP TABLE d_cell ON COMMIT DROP AS
SELECT res, cell, sum(n)::int AS total,
       coalesce(sum(n) FILTER (WHERE category_group = 'skjutning'), 0)::int AS skjutning,
       coalesce(sum(n) FILTER (WHERE category_group = 'sprangning'), 0)::int AS sprangning,
       coalesce(sum(n) FILTER (WHERE category_group = 'grovt_vald'), 0)::int AS grovt_vald,
       coalesce(sum(n) FILTER (WHERE category_group = 'misshandel_hot'), 0)::int AS misshandel_hot,
       coalesce(sum(n) FILTER (WHERE category_group = 'ran'), 0)::int AS ran,
       coalesce(sum(n) FILTER (WHERE category_group = 'narkotika'), 0)::int AS narkotika,
       coalesce(sum(n) FILTER (WHERE category_group = 'overgrepp_rattssak'), 0)::int AS overgrepp_rattssak,
       coalesce(sum(n) FILTER (WHERE category_group = 'brand_skadegorelse'), 0)::int AS brand_skadegorelse,
       coalesce(sum(n) FILTER (WHERE category_group = 'stold_inbrott'), 0)::int AS stold_inbrott,
       coalesce(sum(n) FILTER (WHERE category_group = 'bedrageri_valfard'), 0)::int AS bedrageri_valfard,
       coalesce(sum(n) FILTER (WHERE category_group = 'ovrigt'), 0)::int AS ovrigt
FROM d_h3_total GROUP BY res, cell;

INSERT INTO h3_cell_total AS a (res, cell, total, skjutning, sprangning, grovt_vald, misshandel_hot, ran, narkotika, overgrepp_rattssak, brand_skadegorelse, stold_inbrott, bedrageri_valfard, ovrigt)
SELECT * FROM d_cell ORDER BY res, cell
ON CONFLICT (res, cell) DO UPDATE SET total = a.total + EXCLUDED.total, skjutning = a.skjutning + EXCLUDED.skjutning, sprangning = a.sprangning + EXCLUDED.sprangning, grovt_vald = a.grovt_vald + EXCLUDED.grovt_vald, misshandel_hot = a.misshandel_hot + EXCLUDED.misshandel_hot, ran = a.ran + EXCLUDED.ran, narkotika = a.narkotika + EXCLUDED.narkotika, overgrepp_rattssak = a.overgrepp_rattssak + EXCLUDED.overgrepp_rattssak, brand_skadegorelse = a.brand_skadegorelse + EXCLUDED.brand_skadegorelse, stold_inbrott = a.stold_inbrott + EXCLUDED.stold_inbrott, bedrageri_valfard = a.bedrageri_valfard + EXCLUDED.bedrageri_valfard, ovrigt = a.ovrigt + EXCLUDED.ovrigt;

DELETE FROM h3_cell_total a USING d_cell d
WHERE a.total = 0 AND (a.res, a.cell) = (d.res, d.cell);

UPDATE admin_agg a SET n = a.n + d.n FROM d_admin d
WHERE d.n < 0 AND (a.level, a.code, a.day, a.category_group, a.agency, a.precision) = (d.level, d.code, d.day, d.category_group, d.agency, d.precision);

INSERT INTO admin_agg AS a (level, code, day, category_group, agency, precision, n)
SELECT level, code, day, category_group, agency, precision, n FROM d_admin WHERE n > 0
ORDER BY level, code, day, category_group, agency, precision
ON CONFLICT (level, code, day, category_group, agency, precision) DO UPDATE SET n = a.n + EXCLUDED.n;

DELETE FROM admin_agg a USING d_admin d
WHERE d.n < 0 AND a.n = 0
  AND (a.level, a.code, a.day, a.category_group, a.agency, a.precision) = (d.level, d.code, d.day, d.category_group, d.agency, d.precision);

DELETE FROM incident_area ia USING resolved r WHERE ia.incident_id = r.existing_id;

-- Area assignment by ST_Contains on the whole polygon, for candidates found through the small
-- parts (a point on a cut line meets two parts of one area, hence DISTINCT); only the points
-- inside an area need their incident id.
CREATE TEMP TABLE area_candidate ON COMMIT DROP AS
SELECT DISTINCT r.line, ap.area_id
FROM resolved r JOIN area_part ap ON ST_Intersects(ap.geom, r.geom)
WHERE r.precision = 'exact';

INSERT INTO incident_area (area_id, incident_id)
SELECT c.area_id, i.id
FROM area_candidate c
JOIN resolved r ON r.line = c.line
JOIN area a ON a.id = c.area_id AND ST_Contains(a.geom, r.geom)
JOIN incident i ON i.source = r.source AND i.source_id = r.source_id;
