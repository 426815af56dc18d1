package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/metrics"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// newMetrics makes the registry and registers what the service's parts report.
func newMetrics(db *postgis.DB, ts *tiles.Service, authSvc *auth.Service) *metrics.Registry {
	m := metrics.New(buildVersion())
	m.WatchTiles(ts)
	m.WatchAuditQueue(authSvc.AuditQueueLen)
	m.WatchAuditCommits(authSvc.AuditCommits)
	m.WatchPools(func() []metrics.PoolStat {
		var out []metrics.PoolStat
		for _, s := range db.PoolStats() {
			out = append(out, metrics.PoolStat{Pool: s.Pool, Total: s.Total, Idle: s.Idle, Acquired: s.Acquired, Max: s.Max,
				Acquires: s.Acquires, EmptyAcquires: s.EmptyAcquires, CanceledAcquires: s.CanceledAcquires,
				AcquireWait: s.AcquireWait, ReadTransactions: s.ReadTransactions, ReplicaDown: s.ReplicaDown,
				ReplicaBehind: s.ReplicaBehind, ReplicaFallbacks: s.FallbacksDown, ReplicaStale: s.FallbacksLag})
		}
		return out
	})
	return m
}

// itemCacheStats reports the server's cache of OGC API items pages to the metrics.
type itemCacheStats struct{ api *httpapi.Server }

func (c itemCacheStats) CacheStats() (hits, misses int64, entries int, bytes int64) {
	return c.api.ItemCacheStats()
}

// startAdmin serves /metrics and Go's profiles (/debug/pprof/) on addr, an address of its own
// (the public listener never serves them), and prints where. The returned function stops it. An
// empty addr serves nothing.
func startAdmin(addr string, m *metrics.Registry, logger *slog.Logger, stdout io.Writer) (func(context.Context), error) {
	if addr == "" {
		return func(context.Context) {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin address (LAGESBILD_ADMIN_ADDR) %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	// WriteTimeout leaves room for a 30 s CPU profile (?seconds=30).
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 65 * time.Second, IdleTimeout: 60 * time.Second}
	// No "http://" here: callers (and tests) read the first URL printed as the map's.
	fmt.Fprintf(stdout, "Metrics on the admin address %s (/metrics, /debug/pprof/)\n", ln.Addr())
	logger.Info("admin server", "addr", ln.Addr().String(), "paths", "/metrics /debug/pprof/")
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("admin server", "err", err)
		}
	}()
	return func(ctx context.Context) {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}

// meteredImports counts and times the imports made through the API.
type meteredImports struct {
	httpapi.Imports
	m *metrics.Registry
}

func (mi meteredImports) observe(kind string, start time.Time, rep lagesbild.ImportReport, err error) {
	mi.m.ObserveImport(kind, time.Since(start), metrics.ImportRows{Inserted: rep.Inserted, Updated: rep.Updated,
		Unchanged: rep.Unchanged, Rejected: rep.Rejected}, err)
}

func (mi meteredImports) ImportIncidents(ctx context.Context, r io.Reader, file, format, source string, skipInvalid bool, progress func(int), rejects *lagesbild.Rejects) (lagesbild.ImportReport, error) {
	start := time.Now()
	rep, err := mi.Imports.ImportIncidents(ctx, r, file, format, source, skipInvalid, progress, rejects)
	mi.observe("incidents", start, rep, err)
	return rep, err
}

func (mi meteredImports) ImportPresence(ctx context.Context, r io.Reader, file, format, source string, rejects *lagesbild.Rejects) (lagesbild.ImportReport, error) {
	start := time.Now()
	rep, err := mi.Imports.ImportPresence(ctx, r, file, format, source, rejects)
	mi.observe("presence", start, rep, err)
	return rep, err
}

func (mi meteredImports) ImportPopulation(ctx context.Context, r io.Reader, file string, rejects *lagesbild.Rejects) (lagesbild.ImportReport, error) {
	start := time.Now()
	rep, err := mi.Imports.ImportPopulation(ctx, r, file, rejects)
	mi.observe("population", start, rep, err)
	return rep, err
}
