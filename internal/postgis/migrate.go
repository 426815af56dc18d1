package postgis

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/lagesbild/lagesbild/migrations"
)

func (db *DB) provider() (*goose.Provider, func() error, error) {
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS)
	if err != nil {
		sqlDB.Close()
		return nil, nil, fmt.Errorf("postgis: migrations: %w", err)
	}
	return p, sqlDB.Close, nil
}

// Migrate applies every pending migration. Concurrent callers are serialised by an advisory lock,
// so several processes starting at once against one database are safe.
func (db *DB) Migrate(ctx context.Context) (applied int, err error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgis: migrate: %w", translate(err))
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext('lagesbild-migrate'))`); err != nil {
		return 0, fmt.Errorf("postgis: migrate lock: %w", translate(err))
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext('lagesbild-migrate'))`) //nolint:errcheck // released with the session anyway

	p, closeDB, err := db.provider()
	if err != nil {
		return 0, err
	}
	defer closeDB()
	results, err := p.Up(ctx)
	if err != nil {
		return len(results), fmt.Errorf("postgis: migrate: %w", err)
	}
	for _, r := range results {
		db.logger.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return len(results), nil
}

// PendingMigrations counts the migrations not yet applied.
func (db *DB) PendingMigrations(ctx context.Context) (int, error) {
	p, closeDB, err := db.provider()
	if err != nil {
		return 0, err
	}
	defer closeDB()
	status, err := p.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgis: migration status: %w", translate(err))
	}
	n := 0
	for _, s := range status {
		if s.State == goose.StatePending {
			n++
		}
	}
	return n, nil
}
