package postgis

import (
	"context"
	"fmt"
	"strings"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// Tiles in tiles.Sweref99TM: the layers' queries with the output in EPSG:3006, the CRS the
// geometries are stored in, and tile_bounds_3006.sql for the envelope.

// bounds3006SQL is the CTE q of a SWEREF 99 TM tile, with the grid's origin filled in.
var bounds3006SQL = "WITH " + strings.NewReplacer(
	"/*E0*/", fmt.Sprintf("%.1f::float8", tiles.Sweref99TM.OriginE),
	"/*N0*/", fmt.Sprintf("%.1f::float8", tiles.Sweref99TM.OriginN),
	"/*T0*/", fmt.Sprintf("%.1f::float8", tiles.Sweref99TM.Tile0),
).Replace(query("tile_bounds_3006")) + "\n"

// in3006 turns a layer query that draws in Web Mercator into one that draws in EPSG:3006: the
// stored geometry goes to ST_AsMVTGeom as it is (a transform to its own SRID is a no-op) and an
// H3 cell's stored polygon replaces its Web Mercator copy. TestTileSQLIn3006 checks that no
// 3857 is left in any layer's query.
func in3006(sql string) string {
	return strings.NewReplacer(", 3857)", ", 3006)", "c.geom_3857", "c.geom").Replace(sql)
}

// GridTile renders one layer of a tile of a grid of tiles.Grids (tiles.GridSource): z is the
// tile matrix, x the column, y the row from the north. The layers' zoom rules (H3 resolution,
// handelser from zoom 14) apply at the grid's WebMercatorQuad-equivalent zoom.
func (db *DB) GridTile(ctx context.Context, grid, layer string, z, x, y int, f tiles.Filters) ([]byte, error) {
	if grid != tiles.Sweref99TM.ID {
		return nil, fmt.Errorf("postgis: tile matrix set %q: %w", grid, lagesbild.ErrNotFound)
	}
	l, ok := tileLayers[layer]
	if !ok {
		return nil, fmt.Errorf("postgis: tile layer %q: %w", layer, lagesbild.ErrNotFound)
	}
	g := tiles.Sweref99TM
	if n := g.MatrixSize(z); z < 0 || z > g.MaxMatrix || x < 0 || y < 0 || x >= n || y >= n {
		return nil, fmt.Errorf("postgis: tile %s %d/%d/%d: %w", grid, z, y, x, lagesbild.ErrInvalid)
	}
	sql, extra, err := l.build(ctx, db, l, g.WebZoom(z), f)
	if err != nil {
		return nil, fmt.Errorf("postgis: tile %s %s %d/%d/%d: %w", layer, grid, z, y, x, err)
	}
	if sql == "" {
		return nil, nil
	}
	return db.runTile(ctx, l, bounds3006SQL+in3006(sql), append([]any{z, x, y}, extra...), z, x, y)
}
