package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/analysis"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// sweepMaxZoom is the last zoom the world sweep walks: every tile of z0..z5 (1365 per path), the
// zooms of a map zoomed out to the world and of a tile seeder's first pass.
const sweepMaxZoom = 5

// sweep calls get for every tile of z0..sweepMaxZoom from workers goroutines and returns the
// outcomes counted by status, with the first failures (anything but 200 and 204) described.
func sweep(workers int, get func(z, x, y int) (int, string)) (map[int]int, []string) {
	type tile struct{ z, x, y int }
	jobs := make(chan tile)
	var mu sync.Mutex
	counts := map[int]int{}
	var failures []string
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				code, detail := get(j.z, j.x, j.y)
				mu.Lock()
				counts[code]++
				if code != http.StatusOK && code != http.StatusNoContent && len(failures) < 10 {
					failures = append(failures, fmt.Sprintf("%d/%d/%d: %d %s", j.z, j.x, j.y, code, detail))
				}
				mu.Unlock()
			}
		}()
	}
	for z := 0; z <= sweepMaxZoom; z++ {
		for x := range 1 << z {
			for y := range 1 << z {
				jobs <- tile{z, x, y}
			}
		}
	}
	close(jobs)
	wg.Wait()
	return counts, failures
}

// TestTilesWorldSweep requests every tile of z0–z5 of every layer, of all layers together, of
// two layers together over HTTP and under the OGC tile path, and accepts only 200 (a tile) and
// 204 (empty). Tiles far from Sweden once answered 500: the envelope was transformed to
// EPSG:3006 outside its domain (issue 17).
func TestTilesWorldSweep(t *testing.T) {
	db, _ := pgtest.New(t)
	loadDemo(t, db, demo.Options{Seed: 7, Scale: 0.02}, false)
	db.UseEmerging(analysis.New(db, analysis.Options{})) // as serve wires it: the emerging layer too
	api := &httpapi.Server{Areas: db, Ready: db, Features: db, Logger: pgtest.Logger(t), Tiles: tiles.NewService(db, db, 16<<20)}
	srv := httptest.NewServer(asNational(t, db, api))
	t.Cleanup(srv.Close)

	// Each layer, and all of them together with a date filter, through the tile service
	// in-process (what the tile handlers call; any error there is a 5xx) ...
	ctx := pgtest.National(context.Background())
	var names []string
	for _, l := range tiles.Layers {
		names = append(names, l.Name)
	}
	inProcess := append([]string{strings.Join(names, ",") + "?from=2025-01-01"}, names...)
	for _, p := range inProcess {
		start := time.Now()
		layers, query, _ := strings.Cut(p, "?")
		q, _ := url.ParseQuery(query)
		// Rendering is CPU work: as many workers as the machine has cores, about.
		counts, failures := sweep(2, func(z, x, y int) (int, string) {
			req, err := tiles.ParseRequest(layers, fmt.Sprint(z), fmt.Sprint(x), fmt.Sprint(y), q)
			if err != nil {
				return 400, err.Error()
			}
			tile, err := api.Tiles.Get(ctx, req, "national")
			switch {
			case err != nil:
				return 500, err.Error()
			case tile.Empty:
				return http.StatusNoContent, ""
			}
			return http.StatusOK, ""
		})
		t.Logf("%s in-process: %v in %v", p, counts, time.Since(start).Round(time.Millisecond))
		for _, f := range failures {
			t.Errorf("%s %s", p, f)
		}
		if counts[http.StatusOK] == 0 && p != "handelser" { // handelser starts at z14
			t.Errorf("%s: no tile of z0–z5 had data: the sweep did not reach Sweden", p)
		}
	}

	// ... and over HTTP, through authentication, audit and the error mapping, two layers
	// together (the example) and the OGC tile path (tileRow is y, tileCol x).
	// Most of a request's time is the wait for its audit row's commit, which the auditor batches:
	// more requests in flight share the commits.
	const httpWorkers = 16
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: httpWorkers}}
	for _, p := range []string{"/tiles/omraden,h3/%[1]d/%[2]d/%[3]d.mvt", "/ogc/collections/omraden-2025/tiles/WebMercatorQuad/%[1]d/%[3]d/%[2]d"} {
		start := time.Now()
		counts, failures := sweep(httpWorkers, func(z, x, y int) (int, string) {
			resp, err := client.Get(srv.URL + fmt.Sprintf(p, z, x, y))
			if err != nil {
				return 0, err.Error()
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
			return resp.StatusCode, string(body)
		})
		t.Logf("%s over HTTP: %v in %v", p, counts, time.Since(start).Round(time.Millisecond))
		for _, f := range failures {
			t.Errorf("%s %s", p, f)
		}
		if counts[http.StatusOK] == 0 {
			t.Errorf("%s: no tile of z0–z5 had data: the sweep did not reach Sweden", p)
		}
	}
}
