package postgis

import (
	"context"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
)

var dbName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// EnsureDatabase creates database name on the server behind adminURL (a connection to any
// existing database with CREATEDB rights) unless it exists. With a template, the new database is
// a copy of it. It reports whether it created the database.
func EnsureDatabase(ctx context.Context, adminURL, name, template string) (created bool, err error) {
	if !dbName.MatchString(name) || (template != "" && !dbName.MatchString(template)) {
		return false, fmt.Errorf("postgis: database name %q or template %q is not a plain lower-case name", name, template)
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return false, fmt.Errorf("postgis: connect to server: %w", translate(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return false, fmt.Errorf("postgis: look up database %s: %w", name, translate(err))
	}
	if exists {
		return false, nil
	}
	stmt := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		stmt += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return false, fmt.Errorf("postgis: create database %s: %w", name, translate(err))
	}
	return true, nil
}

// DropDatabase drops database name, disconnecting its sessions first.
func DropDatabase(ctx context.Context, adminURL, name string) error {
	if !dbName.MatchString(name) {
		return fmt.Errorf("postgis: database name %q is not a plain lower-case name", name)
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("postgis: connect to server: %w", translate(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("postgis: drop database %s: %w", name, translate(err))
	}
	return nil
}

// WithServerLock runs fn while holding a server-wide advisory lock named key, taken on a
// connection to adminURL. Test helpers use it so that parallel test processes build a shared
// template database once.
func WithServerLock(ctx context.Context, adminURL, key string, fn func() error) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("postgis: connect to server: %w", translate(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext($1))`, key); err != nil {
		return fmt.Errorf("postgis: lock %s: %w", key, translate(err))
	}
	return fn()
}

// Databases lists the databases whose names match the LIKE pattern.
func Databases(ctx context.Context, adminURL, like string) ([]string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, fmt.Errorf("postgis: connect to server: %w", translate(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1`, like)
	if err != nil {
		return nil, fmt.Errorf("postgis: list databases: %w", translate(err))
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return names, translate(err)
}

// RenameDatabase renames a database that has no open sessions.
func RenameDatabase(ctx context.Context, adminURL, from, to string) error {
	if !dbName.MatchString(from) || !dbName.MatchString(to) {
		return fmt.Errorf("postgis: database names %q, %q are not plain lower-case names", from, to)
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("postgis: connect to server: %w", translate(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{from}.Sanitize()+" RENAME TO "+pgx.Identifier{to}.Sanitize())
	if err != nil {
		return fmt.Errorf("postgis: rename database %s: %w", from, translate(err))
	}
	return nil
}
