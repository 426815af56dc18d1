package postgis_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// TestH3DayTileTimes renders the date-filtered h3 tiles of docs/benchmarks.md (issue 14,
// sessions 8 and 9) against the database LAGESBILD_BENCH_DB_NAME of the managed cluster and
// logs the median, p99 and maximum per zoom: 3 tiles across each of Stockholm, Göteborg, Malmö
// and Uppsala × three periods (one with both ends mid-month, one inside a month, one of whole
// months), each tile once per round, LAGESBILD_BENCH_ROUNDS rounds (default 3). It asserts
// nothing about time; skipped without the variable.
func TestH3DayTileTimes(t *testing.T) {
	name := os.Getenv("LAGESBILD_BENCH_DB_NAME")
	if name == "" {
		t.Skip("set LAGESBILD_BENCH_DB_NAME to a database of the managed cluster loaded with 1 M incidents")
	}
	rounds := 3
	if v := os.Getenv("LAGESBILD_BENCH_ROUNDS"); v != "" {
		fmt.Sscan(v, &rounds)
	}
	url, err := postgis.SetDatabaseURL(pgtest.ServerURL(t), name)
	if err != nil {
		t.Fatal(err)
	}
	ctx := auth.WithIdentity(context.Background(),
		auth.Identity{Subject: "bench", Role: auth.RoleNationell, Scope: auth.Scope{All: true}})
	db, err := postgis.Open(ctx, url, postgis.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	periods := []tiles.Filters{
		{From: day("2025-03-17"), To: day("2026-02-11")},
		{From: day("2026-09-05"), To: day("2026-09-30")},
		{From: day("2025-01-01"), To: day("2025-12-31")},
	}
	cities := [][2]float64{{18.07, 59.33}, {11.97, 57.71}, {13.00, 55.60}, {17.64, 59.86}}
	var out strings.Builder
	for _, z := range []int{5, 6, 7, 8, 9} {
		var ms []float64
		for range rounds {
			for _, c := range cities {
				x, y := lonLatTile(c[0], c[1], z)
				for dx := -1; dx <= 1; dx++ {
					for _, f := range periods {
						t0 := time.Now()
						if _, err := db.Tile(ctx, "h3", z, x+dx, y, f); err != nil {
							t.Fatal(err)
						}
						ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
					}
				}
			}
		}
		slices.Sort(ms)
		q := func(p float64) float64 { return ms[int(math.Ceil(p*float64(len(ms))))-1] }
		fmt.Fprintf(&out, "z%d: n=%d p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", z, len(ms), q(0.5), q(0.99), ms[len(ms)-1])
	}
	t.Log("\n" + out.String())
}

// lonLatTile is the Web Mercator tile at zoom z holding the point.
func lonLatTile(lon, lat float64, z int) (int, int) {
	n := math.Exp2(float64(z))
	x := int((lon + 180) / 360 * n)
	r := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
	return x, y
}
