package postgis

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// Pool exposes the pool to the external tests, which check stored data with plain SQL.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// RenderTile renders a tile without the shortcut for tiles outside the storage domain, so the
// tests reach the SQL's own clipping with every tile.
func (db *DB) RenderTile(ctx context.Context, layer string, z, x, y int, f tiles.Filters) ([]byte, error) {
	return db.renderTile(ctx, layer, z, x, y, f)
}

// TileInDomain exposes the domain shortcut's test.
func TileInDomain(z, x, y int) bool { return tileInDomain(z, x, y) }

// FeatureSQL exposes the CRS adaptation of the feature queries.
func FeatureSQL(name string, q lagesbild.FeatureQuery) (string, error) {
	return featureSQL(query(name), q)
}

// StoredDigests reads the stored set of source in parts block ranges, as an import's
// storedTest does, and looks ids up in it.
func (db *DB) StoredDigests(ctx context.Context, source string, ids []string, parts int) (map[string][16]byte, int, error) {
	var pages int64
	if err := db.pool.QueryRow(ctx, `SELECT relpages FROM pg_class WHERE oid = 'incident'::regclass`).Scan(&pages); err != nil {
		return nil, 0, err
	}
	keys := newStoredKeys()
	set, err := db.loadStored(ctx, source, keys, 0, pages, parts)
	if err != nil {
		return nil, 0, err
	}
	out := map[string][16]byte{}
	for _, id := range ids {
		if d, ok := set.find(keys.of(source, id)); ok {
			out[id] = d
		}
	}
	return out, set.len(), nil
}
