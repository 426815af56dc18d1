package httpapi_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// BenchmarkTileJourney walks the 500 tiles of testdata/tiles-stockholm-500.txt (z5–z14 around
// Stockholm, the list other tile servers were measured on) over a database with the demo data
// scaled to 1 M incidents, named by LAGESBILD_BENCH_DATABASE_URL (see docs/benchmarks.md): a cold
// pass (empty cache, one client), a warm pass (4 clients) and the raw PostGIS time of the same
// queries. Without that variable it is skipped: it needs a loaded database, not a test one.
func BenchmarkTileJourney(b *testing.B) {
	url := os.Getenv("LAGESBILD_BENCH_DATABASE_URL")
	if url == "" {
		b.Skip("set LAGESBILD_BENCH_DATABASE_URL to a database loaded with 1 M incidents")
	}
	ctx := context.Background()
	db, err := postgis.Open(ctx, url, postgis.Options{MaxConns: 8}, discardLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	journey := readJourney(b)
	for _, layers := range []string{"h3,handelser", "omraden"} {
		b.Run(strings.ReplaceAll(layers, ",", "+"), func(b *testing.B) {
			for b.Loop() {
				// The raw pass runs first, so PostgreSQL's buffers are as warm for the cold pass as
				// for a server that has been running: "cold" means an empty tile cache.
				raw := rawPass(b, db, layers, journey)
				api := &httpapi.Server{Areas: db, Ready: db, Logger: discardLogger(), Tiles: tiles.NewService(db, db, 256<<20)}
				srv := httptest.NewServer(benchCaller(b, db, api))
				cold := pass(b, srv.URL, layers, journey, 1)
				warm := pass(b, srv.URL, layers, journey, 4)
				srv.Close()
				b.ReportMetric(cold.rate, "cold-req/s")
				b.ReportMetric(warm.rate, "warm-req/s")
				b.ReportMetric(raw.rate, "raw-sql-tiles/s")
				b.ReportMetric(cold.p99All.Seconds()*1000, "cold-p99-ms")
				b.Logf("%s: cold %.1f req/s, warm (4 clients) %.0f req/s, raw SQL %.1f tiles/s; max gzip size %d B", layers, cold.rate, warm.rate, raw.rate, cold.maxBytes)
				var table strings.Builder
				fmt.Fprintf(&table, "%s per zoom (cold p50/p99 ms | raw p50/p99 ms):", layers)
				for z := 5; z <= 14; z++ {
					if c, ok := cold.perZoom[z]; ok {
						r := raw.perZoom[z]
						fmt.Fprintf(&table, "\n  z%-2d n=%3d  %7.1f / %7.1f | %7.1f / %7.1f", z, len(c), ms(pct(c, 50)), ms(pct(c, 99)), ms(pct(r, 50)), ms(pct(r, 99)))
					}
				}
				b.Log(table.String())
				// go test shows only the first lines of a benchmark's log; the whole table can go to
				// a file for docs/benchmarks.md.
				if out := os.Getenv("LAGESBILD_BENCH_REPORT"); out != "" {
					f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
					if err == nil {
						fmt.Fprintf(f, "%s: cold %.1f req/s, warm (4 clients) %.0f req/s, raw SQL %.1f tiles/s, max gzip tile %d B\n%s\n\n",
							layers, cold.rate, warm.rate, raw.rate, cold.maxBytes, table.String())
						f.Close()
					}
				}
			}
		})
	}
}

func ms(d time.Duration) float64 { return d.Seconds() * 1000 }

type passResult struct {
	rate     float64
	perZoom  map[int][]time.Duration
	p99All   time.Duration
	maxBytes int
}

func readJourney(b *testing.B) [][3]int {
	f, err := os.Open("testdata/tiles-stockholm-500.txt")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var out [][3]int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var z, x, y int
		if _, err := fmt.Sscanf(strings.TrimSpace(sc.Text()), "%d/%d/%d", &z, &x, &y); err == nil {
			out = append(out, [3]int{z, x, y})
		}
	}
	return out
}

func pass(b *testing.B, base, layers string, journey [][3]int, clients int) passResult {
	res := passResult{perZoom: map[int][]time.Duration{}}
	var mu sync.Mutex
	var all []time.Duration
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, DisableCompression: true}}
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := c; i < len(journey); i += clients {
				t := journey[i]
				req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/tiles/%s/%d/%d/%d.mvt", base, layers, t[0], t[1], t[2]), nil)
				req.Header.Set("Accept-Encoding", "gzip")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				if resp.StatusCode != 200 && resp.StatusCode != 204 {
					b.Errorf("%v: %d", t, resp.StatusCode)
					return
				}
				mu.Lock()
				res.perZoom[t[0]] = append(res.perZoom[t[0]], d)
				all = append(all, d)
				res.maxBytes = max(res.maxBytes, int(n))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.rate = float64(len(journey)) / time.Since(start).Seconds()
	res.p99All = pct(all, 99)
	return res
}

func rawPass(b *testing.B, db *postgis.DB, layers string, journey [][3]int) passResult {
	res := passResult{perZoom: map[int][]time.Duration{}}
	start := time.Now()
	for _, t := range journey {
		t0 := time.Now()
		for _, l := range strings.Split(layers, ",") {
			if _, err := db.Tile(pgtest.National(context.Background()), l, t[0], t[1], t[2], tiles.Filters{}); err != nil {
				b.Fatal(err)
			}
		}
		res.perZoom[t[0]] = append(res.perZoom[t[0]], time.Since(t0))
	}
	res.rate = float64(len(journey)) / time.Since(start).Seconds()
	return res
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, len(s)*p/100)]
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// benchCaller is the caller of the journey: a national analyst, or the role and scope of
// LAGESBILD_BENCH_CALLER ("regional:5300", "lokal:531350", "gis:5400").
func benchCaller(b *testing.B, db *postgis.DB, api *httpapi.Server) http.Handler {
	role, scope, _ := strings.Cut(os.Getenv("LAGESBILD_BENCH_CALLER"), ":")
	if role == "" {
		return asNational(b, db, api)
	}
	return withCaller(b, db, api, auth.Role(role), scope)
}
