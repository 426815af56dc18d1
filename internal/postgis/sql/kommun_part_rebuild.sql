-- Rebuild the subdivided kommun and area polygons used for point-in-polygon.
DELETE FROM kommun_part;
INSERT INTO kommun_part (kommun_code, geom) SELECT code, ST_Subdivide(geom, 64) FROM kommun;
DELETE FROM area_part;
INSERT INTO area_part (area_id, geom) SELECT id, ST_Subdivide(geom, 16) FROM area;
