package metrics_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/metrics"
)

type tileStats struct{}

func (tileStats) CacheStats() (int64, int64, int, int64) { return 3, 1, 2, 2048 }

func TestRegistry(t *testing.T) {
	m := metrics.New("v-test")
	m.WatchTiles(tileStats{})
	m.WatchOGCItems(tileStats{})
	m.WatchAuditQueue(func() int { return 7 })
	m.WatchPools(func() []metrics.PoolStat {
		return []metrics.PoolStat{{Pool: "reader", Idle: 2, Acquired: 1, Max: 8, Acquires: 10},
			{Pool: "replica-1", Max: 8, ReplicaBehind: true, ReplicaStale: 4}}
	})
	m.AuditSpoolRows.Set(5)
	m.ObserveImport("incidents", 2*time.Second, metrics.ImportRows{Inserted: 40, Rejected: 2}, nil)
	m.ObserveImport("presence", time.Second, metrics.ImportRows{}, errors.New("bad file"))

	r := chi.NewRouter()
	r.Route("/api/v1", func(r chi.Router) {
		r.Get("/areas/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	})
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	h := m.Instrument(r)
	for _, p := range []string{"/api/v1/areas/1", "/api/v1/areas/2", "/healthz", "/no/such/path"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`lagesbild_http_requests_total{code="418",method="GET",route="/api/v1/areas/{id}"} 2`,
		`lagesbild_http_requests_total{code="200",method="GET",route="/healthz"} 1`,
		`lagesbild_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`lagesbild_http_request_duration_seconds_count{method="GET",route="/api/v1/areas/{id}"} 2`,
		`lagesbild_http_requests_in_flight 0`,
		`lagesbild_tile_cache_hits_total 3`, `lagesbild_tile_cache_misses_total 1`, `lagesbild_tile_cache_hit_ratio 0.75`,
		`lagesbild_tile_cache_entries 2`, `lagesbild_tile_cache_bytes 2048`,
		`lagesbild_ogc_items_cache_hits_total 3`, `lagesbild_ogc_items_cache_misses_total 1`, `lagesbild_ogc_items_cache_bytes 2048`,
		`lagesbild_audit_queue_rows 7`, `lagesbild_audit_spool_rows 5`,
		`lagesbild_db_pool_connections{pool="reader",state="acquired"} 1`, `lagesbild_db_pool_acquires_total{pool="reader"} 10`,
		`lagesbild_db_replica_up{pool="replica-1"} 0`, `lagesbild_db_replica_fallbacks_total{pool="replica-1",reason="behind"} 4`,
		`lagesbild_imports_total{kind="incidents",result="ok"} 1`, `lagesbild_imports_total{kind="presence",result="error"} 1`,
		`lagesbild_import_rows_total{kind="incidents",outcome="inserted"} 40`,
		`lagesbild_build_info{version="v-test"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, `pool="reader"`) && strings.Contains(body, `lagesbild_db_replica_up{pool="reader"}`) {
		t.Errorf("the primary's pool reported as a replica")
	}
}
