package postgis

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/tiles"
)

// TestTileSQLIn3006 checks that every layer's query, as GridTile runs it for SWEREF 99 TM, has
// no Web Mercator left in it (a geometry drawn in 3857 into a 3006 envelope would be far off).
func TestTileSQLIn3006(t *testing.T) {
	if strings.Contains(bounds3006SQL, "/*E0*/") || strings.Contains(bounds3006SQL, "/*N0*/") || strings.Contains(bounds3006SQL, "/*T0*/") {
		t.Fatalf("origin not filled in: %s", bounds3006SQL)
	}
	for name, l := range tileLayers {
		for _, f := range []tiles.Filters{{Set: 2025}, {Set: 2025, Groups: []string{"x"}}, {Set: 2025, From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}} {
			for _, z := range []int{0, 6, 12} {
				sql, _, err := l.build(context.Background(), &DB{}, l, tiles.Sweref99TM.WebZoom(z), f)
				if err != nil {
					t.Fatal(err)
				}
				if sql == "" {
					continue // handelser below its zoom: no query
				}
				if got := in3006(sql); strings.Contains(got, "3857") {
					t.Errorf("%s at matrix %d, filters %+v: 3857 left in\n%s", name, z, f, got)
				}
			}
		}
	}
}
