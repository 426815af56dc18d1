package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// TestAuditPoolSeparate: audit rows have a pool of their own, and the expensive reads are
// bounded below the reader pool's size.
//
//   - With every reader connection held by reads stuck behind a lock, a cached tile is still
//     answered and its audit row committed (it waited for a reader connection when the audit rows
//     shared the reader pool, and failed closed after the audit writer's timeout).
//   - With the expensive reads' bound taken (a tile render stuck behind a lock), an OGC items
//     request is refused with 503 and Retry-After, while a cheap read still finds a connection.
//
// Reads are held by table locks and observed in pg_stat_activity; no timing is asserted (the
// client's timeout only keeps a regression from hanging the test).
func TestAuditPoolSeparate(t *testing.T) {
	base, url := pgtest.New(t)
	loadDemo(t, base, demo.Options{Seed: 3, Scale: 0.005}, false)
	ctx := context.Background()
	db, err := postgis.Open(ctx, url, postgis.Options{MaxConns: 2, Limits: postgis.Limits{QueueWait: 200 * time.Millisecond}}, pgtest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	api := &httpapi.Server{Areas: db, Ready: db, Features: db, Logger: pgtest.Logger(t), Tiles: tiles.NewService(db, db, 1<<20)}
	srv := httptest.NewServer(asNational(t, db, api))
	t.Cleanup(srv.Close)
	t.Cleanup(api.Auth.Close)
	client := &http.Client{Timeout: 60 * time.Second}
	status := func(path string) (int, string) {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Errorf("GET %s: %v", path, err)
			return 0, ""
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	watch := pgtest.Conn(t, url)
	waiting := func(n int) func() bool {
		return func() bool {
			var got int
			_ = watch.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&got)
			return got >= n
		}
	}
	auditRows := func(path string) int {
		var n int
		if err := watch.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE resource = $1`, path).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	lock := func(table string) pgx.Tx {
		tx, err := pgtest.Conn(t, url).Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `LOCK TABLE `+table+` IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		return tx
	}

	const tile = "/tiles/h3/5/17/9.mvt"
	if st, _ := status(tile); st != 200 {
		t.Fatalf("warm-up tile: %d", st)
	}

	t.Run("reader pool held by slow reads", func(t *testing.T) {
		tx := lock("area")
		held := make(chan int, 2)
		for range 2 { // the reader pool's size
			go func() { st, _ := status("/api/v1/areas?set=2025"); held <- st }()
		}
		waitFor(t, "both reader connections to wait on the lock", waiting(2))
		before := auditRows(tile)
		if st, _ := status(tile); st != 200 {
			t.Errorf("cached tile with the reader pool held: %d, want 200", st)
		}
		if got := auditRows(tile); got != before+1 {
			t.Errorf("audit rows of the cached tile: %d, want %d (committed before the answer)", got, before+1)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if st := <-held; st != 200 {
				t.Errorf("area list held by the lock: %d after it was released, want 200", st)
			}
		}
	})

	t.Run("expensive reads bounded below the pool", func(t *testing.T) {
		tx := lock("h3_cell")
		first := make(chan int, 1)
		go func() { st, _ := status("/tiles/h3/5/18/9.mvt"); first <- st }() // not cached: renders
		waitFor(t, "the tile render to wait on the lock", waiting(1))
		if st, ra := status("/ogc/collections/omraden-2025/items?limit=5"); st != http.StatusServiceUnavailable || ra == "" {
			t.Errorf("OGC items past the expensive bound: %d, Retry-After %q; want 503 with Retry-After", st, ra)
		}
		if st, _ := status("/api/v1/areas?set=2025"); st != 200 {
			t.Errorf("area list while the expensive bound is taken: %d, want 200 (a reader connection is left for it)", st)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if st := <-first; st != 200 && st != 204 {
			t.Errorf("tile render after the lock: %d", st)
		}
		if st, _ := status("/ogc/collections/omraden-2025/items?limit=5"); st != 200 {
			t.Errorf("OGC items once the render is through: %d, want 200", st)
		}
	})
}
