-- The tile envelope in Web Mercator, and a search box in EPSG:3006 (densified before the
-- transform, grown by the buffer) so the GiST indexes of the stored geometries apply.
-- $1 z, $2 x, $3 y.
q AS (
    SELECT e.env,
           (ST_XMax(e.env) - ST_XMin(e.env)) / 4096 AS px,
           ST_Transform(ST_Segmentize(ST_Expand(e.env, (ST_XMax(e.env) - ST_XMin(e.env)) * 64 / 4096),
                                      (ST_XMax(e.env) - ST_XMin(e.env)) / 8), 3006) AS box
    FROM (SELECT ST_TileEnvelope($1, $2, $3) AS env) e
)
