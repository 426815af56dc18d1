package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// TestTileRenderLimit: with room for one tile render at a time, a second render that cannot
// start within the queue wait is refused with 503 and Retry-After instead of queueing, and
// both tiles render once the first is through. The first render is held by a lock on its table.
// A render held longer than the tile class's statement timeout fails with 503.
func TestTileRenderLimit(t *testing.T) {
	_, url := pgtest.New(t)
	ctx := context.Background()
	db, err := postgis.Open(ctx, url, postgis.Options{MaxConns: 4,
		Limits: postgis.Limits{TileConcurrency: 1, QueueWait: 100 * time.Millisecond}}, pgtest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	api := &httpapi.Server{Areas: db, Ready: db, Features: db, Logger: pgtest.Logger(t), Tiles: tiles.NewService(db, db, 1<<20)}
	srv := httptest.NewServer(asNational(t, db, api))
	t.Cleanup(srv.Close)
	t.Cleanup(api.Auth.Close)

	lock, watch := pgtest.Conn(t, url), pgtest.Conn(t, url) // watch: outside the lock's transaction, whose statistics snapshot stays fixed
	tx, err := lock.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // released below
	if _, err := tx.Exec(ctx, `LOCK TABLE h3_cell IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	first := make(chan int, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/tiles/h3/5/17/9.mvt")
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	waitFor(t, "the first render to wait on the lock", func() bool {
		var n int
		_ = watch.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		return n > 0
	})
	resp, err := http.Get(srv.URL + "/tiles/h3/5/18/9.mvt")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("second render beyond the limit: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// The tile class's statement timeout ends a render stuck behind the lock: 503, not a hang.
	quick, err := postgis.Open(ctx, url, postgis.Options{MaxConns: 2, Limits: postgis.Limits{TileTimeout: 200 * time.Millisecond}}, pgtest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(quick.Close)
	qapi := &httpapi.Server{Areas: quick, Ready: quick, Features: quick, Logger: pgtest.Logger(t), Tiles: tiles.NewService(quick, quick, 1<<20)}
	qsrv := httptest.NewServer(asNational(t, quick, qapi))
	t.Cleanup(qsrv.Close)
	t.Cleanup(qapi.Auth.Close)
	// A tile over Sweden (its own cache): 5/19/9 lies east of SWEREF 99 TM's domain and is
	// answered empty without a query since the tiles far from Sweden were fixed.
	resp, err = http.Get(qsrv.URL + "/tiles/h3/5/17/9.mvt")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("render past the tile statement timeout: %d, want 503", resp.StatusCode)
	}

	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := <-first; got != 200 && got != 204 {
		t.Errorf("first render: %d, want 200 or 204", got)
	}
	resp, err = http.Get(srv.URL + "/tiles/h3/5/18/9.mvt")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 204 {
		t.Errorf("second render after the first: %d", resp.StatusCode)
	}
}

// TestHeaderLimit: request headers beyond the server's 64 KiB cap get 431 and nothing else
// (no handler runs, so nothing needs the database); headers under it pass.
func TestHeaderLimit(t *testing.T) {
	api := &httpapi.Server{Logger: discardLogger()}
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = api.HTTPServer()
	srv.Start()
	t.Cleanup(srv.Close)
	get := func(headerBytes int) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
		req.Header.Set("X-Padding", strings.Repeat("a", headerBytes))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(32 << 10); code != http.StatusOK {
		t.Errorf("32 KiB of headers: %d, want 200", code)
	}
	if code := get(128 << 10); code != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("128 KiB of headers: %d, want 431", code)
	}
}
