-- +goose Up
-- Tiles ask for the cells of one resolution in a box; a GiST index on geom alone returns the cells
-- of all five resolutions in the box and filters afterwards (170 ms for a z5 tile over 1 M
-- incidents). A composite (res, geom) index, through btree_gist, finds only the wanted ones.
SET LOCAL statement_timeout = 0;
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE INDEX IF NOT EXISTS h3_cell_res_geom_idx ON h3_cell USING gist (res, geom);
DROP INDEX IF EXISTS h3_cell_geom_idx;
DROP INDEX IF EXISTS h3_cell_res_idx;

-- +goose Down
CREATE INDEX h3_cell_geom_idx ON h3_cell USING gist (geom);
CREATE INDEX h3_cell_res_idx ON h3_cell (res);
DROP INDEX h3_cell_res_geom_idx;
