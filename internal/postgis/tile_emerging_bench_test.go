package postgis_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/lagesbild/lagesbild/internal/analysis"
	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// BenchmarkEmergingTile renders tiles of the emerging layer against the database
// LAGESBILD_BENCH_DB_NAME of the managed cluster (1 M incidents, see docs/benchmarks.md), for
// a national caller (every region) and a regional one (5300). "first" opens a new DB for
// every run, so the first tile computes the emerging hot spots of each region in scope;
// "next" renders other tiles once they are remembered. Skipped without the variable.
func BenchmarkEmergingTile(b *testing.B) {
	name := os.Getenv("LAGESBILD_BENCH_DB_NAME")
	if name == "" {
		b.Skip("set LAGESBILD_BENCH_DB_NAME to a database of the managed cluster loaded with 1 M incidents")
	}
	url, err := postgis.SetDatabaseURL(pgtest.ServerURL(b), name)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	open := func(b *testing.B) *postgis.DB {
		db, err := postgis.Open(ctx, url, postgis.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			b.Fatal(err)
		}
		db.UseEmerging(analysis.New(db, analysis.Options{})) // as serve wires it
		return db
	}
	for _, c := range []struct {
		name string
		id   auth.Identity
	}{
		{"national", auth.Identity{Subject: "bench", Role: auth.RoleNationell, Scope: auth.Scope{All: true}}},
		{"regional", auth.Identity{Subject: "bench", Role: auth.RoleRegional, Scope: auth.Scope{Regions: []string{"5300"}}}},
	} {
		cctx := auth.WithIdentity(ctx, c.id)
		b.Run(c.name+"/first", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				db := open(b)
				b.StartTimer()
				if _, err := db.Tile(cctx, "emerging", 10, 562, 300, tiles.Filters{}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
		})
		b.Run(c.name+"/next", func(b *testing.B) {
			db := open(b)
			defer db.Close()
			if _, err := db.Tile(cctx, "emerging", 10, 562, 300, tiles.Filters{}); err != nil {
				b.Fatal(err)
			}
			n := 0
			for b.Loop() {
				// Tiles of Stockholm at zoom 10, 8 and 5 in turn.
				xyz := [][3]int{{10, 561, 300}, {8, 140, 75}, {5, 17, 9}}[n%3]
				n++
				if _, err := db.Tile(cctx, "emerging", xyz[0], xyz[1], xyz[2], tiles.Filters{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
