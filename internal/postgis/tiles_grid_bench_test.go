package postgis_test

import (
	"context"
	"testing"

	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// BenchmarkTileGrids renders the same part of Stockholm (omraden and kommuner) at about the same
// scale in both grids: Web Mercator zoom 10 (about 20 km tiles at 59° N) and SWEREF99TM matrix 6
// (16 km tiles), so the cost of drawing in EPSG:3006 can be compared with the Web Mercator path.
func BenchmarkTileGrids(b *testing.B) {
	db, _ := pgtest.New(b)
	ctx := pgtest.National(context.Background())
	g := tiles.Sweref99TM
	row, col := g.TileAt(6, 674032, 6580822)
	layers := []string{"omraden", "kommuner"}
	b.Run("WebMercatorQuad/10", func(b *testing.B) {
		for b.Loop() {
			for _, l := range layers {
				if _, err := db.Tile(ctx, l, 10, 563, 300, tiles.Filters{}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("SWEREF99TM/6", func(b *testing.B) {
		for b.Loop() {
			for _, l := range layers {
				if _, err := db.GridTile(ctx, g.ID, l, 6, col, row, tiles.Filters{}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
