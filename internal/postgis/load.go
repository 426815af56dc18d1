package postgis

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// TableChange counts what one bulk upsert did to one table.
type TableChange struct {
	Table                              string
	Read, Inserted, Updated, Unchanged int
	Deleted                            int
}

// Changed reports whether anything in the table changed.
func (c TableChange) Changed() bool { return c.Inserted+c.Updated+c.Deleted > 0 }

// bulk describes one table to be synchronised from rows held in memory: the rows are copied into
// a temporary staging table and upserted in one statement, so the whole load is one transaction.
type bulk struct {
	table         string
	key           []string // conflict target
	cols          []string // all columns, key included, in row order
	geom          string   // column holding WKB bytes to turn into a MultiPolygon in EPSG:3006
	rows          [][]any
	deleteMissing bool // delete target rows whose key is not among rows
}

// sync stages b.rows and upserts them into b.table, updating only rows that differ.
func sync(ctx context.Context, tx pgx.Tx, b bulk) (TableChange, error) {
	ch := TableChange{Table: b.table, Read: len(b.rows)}
	stage := "stage_" + b.table
	target := pgx.Identifier{b.table}.Sanitize()
	stageID := pgx.Identifier{stage}.Sanitize()
	colList := identList(b.cols)
	if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT %s FROM %s WITH NO DATA`, stageID, colList, target)); err != nil {
		return ch, fmt.Errorf("stage %s: %w", b.table, translate(err))
	}
	if b.geom != "" {
		g := pgx.Identifier{b.geom}.Sanitize()
		if _, err := tx.Exec(ctx, fmt.Sprintf(`ALTER TABLE %s ALTER COLUMN %s TYPE bytea USING NULL`, stageID, g)); err != nil {
			return ch, fmt.Errorf("stage %s: %w", b.table, translate(err))
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{stage}, b.cols, pgx.CopyFromRows(b.rows)); err != nil {
		return ch, fmt.Errorf("copy %s: %w", b.table, translate(err))
	}
	selects := make([]string, len(b.cols))
	var sets, olds, news []string
	isKey := map[string]bool{}
	for _, k := range b.key {
		isKey[k] = true
	}
	for i, c := range b.cols {
		id := pgx.Identifier{c}.Sanitize()
		selects[i] = id
		if c == b.geom {
			selects[i] = fmt.Sprintf(`ST_Multi(ST_GeomFromWKB(%s, 3006))`, id)
		}
		if !isKey[c] {
			sets = append(sets, fmt.Sprintf("%s = EXCLUDED.%s", id, id))
			olds = append(olds, "t."+id)
			news = append(news, "EXCLUDED."+id)
		}
	}
	upsert := fmt.Sprintf(`INSERT INTO %s AS t (%s) SELECT %s FROM %s
ON CONFLICT (%s) DO UPDATE SET %s WHERE (%s) IS DISTINCT FROM (%s)
RETURNING (xmax = 0) AS inserted`,
		target, colList, strings.Join(selects, ", "), stageID, identList(b.key),
		strings.Join(sets, ", "), strings.Join(olds, ", "), strings.Join(news, ", "))
	rows, err := tx.Query(ctx, upsert)
	if err != nil {
		return ch, fmt.Errorf("upsert %s: %w", b.table, translate(err))
	}
	inserted, err := pgx.CollectRows(rows, pgx.RowTo[bool])
	if err != nil {
		return ch, fmt.Errorf("upsert %s: %w", b.table, translate(err))
	}
	for _, ins := range inserted {
		if ins {
			ch.Inserted++
		} else {
			ch.Updated++
		}
	}
	ch.Unchanged = ch.Read - ch.Inserted - ch.Updated
	return ch, nil
}

// deleteMissing removes the rows of b.table whose key was not staged.
func deleteMissing(ctx context.Context, tx pgx.Tx, b bulk) (int, error) {
	keys := identList(b.key)
	tag, err := tx.Exec(ctx, fmt.Sprintf(`DELETE FROM %s WHERE (%s) NOT IN (SELECT %s FROM %s)`,
		pgx.Identifier{b.table}.Sanitize(), keys, keys, pgx.Identifier{"stage_" + b.table}.Sanitize()))
	if err != nil {
		return 0, fmt.Errorf("delete stale %s: %w", b.table, translate(err))
	}
	return int(tag.RowsAffected()), nil
}

func identList(cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = pgx.Identifier{c}.Sanitize()
	}
	return strings.Join(out, ", ")
}

func wkbOf(g orb.MultiPolygon) ([]byte, error) {
	return wkb.Marshal(g)
}

// nullable turns the zero value of a string or int into SQL NULL.
func nullable[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// beginImport serialises imports (one writer at a time keeps the aggregates consistent) and
// lifts the pool's statement timeout, which is meant for reads: a large file's statements may
// run for minutes. The transaction's own context still cancels it.
func beginImport(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('lagesbild-import'))`); err != nil {
		return translate(err)
	}
	// Sorts and hashes over a file's staged rows (duplicates, the join with incident, the
	// aggregate deltas) stay in memory instead of spilling to temporary files.
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = '1h'; SET LOCAL work_mem = '256MB'`); err != nil {
		return translate(err)
	}
	return nil
}
