-- Rebuild the subdivided kommun, police region and area polygons used for point-in-polygon, and
-- forget the cell classification made against the old polygons (imports classify cells again).
DELETE FROM cell_class;
DELETE FROM kommun_part;
INSERT INTO kommun_part (kommun_code, geom) SELECT code, ST_Subdivide(geom, 64) FROM kommun;
DELETE FROM area_part;
INSERT INTO area_part (area_id, geom) SELECT id, ST_Subdivide(geom, 16) FROM area;
DELETE FROM police_region_part;
INSERT INTO police_region_part (region_code, geom) SELECT code, ST_Subdivide(geom, 64) FROM police_region;
