package summary_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// BenchmarkList computes the summaries of every area of the 2025 list over 12 months, as
// GET /api/v1/summaries does, against the database named by LAGESBILD_BENCH_DATABASE_URL or LAGESBILD_BENCH_DB_NAME
// (1 M incidents, see docs/benchmarks.md), for a national caller, a regional one (5300, Stockholm)
// and a lokal one (531270, Södertälje), whose reads row-level security filters. "cold" builds a
// new Service for every iteration, so nothing is served from its cache; "cached" repeats the
// request on one Service. Without the variable it is skipped: it needs a loaded database, not a
// test one.
func BenchmarkList(b *testing.B) {
	url := benchURL(b)
	ctx := context.Background()
	// The pool as serve opens it (default size), so concurrency is what production gets.
	db, err := postgis.Open(ctx, url, postgis.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	from, to := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	q := summary.Query{From: &from, To: &to}
	callers := []struct {
		name string
		id   auth.Identity
	}{
		{"national", auth.Identity{Subject: "bench", Role: auth.RoleNationell, Scope: auth.Scope{All: true}}},
		{"regional", auth.Identity{Subject: "bench", Role: auth.RoleRegional, Scope: auth.Scope{Regions: []string{"5300"}}}},
		{"lokal", auth.Identity{Subject: "bench", Role: auth.RoleLokal, Scope: auth.Scope{LPOs: []string{"531270"}}}},
	}
	for _, c := range callers {
		cctx := auth.WithIdentity(ctx, c.id)
		b.Run(c.name+"/cold", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := summary.New(db, summary.Options{}).List(cctx, 2025, q); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/cached", func(b *testing.B) {
			b.ReportAllocs()
			svc := summary.New(db, summary.Options{})
			if _, err := svc.List(cctx, 2025, q); err != nil { // fills the cache; b.Loop starts the clock
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := svc.List(cctx, 2025, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkArea computes the summary of one area over 12 months, as GET
// /api/v1/areas/{id}/summary does, for a national caller against the same database as
// BenchmarkList: Rinkeby (Stockholm, the kommun with the most res-8 rows) and Skäggetorp
// (Linköping). "cold" builds a new Service for every iteration, so the area's part of the list
// is computed (its own rows, the kommun's hot-spot grid, the whole list's counts for the
// smoothing reference); "cached" has that part cached and measures the area's own reads
// (history) and the per-group hot spots remembered with it.
func BenchmarkArea(b *testing.B) {
	url := benchURL(b)
	ctx := context.Background()
	db, err := postgis.Open(ctx, url, postgis.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	from, to := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	q := summary.Query{From: &from, To: &to}
	cctx := auth.WithIdentity(ctx, auth.Identity{Subject: "bench", Role: auth.RoleNationell, Scope: auth.Scope{All: true}})
	for _, id := range []string{"2025-SO74", "2025-SO5"} {
		b.Run(id+"/cold", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := summary.New(db, summary.Options{}).Area(cctx, id, q); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(id+"/cached", func(b *testing.B) {
			b.ReportAllocs()
			svc := summary.New(db, summary.Options{})
			if _, err := svc.Area(cctx, id, q); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := svc.Area(cctx, id, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchURL is the database of the benchmarks: LAGESBILD_BENCH_DATABASE_URL, or the database
// LAGESBILD_BENCH_DB_NAME of the project-managed cluster (lagesbild demo --scale 2.5 into it);
// without either the benchmark is skipped.
func benchURL(b *testing.B) string {
	url := os.Getenv("LAGESBILD_BENCH_DATABASE_URL")
	if name := os.Getenv("LAGESBILD_BENCH_DB_NAME"); url == "" && name != "" {
		var err error
		if url, err = postgis.SetDatabaseURL(pgtest.ServerURL(b), name); err != nil {
			b.Fatal(err)
		}
	}
	if url == "" {
		b.Skip("set LAGESBILD_BENCH_DATABASE_URL (or LAGESBILD_BENCH_DB_NAME) to a database loaded with 1 M incidents")
	}
	return url
}
