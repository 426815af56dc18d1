-- Exact incidents per H3 cell of resolution 7 as OGC API features: one page ordered by cell, and
-- how many cells match. Counts are raw here: the store applies the small-count rule before they
-- leave it. Cells with a total of zero are not features. Cell polygons come from h3_cell (filled
-- by the import); a cell without one has a null geometry and never matches a bbox.
-- $1–$4: bbox in WGS84, all NULL for none (see features_areas.sql); $5: limit; $6: offset;
-- $7: one cell, or NULL; $8, $9: first and last instant of the period, or NULL for an open end
-- (compared as Europe/Stockholm days); $10: the source of synthetic demo records.
-- synthetic says whether any counted incident is synthetic. Those incidents are found through
-- the index on h3_9: the resolution 9 descendants of a resolution 7 cell are one contiguous range
-- of index values (resolution field 9, digits 8 and 9 from 0 to 7, the finer digits 7 as in every
-- resolution 9 index; H3 index layout, h3Index.h), and h3_7 then confirms each candidate.
WITH env AS (
    SELECT ST_Transform(ST_Segmentize(ST_MakeEnvelope($1, $2, $3, $4, 4326), 0.1), 3006) AS g
), m AS (
    SELECT cell, sum(n)::int AS total, json_object_agg(category_group, n) AS groups
    FROM (
        SELECT a.cell, a.category_group, sum(a.n)::int AS n
        FROM h3_agg a
        WHERE a.res = 7
          AND ($7::bigint IS NULL OR a.cell = $7)
          AND ($8::timestamptz IS NULL OR a.day >= ($8::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
          AND ($9::timestamptz IS NULL OR a.day <= ($9::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
          AND ($1::float8 IS NULL OR a.cell IN (
                SELECT hc.cell FROM h3_cell hc
                WHERE hc.res = 7 AND ST_Intersects(hc.geom, (SELECT g FROM env))))
        GROUP BY a.cell, a.category_group
    ) g
    GROUP BY cell
    HAVING sum(n) > 0
), p AS (
    SELECT * FROM m ORDER BY cell LIMIT $5 OFFSET $6
), page AS (
    SELECT p.cell, p.total, p.groups,
           EXISTS (
               SELECT 1 FROM incident i
               WHERE i.h3_9 BETWEEN r.lo AND (r.lo | (63::bigint << 18))
                 AND i.h3_7 = p.cell
                 AND i.source = $10
                 AND ($8::timestamptz IS NULL OR i.occurred_day >= ($8::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
                 AND ($9::timestamptz IS NULL OR i.occurred_day <= ($9::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
           ) AS synthetic,
           ST_AsGeoJSON(ST_Transform(hc.geom, 4326), 6) AS geom
    FROM p
    CROSS JOIN LATERAL (SELECT (((p.cell & ~(15::bigint << 52)) | (9::bigint << 52)) & ~(63::bigint << 18)) AS lo) r
    LEFT JOIN h3_cell hc ON hc.cell = p.cell
)
SELECT n.matched, page.cell, page.total, page.groups::text, page.synthetic, page.geom
FROM (SELECT count(*)::int AS matched FROM m) n
LEFT JOIN page ON true
ORDER BY page.cell
