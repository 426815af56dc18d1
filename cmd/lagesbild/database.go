package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/pgmanaged"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/refdata"
)

// database is an open, migrated database and, when DATABASE_URL was unset, the managed cluster
// behind it.
type database struct {
	*postgis.DB
	cluster *pgmanaged.Cluster // nil with DATABASE_URL
}

// openDatabase connects to DATABASE_URL, or starts (or reuses) the managed cluster and makes
// sure its database exists. It then applies pending migrations and, with geodata, loads the
// bundled geodata.
func openDatabase(ctx context.Context, cfg config, logger *slog.Logger, geodata bool) (*database, error) {
	d := &database{}
	url := cfg.DatabaseURL
	if url == "" {
		c, err := pgmanaged.Start(ctx, pgmanaged.Options{DataDir: cfg.DataDir, Logger: logger.With("component", "pgmanaged")})
		if err != nil {
			return nil, err
		}
		d.cluster = c
		if _, err := postgis.EnsureDatabase(ctx, c.URL("postgres"), cfg.DBName, ""); err != nil {
			d.close(ctx, false, logger)
			return nil, err
		}
		url = c.URL(cfg.DBName)
	}
	db, err := postgis.Open(ctx, url, postgis.Options{ReaderURL: cfg.ReaderURL, MaxConns: int32(cfg.DBConns),
		AuditConns: int32(cfg.AuditConns), Limits: postgis.Limits{ExpensiveConcurrency: cfg.ExpensiveReads}}, logger)
	if err != nil {
		d.close(ctx, false, logger)
		return nil, err
	}
	d.DB = db
	if _, err := db.Migrate(ctx); err != nil {
		d.close(ctx, false, logger)
		return nil, err
	}
	// On the managed cluster the service reads as a login role of its own, subject to
	// row-level security; elsewhere as LAGESBILD_READER_DATABASE_URL or, without it, by SET ROLE.
	if d.cluster != nil {
		if err := db.UseServiceLogin(ctx, d.cluster.DerivedPassword(postgis.ServiceRole)); err != nil {
			d.close(ctx, false, logger)
			return nil, err
		}
	} else if cfg.ReaderURL == "" {
		logger.Info("reads run as lagesbild_reader by SET ROLE on the owner's connections; set LAGESBILD_READER_DATABASE_URL to a login role in lagesbild_reader to separate them")
	}
	// Everything builds on the bundled geodata, so it is loaded (or confirmed unchanged, a quick
	// no-op) before any command runs; an upgraded binary brings its newer geodata along.
	if geodata {
		if _, err := importGeodata(ctx, db); err != nil {
			d.close(ctx, false, logger)
			return nil, err
		}
	}
	return d, nil
}

// close closes the pool and stops the managed cluster if this process started it, unless keep.
func (d *database) close(ctx context.Context, keep bool, logger *slog.Logger) {
	if d.DB != nil {
		d.DB.Close()
	}
	if d.cluster == nil || !d.cluster.Started() || keep {
		return
	}
	if err := d.cluster.Stop(context.WithoutCancel(ctx)); err != nil {
		logger.Error("stopping the managed database", "err", err)
	}
}

// importGeodata loads the bundled geodata and reports what changed.
func importGeodata(ctx context.Context, db *postgis.DB) (postgis.RefdataReport, error) {
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		return postgis.RefdataReport{}, err
	}
	rep, err := db.ImportRefdata(ctx, b)
	if err != nil {
		return rep, fmt.Errorf("import geodata: %w", err)
	}
	return rep, nil
}
