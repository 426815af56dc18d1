-- The WGS84 box of what the caller may see, for the tile pyramid and the bbox of an export
-- (lagesbild export, tiles seed): every police region for scope all, the regions of the scope,
-- and the areas (of every list) of its lokalpolisområden grown by $1 metres, so the H3 cells
-- touching them fall inside. Read with the caller's scope set (the scope_* functions), so
-- row-level security applies as well; NULLs when the scope holds nothing. synthetic: whether any
-- incident, office or operation the caller may see has the synthetic demo source $2.
WITH g AS (
    SELECT r.geom FROM police_region r WHERE scope_all() OR r.code = ANY (scope_regions())
    UNION ALL
    SELECT ST_Expand(a.geom, $1::float8) FROM area a WHERE a.lpo_code = ANY (scope_lpos())
), b AS (
    SELECT ST_Transform(ST_Segmentize(ST_SetSRID(ST_Extent(g.geom)::geometry, 3006), 1000), 4326) AS e FROM g
)
SELECT ST_XMin(b.e), ST_YMin(b.e), ST_XMax(b.e), ST_YMax(b.e),
       EXISTS (SELECT 1 FROM incident WHERE source = $2)
       OR EXISTS (SELECT 1 FROM office WHERE source = $2)
       OR EXISTS (SELECT 1 FROM operation WHERE source = $2)
FROM b
