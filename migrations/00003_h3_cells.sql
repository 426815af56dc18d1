-- +goose Up
-- The polygon of every H3 cell (resolutions 5..9) that holds an exact incident, filled by the
-- import from Go (h3-go computes cell boundaries; PostGIS has no H3). Tiles and OGC features of
-- the h3 layer join aggregates to these polygons, so their cost grows with cells, not incidents.
CREATE TABLE h3_cell (
    cell bigint PRIMARY KEY,
    res  smallint NOT NULL CHECK (res BETWEEN 5 AND 9),
    geom geometry(Polygon, 3006) NOT NULL
);
CREATE INDEX h3_cell_geom_idx ON h3_cell USING gist (geom);
CREATE INDEX h3_cell_res_idx ON h3_cell (res);

-- +goose Down
DROP TABLE h3_cell;
