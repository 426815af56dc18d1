package export

import (
	"errors"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/pmtiles"
)

func TestPyramid(t *testing.T) {
	jarva := lagesbild.BBox{MinLon: 17.83, MinLat: 59.35, MaxLon: 18.0, MaxLat: 59.44}
	tiles, err := Pyramid(jarva, 5, 7, 100)
	if err != nil || len(tiles) != 3 {
		t.Fatalf("Järva at zooms 5-7: %v, %v; want one tile per zoom", tiles, err)
	}
	// Zoom 5 tile of Stockholm (x 17, y 9: 18°E, 59.4°N).
	if tiles[0] != (TileXY{5, 17, 9}) {
		t.Errorf("first tile %v, want 5/17/9", tiles[0])
	}
	sweden := lagesbild.BBox{MinLon: 10.9, MinLat: 55.3, MaxLon: 24.2, MaxLat: 69.1}
	all, err := Pyramid(sweden, 5, 9, 100000)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if pmtiles.TileID(a.Z, a.X, a.Y) >= pmtiles.TileID(b.Z, b.X, b.Y) {
			t.Fatalf("tiles %v and %v out of tile id order", a, b)
		}
	}
	if _, err := Pyramid(sweden, 5, 12, 1000); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("a pyramid over the limit: %v, want an invalid zoom error", err)
	}
	if _, err := Pyramid(sweden, 8, 5, 1000); !errors.Is(err, lagesbild.ErrInvalid) {
		t.Errorf("zoom 8-5: %v", err)
	}
}
