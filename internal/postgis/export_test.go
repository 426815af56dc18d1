package postgis

import "github.com/jackc/pgx/v5/pgxpool"

// Pool exposes the pool to the external tests, which check stored data with plain SQL.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }
