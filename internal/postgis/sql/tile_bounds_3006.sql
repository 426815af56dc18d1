-- The tile envelope of a tile of a grid in EPSG:3006 (tiles.Sweref99TM): ST_TileEnvelope with
-- bounds of 8 × 8 tiles of matrix 0 from the grid's top-left corner (its easting, northing and
-- matrix-0 tile width filled in from Go), so matrix z is zoom z + 3 of those bounds and every
-- row and column of the grid (at most 5.25·2^z) lies inside. The stored geometries are in
-- EPSG:3006 already: the search box is the envelope grown by the buffer, with no transform.
-- $1 tile matrix, $2 column, $3 row.
q AS (
    SELECT e.env,
           (ST_XMax(e.env) - ST_XMin(e.env)) / 4096 AS px,
           ST_Expand(e.env, (ST_XMax(e.env) - ST_XMin(e.env)) * 64 / 4096) AS box
    FROM (SELECT ST_TileEnvelope($1 + 3, $2, $3,
                 ST_MakeEnvelope(/*E0*/, /*N0*/ - 8 * /*T0*/, /*E0*/ + 8 * /*T0*/, /*N0*/, 3006)) AS env) e
)
