// Package postgis is the only package that talks to PostgreSQL: the connection pool, the migration
// runner, the stores behind the domain interfaces and the bulk loaders. SQL lives in embedded files
// under sql/; values always travel as $n arguments.
package postgis

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

//go:embed sql/*.sql
var sqlFS embed.FS

// query returns the text of sql/<name>.sql. The files are embedded at compile time, and every
// query is exercised by the package's tests, so a missing name cannot reach production silently.
func query(name string) string {
	b, err := sqlFS.ReadFile("sql/" + name + ".sql")
	if err != nil {
		return "-- missing query " + name
	}
	return string(b)
}

// DB is the service's handle on PostgreSQL.
type DB struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

// Options tune the pool.
type Options struct {
	MaxConns         int32
	StatementTimeout time.Duration // per statement; 0 means 30 s
	ApplicationName  string
}

// Open connects to url and checks the connection. It does not migrate.
func Open(ctx context.Context, url string, o Options, logger *slog.Logger) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may echo the URL, which can hold a password: do not wrap it.
		return nil, fmt.Errorf("postgis: DATABASE_URL is not a valid connection string: %w", lagesbild.ErrInvalid)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	if o.StatementTimeout == 0 {
		o.StatementTimeout = 30 * time.Second
	}
	if o.ApplicationName == "" {
		o.ApplicationName = "lagesbild"
	}
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(o.StatementTimeout.Milliseconds())
	cfg.ConnConfig.RuntimeParams["application_name"] = o.ApplicationName
	cfg.ConnConfig.RuntimeParams["timezone"] = "Europe/Stockholm"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis: connect: %w", translate(err))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgis: connect to %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, translate(err))
	}
	return &DB{pool: pool, logger: logger.With("component", "postgis")}, nil
}

// Close closes the pool.
func (db *DB) Close() { db.pool.Close() }

// Ready reports whether the database answers and every migration has been applied.
func (db *DB) Ready(ctx context.Context) error {
	pending, err := db.PendingMigrations(ctx)
	if err != nil {
		return err
	}
	if pending > 0 {
		return fmt.Errorf("postgis: %d migrations pending: %w", pending, lagesbild.ErrUnavailable)
	}
	return nil
}

// DataVersion returns the number that changes on every import that changed data.
func (db *DB) DataVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.pool.QueryRow(ctx, `SELECT version FROM data_version`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("postgis: data version: %w", translate(err))
	}
	return v, nil
}

// translate maps driver errors onto the domain's error kinds, keeping the original for logs.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w", lagesbild.ErrNotFound)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505":
			return fmt.Errorf("%s: %w", pgErr.Message, lagesbild.ErrConflict)
		case pgErr.Code == "57014", strings.HasPrefix(pgErr.Code, "08"), pgErr.Code == "57P01", pgErr.Code == "53300":
			return fmt.Errorf("%s: %w", pgErr.Message, lagesbild.ErrUnavailable)
		case strings.HasPrefix(pgErr.Code, "22"), strings.HasPrefix(pgErr.Code, "23"):
			return fmt.Errorf("%s (%s): %w", pgErr.Message, pgErr.Detail, lagesbild.ErrInvalid)
		}
		return fmt.Errorf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%v: %w", err, lagesbild.ErrUnavailable)
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return fmt.Errorf("cannot connect: %w", lagesbild.ErrUnavailable)
	}
	return err
}

// IncidentCount returns the number of stored incidents.
func (db *DB) IncidentCount(ctx context.Context) (int64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM incident`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgis: count incidents: %w", translate(err))
	}
	return n, nil
}
