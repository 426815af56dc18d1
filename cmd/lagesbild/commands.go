package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/analysis"
	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/pgmanaged"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/refdata"
	"github.com/lagesbild/lagesbild/internal/samverkan"
	"github.com/lagesbild/lagesbild/internal/summary"
	"github.com/lagesbild/lagesbild/internal/tiles"
	"github.com/lagesbild/lagesbild/web"
)

func flags(name string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("lagesbild "+name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}

func cmdServe(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fs := flags("serve", stdout)
	addr := fs.String("addr", cfg.Addr, "listen address (host:port; port 0 picks a free port)")
	keepDB := fs.Bool("keep-db", false, "leave the managed database running after the server stops")
	demoMode := fs.Bool("demo", false, "demo mode: load the synthetic demo data into a database without incidents")
	if err := parse(fs, args); err != nil {
		return err
	}
	if cfg.MemoryLimit > 0 {
		// A soft limit: under many concurrent responses the heap would otherwise grow to twice
		// the live data before a collection (issue 13: RSS 351 MB under make load).
		debug.SetMemoryLimit(cfg.MemoryLimit)
		logger.Info("memory limit", "bytes", cfg.MemoryLimit, "tile_cache_bytes", cfg.TileCacheBytes)
	}
	db, err := openDatabase(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer db.close(ctx, *keepDB, logger)
	if err := db.AddReplicas(ctx, cfg.ReadURLs); err != nil {
		return err
	}

	if *demoMode {
		b, err := refdata.Load(geodata.FS)
		if err != nil {
			return err
		}
		if err := loadDemo(ctx, db, demo.FromRefdata(b, 2025), demo.Options{Seed: 1, Scale: cfg.DemoScale}, true, 0, logger, stdout); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	imports, err := newImportService(db.DB, logger)
	if err != nil {
		return err
	}
	// Audit rows the database cannot take wait in a local spool and are replayed when it is back.
	// The spool closes last: the audit writer flushes its queue into it when the database is down.
	spool, err := auth.OpenSpool(filepath.Join(cfg.DataDir, "audit-spool"), cfg.AuditSpoolBytes)
	if err != nil {
		return err
	}
	defer spool.Close()
	authSvc := auth.NewService(db, *demoMode)
	defer authSvc.Close()
	authSvc.UseSpool(spool, db, logger.With("component", "audit"))
	if cfg.AuditConns > 0 {
		authSvc.SetAuditWriters(cfg.AuditConns) // one batch in flight per connection of the audit pool
	}
	authSvc.SetAuditBatching(auth.AuditMinBatch, cfg.AuditDelay)
	// Verified tokens and sessions are cached for a minute; revocations, disabled users and
	// logouts reach the cache at once through the database's notifications.
	authSvc.Cache = auth.NewIdentityCache(time.Minute)
	listenCtx, stopListening := context.WithCancel(context.WithoutCancel(ctx))
	listening := make(chan struct{})
	go func() { db.Listen(listenCtx, postgis.AuthChannel, authSvc.Cache); close(listening) }()
	defer func() { stopListening(); <-listening }()
	if cfg.JWT.Issuer != "" {
		if authSvc.JWT, err = auth.NewJWTVerifier(ctx, cfg.JWT, &http.Client{Timeout: 10 * time.Second}); err != nil {
			return err
		}
		logger.Info("bearer JWTs accepted", "issuer", cfg.JWT.Issuer)
	}
	if *demoMode {
		if err := ensureDemoUsers(ctx, db, stdout); err != nil {
			return err
		}
	} else if demo, err := db.DemoUsersExist(ctx); err != nil {
		return err
	} else if demo {
		logger.Warn("demo accounts exist and are refused: serve runs without --demo")
	}
	basemap, err := loadBasemap(ctx, cfg.BasemapStyle)
	if err != nil {
		return err
	}
	analysisSvc := analysis.New(db, analysis.Options{})
	db.UseEmerging(analysisSvc) // the emerging tile layer and collections
	// One data version for the tile, OGC items and summary caches, read from the primary at
	// most once a second: an import shows in each of them within a second of its commit.
	versions := tiles.NewVersions(db, tiles.DefaultVersionTTL)
	tileSvc := tiles.NewService(db, versions, cfg.TileCacheBytes)
	m := newMetrics(db.DB, tileSvc, authSvc)
	spool.Watch(m.AuditSpoolRows, m.AuditSpoolBytes)
	stopAdmin, err := startAdmin(cfg.AdminAddr, m, logger, stdout)
	if err != nil {
		return err
	}
	defer stopAdmin(ctx)
	// The summaries of the lists callers open are computed ahead of them, in the background and
	// one at a time, after the start and after every import (internal/summary/warm.go).
	summaries := summary.New(db, summary.Options{Versions: versions, Warm: true})
	defer summaries.Close()
	api := &httpapi.Server{Basemap: basemap, Areas: db, Ready: db, Imports: meteredImports{imports, m}, Web: web.FS(), Logger: logger.With("component", "httpapi"),
		Tiles: tileSvc, PublicURL: cfg.PublicURL, Features: db,
		Summaries: summaries, Auth: authSvc, Profiles: db, Versions: versions,
		Analysis:  analysisSvc,
		Samverkan: &samverkan.Service{DecisionStore: db, Store: db, Units: db, Logger: logger.With("component", "samverkan")},
		Limits:    httpapi.Limits{MaxImportBytes: cfg.MaxImportBytes, MaxConns: cfg.MaxConns}}
	// Timeouts, body deadlines and the connection cap: httpapi.Limits (README, "Limits").
	srv := api.HTTPServer()
	srv.Handler = m.Instrument(srv.Handler)
	m.WatchOGCItems(itemCacheStats{api}) // after HTTPServer, which builds the cache
	defer api.Close()
	ln = api.Listener(ln)
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(stdout, "Lägesbild serves the map at %s\n", url)
	logger.Info("serving", "url", url)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func cmdMigrate(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if err := parse(flags("migrate", stdout), args); err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg, logger, false) // openDatabase migrates
	if err != nil {
		return err
	}
	defer db.close(ctx, false, logger)
	fmt.Fprintln(stdout, "migrations: up to date")
	return nil
}

func cmdDB(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		fmt.Fprintln(stdout, "usage: lagesbild db start|stop|status")
		return errUsage
	}
	if cfg.DatabaseURL != "" {
		return fmt.Errorf("db %s: DATABASE_URL is set, so the managed cluster is not used", args[0])
	}
	switch args[0] {
	case "start":
		c, err := pgmanaged.Start(ctx, pgmanaged.Options{DataDir: cfg.DataDir, Logger: logger.With("component", "pgmanaged")})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "running on 127.0.0.1:%d (data in %s; started now: %v)\n", c.Port(), c.DataDir(), c.Started())
		return nil
	case "stop":
		if err := pgmanaged.StopDataDir(ctx, cfg.DataDir, logger); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "stopped")
		return nil
	case "status":
		st, err := pgmanaged.GetStatus(cfg.DataDir)
		if err != nil {
			return err
		}
		switch {
		case !st.Initialized:
			fmt.Fprintf(stdout, "not initialised (%s)\n", st.DataDir)
		case st.Running:
			fmt.Fprintf(stdout, "running: PostgreSQL %s, pid %d, 127.0.0.1:%d, data %s\n", st.Version, st.PID, st.Port, st.DataDir)
		default:
			fmt.Fprintf(stdout, "stopped: PostgreSQL %s, data %s\n", st.Version, st.DataDir)
		}
		return nil
	}
	fmt.Fprintln(stdout, "usage: lagesbild db start|stop|status")
	return errUsage
}

// loadBasemap reads LAGESBILD_BASEMAP_STYLE (a file or an http(s) URL) once at start.
func loadBasemap(ctx context.Context, loc string) (*httpapi.Basemap, error) {
	if loc == "" {
		return nil, nil
	}
	var data []byte
	var err error
	if strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") {
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		var req *http.Request
		if req, err = http.NewRequestWithContext(ctx, http.MethodGet, loc, nil); err == nil {
			var resp *http.Response
			if resp, err = http.DefaultClient.Do(req); err == nil {
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("HTTP %d", resp.StatusCode)
				} else {
					data, err = io.ReadAll(io.LimitReader(resp.Body, 8<<20))
				}
			}
		}
	} else {
		data, err = os.ReadFile(loc)
	}
	if err != nil {
		return nil, fmt.Errorf("LAGESBILD_BASEMAP_STYLE %s: %w", loc, err)
	}
	b, err := httpapi.ParseBasemap(data)
	if err != nil {
		return nil, fmt.Errorf("LAGESBILD_BASEMAP_STYLE %s: %w", loc, err)
	}
	return b, nil
}
