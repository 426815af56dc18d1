package postgis_test

import (
	"context"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// TestTileSQLClipsToDomain renders every tile of z0–z3 of every layer (and the h3 layer's
// filtered paths) with the SQL alone, past the shortcut for tiles outside the storage domain:
// the envelope is clipped before it is moved into EPSG:3006, so no tile fails, a tile the
// shortcut skips is empty in SQL too, and the tiles over Sweden still draw. Regression for
// issue 17 ("transform: Point outside of projection domain").
func TestTileSQLClipsToDomain(t *testing.T) {
	db, _ := pgtest.New(t)
	ctx := pgtest.National(context.Background())
	day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		layer string
		f     tiles.Filters
	}{
		{"omraden", tiles.Filters{}}, {"kommuner", tiles.Filters{}}, {"lan", tiles.Filters{}},
		{"polisregioner", tiles.Filters{}}, {"h3", tiles.Filters{}}, {"h3", tiles.Filters{Groups: []string{"ran"}}},
		{"h3", tiles.Filters{From: day}}, {"narvaro", tiles.Filters{}},
	}
	drawn := map[string]int{}
	for _, c := range cases {
		for z := 0; z <= 3; z++ {
			for x := range 1 << z {
				for y := range 1 << z {
					mvt, err := db.RenderTile(ctx, c.layer, z, x, y, c.f)
					if err != nil {
						t.Fatalf("%s %d/%d/%d %s: %v", c.layer, z, x, y, c.f.Key(), err)
					}
					if len(mvt) > 0 {
						drawn[c.layer]++
						if !postgis.TileInDomain(z, x, y) {
							t.Errorf("%s %d/%d/%d has data but the shortcut would skip it", c.layer, z, x, y)
						}
					}
				}
			}
		}
	}
	// The reference data (boundaries, areas) is loaded; incidents and presence are not.
	for _, l := range []string{"omraden", "kommuner", "lan", "polisregioner"} {
		if drawn[l] == 0 {
			t.Errorf("%s: no tile of z0–z3 drew anything", l)
		}
	}
	// The handelser layer starts at z14: a tile there far away is empty, not an error.
	for _, xy := range [][2]int{{0, 0}, {16383, 16383}, {9006, 4812}} {
		if _, err := db.RenderTile(ctx, "handelser", 14, xy[0], xy[1], tiles.Filters{}); err != nil {
			t.Errorf("handelser 14/%d/%d: %v", xy[0], xy[1], err)
		}
	}
}

// TestTileInDomain checks the shortcut against tiles whose place is known.
func TestTileInDomain(t *testing.T) {
	for _, c := range []struct {
		z, x, y int
		want    bool
	}{
		{0, 0, 0, true},
		{1, 1, 0, true}, {1, 0, 0, false}, {1, 1, 1, false}, {1, 0, 1, false},
		{5, 17, 9, true},              // southern Sweden
		{4, 8, 4, true},               // Scandinavia
		{12, 2251, 1203, true},        // Stockholm
		{14, 9006, 4812, true},        // Stockholm
		{22, 0, 0, false},             // the far north-west corner
		{22, 1 << 21, 1 << 21, false}, // Null Island
		{5, 31, 9, false},             // Kamchatka's latitudes, far east
		{5, 17, 12, false},            // Africa
	} {
		if got := postgis.TileInDomain(c.z, c.x, c.y); got != c.want {
			t.Errorf("%d/%d/%d: %v, want %v", c.z, c.x, c.y, got, c.want)
		}
	}
}
