-- +goose Up
-- The police's published lists of utsatta områden (polygons and class) are public: an agency
-- analyst (role myndighet) sees them on the map page beside its observations (issue 15). The
-- service leaves 00008's scope settings empty for that role, so the area table was closed to
-- it; this policy opens the areas of its observation geography (the obs_* settings of 00023)
-- and nothing else. incident_area's policy only asked whether the area was visible: it now
-- also refuses the role myndighet, so that seeing an area never reveals the incidents in it
-- (incident, area_agg and the other incident-derived tables need 00008's settings anyway).
CREATE POLICY area_public_geography ON area FOR SELECT
    USING (current_setting('lagesbild.role', true) = 'myndighet'
           AND (obs_all() OR region_code = ANY (obs_regions()) OR lpo_code = ANY (obs_lpos())));

ALTER POLICY incident_area_scope ON incident_area
    USING (scope_all() OR (current_setting('lagesbild.role', true) IS DISTINCT FROM 'myndighet'
                           AND EXISTS (SELECT 1 FROM area a WHERE a.id = incident_area.area_id)));

-- +goose Down
ALTER POLICY incident_area_scope ON incident_area
    USING (scope_all() OR EXISTS (SELECT 1 FROM area a WHERE a.id = incident_area.area_id));
DROP POLICY area_public_geography ON area;
