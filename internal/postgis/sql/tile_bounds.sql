-- The tile envelope in Web Mercator, and a search box in EPSG:3006 so the GiST indexes of the
-- stored geometries apply. The envelope, grown by the buffer, is first clipped to the storage
-- domain (its xmin, ymin, xmax, ymax in EPSG:3857, filled in from Go): far from Sweden SWEREF 99
-- TM is undefined and ST_Transform fails. Nothing left means box IS NULL, which matches no row
-- (an empty tile). The box is densified before the transform, as the edges bend in EPSG:3006.
-- $1 z, $2 x, $3 y.
q AS (
    SELECT e.env,
           (ST_XMax(e.env) - ST_XMin(e.env)) / 4096 AS px,
           CASE WHEN c.xmin < c.xmax AND c.ymin < c.ymax THEN
               ST_Transform(ST_Segmentize(ST_MakeEnvelope(c.xmin, c.ymin, c.xmax, c.ymax, 3857),
                                          (ST_XMax(e.env) - ST_XMin(e.env)) / 8), 3006)
           END AS box
    FROM (SELECT ST_TileEnvelope($1, $2, $3) AS env) e
    CROSS JOIN LATERAL (
        SELECT greatest(ST_XMin(g.env), d.xmin) AS xmin, greatest(ST_YMin(g.env), d.ymin) AS ymin,
               least(ST_XMax(g.env), d.xmax) AS xmax, least(ST_YMax(g.env), d.ymax) AS ymax
        FROM (SELECT ST_Expand(e.env, (ST_XMax(e.env) - ST_XMin(e.env)) * 64 / 4096) AS env) g,
             (VALUES (/*DOMAIN*/)) d (xmin, ymin, xmax, ymax)
    ) c
)
