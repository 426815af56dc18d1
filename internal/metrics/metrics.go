// Package metrics is the service's Prometheus instrumentation: HTTP requests by route pattern and
// status, latency histograms, the tile cache, the database pools, the audit writer and imports.
// Everything is registered on a Registry of its own (not the global one), served on the admin
// address only, never on the public one.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Gauge is a value a component reports by setting it; a Prometheus gauge satisfies it, so a
// component can take a Gauge without importing Prometheus.
type Gauge interface {
	Set(float64)
}

// Registry holds the service's metrics.
type Registry struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge

	imports     *prometheus.CounterVec
	importRows  *prometheus.CounterVec
	importTimes *prometheus.HistogramVec

	// AuditSpoolRows and AuditSpoolBytes are set by the audit writer's local spool (rows and
	// bytes written while the database could not take them, not yet replayed).
	AuditSpoolRows  Gauge
	AuditSpoolBytes Gauge
}

// New makes a registry with the Go runtime and process collectors and the build information.
func New(version string) *Registry {
	m := &Registry{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lagesbild_http_requests_total",
		Help: "HTTP requests by route pattern, method and status code.",
	}, []string{"route", "method", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "lagesbild_http_request_duration_seconds",
		Help:    "Time to the end of the response, by route pattern and method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method"})
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "lagesbild_http_requests_in_flight",
		Help: "HTTP requests being served.",
	})
	m.imports = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lagesbild_imports_total",
		Help: "Imports through the API by kind (incidents, presence, population) and result (ok, error).",
	}, []string{"kind", "result"})
	m.importRows = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lagesbild_import_rows_total",
		Help: "Rows of imports through the API by kind and outcome (inserted, updated, unchanged, rejected).",
	}, []string{"kind", "outcome"})
	m.importTimes = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "lagesbild_import_duration_seconds",
		Help:    "Duration of imports through the API by kind.",
		Buckets: []float64{.1, .5, 1, 5, 10, 30, 60, 300, 900},
	}, []string{"kind"})
	spoolRows := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "lagesbild_audit_spool_rows",
		Help: "Audit rows in the local spool, waiting to be replayed into audit_log.",
	})
	spoolBytes := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "lagesbild_audit_spool_bytes",
		Help: "Size of the local audit spool.",
	})
	m.AuditSpoolRows, m.AuditSpoolBytes = spoolRows, spoolBytes
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "lagesbild_build_info",
		Help:        "Always 1; the labels say which build runs.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	build.Set(1)
	m.reg.MustRegister(m.requests, m.duration, m.inFlight, m.imports, m.importRows, m.importTimes,
		spoolRows, spoolBytes, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Register adds collectors of other components (see Func, PoolCollector).
func (m *Registry) Register(cs ...prometheus.Collector) {
	m.reg.MustRegister(cs...)
}

// Instrument counts and times every request of next by its chi route pattern (such as
// /api/v1/areas/{id}), so the labels stay few whatever the paths; requests no route matched
// are labelled "unmatched". next must be a chi router: Instrument hands it the routing context
// and reads the matched pattern from it afterwards.
func (m *Registry) Instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inFlight.Inc()
		defer m.inFlight.Dec()
		rctx := chi.NewRouteContext()
		r = r.WithContext(context.WithValue(r.Context(), chi.RouteCtxKey, rctx))
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		route := rctx.RoutePattern()
		if route == "" {
			route = "unmatched"
		}
		code := ww.Status()
		if code == 0 {
			code = http.StatusOK
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(code)).Inc()
		m.duration.WithLabelValues(route, r.Method).Observe(time.Since(start).Seconds())
	})
}

// ImportRows is what an import reports.
type ImportRows struct {
	Inserted, Updated, Unchanged, Rejected int
}

// ObserveImport records one import of kind that took d; err is its failure, if any.
func (m *Registry) ObserveImport(kind string, d time.Duration, rows ImportRows, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.imports.WithLabelValues(kind, result).Inc()
	m.importTimes.WithLabelValues(kind).Observe(d.Seconds())
	if err != nil {
		return
	}
	for outcome, n := range map[string]int{"inserted": rows.Inserted, "updated": rows.Updated,
		"unchanged": rows.Unchanged, "rejected": rows.Rejected} {
		m.importRows.WithLabelValues(kind, outcome).Add(float64(n))
	}
}
