package postgis

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/summary"
)

var _ summary.DeviationStore = (*DB)(nil)

// AreaWindowCounts counts the incidents per area and group of list year in the latest window
// and its baseline, as the caller.
func (db *DB) AreaWindowCounts(ctx context.Context, year int, latest, baseline summary.Period) ([]summary.WindowCount, error) {
	return collect(ctx, db, "deviation_areas", func(row pgx.CollectableRow) (summary.WindowCount, error) {
		var c summary.WindowCount
		err := row.Scan(&c.AreaID, &c.Group, &c.Latest, &c.Baseline)
		return c, err
	}, year, latest.From, latest.To, baseline.From, baseline.To)
}

// CellWindowCounts counts the exact incidents per res-8 cell in the latest window and its
// baseline, for the cells with at least minLatest in the window, as the caller.
func (db *DB) CellWindowCounts(ctx context.Context, kommun string, latest, baseline summary.Period, minLatest int) ([]summary.CellWindowCount, error) {
	var k *string
	if kommun != "" {
		k = &kommun
	}
	return collect(ctx, db, "deviation_cells", func(row pgx.CollectableRow) (summary.CellWindowCount, error) {
		var c summary.CellWindowCount
		var cell int64
		err := row.Scan(&cell, &c.Kommun, &c.Latest, &c.Baseline)
		c.Cell = uint64(cell)
		return c, err
	}, latest.From, latest.To, baseline.From, baseline.To, minLatest, k)
}
