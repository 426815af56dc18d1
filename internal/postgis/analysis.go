package postgis

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/analysis"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// The analysis store answers internal/analysis (sql/analysis_*.sql), always as the caller
// (scoped): time profiles from incident_area and incident, emerging hot spots from
// the whole kommun grid (emerging_cell_months of migrations/00018, published only for
// visible cells), Knox events from incident, and the effect
// follow-up from area_month_agg, operation and a buffer around the area.

var _ analysis.Store = (*DB)(nil)

func scanAnalysisArea(row pgx.CollectableRow) (analysis.Area, error) {
	var a analysis.Area
	err := row.Scan(&a.ID, &a.Name, &a.Class, &a.Set, &a.KommunCode, &a.KommunName, &a.RegionCode, &a.LPOCode)
	return a, err
}

// textOrNil passes "" as SQL NULL.
func textOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// AnalysisArea returns one area.
func (db *DB) AnalysisArea(ctx context.Context, id string) (analysis.Area, error) {
	areas, err := collect(ctx, db, "analysis_areas", scanAnalysisArea, id, nil, nil)
	if err != nil {
		return analysis.Area{}, err
	}
	if len(areas) == 0 {
		return analysis.Area{}, fmt.Errorf("postgis: area %q: %w", id, lagesbild.ErrNotFound)
	}
	return areas[0], nil
}

// ClassAreas returns the areas of list year with class.
func (db *DB) ClassAreas(ctx context.Context, year int, class string) ([]analysis.Area, error) {
	return collect(ctx, db, "analysis_areas", scanAnalysisArea, nil, year, class)
}

// AreaSlotCounts counts an area's exact incidents per group, weekday and hour in p.
func (db *DB) AreaSlotCounts(ctx context.Context, areaID string, p analysis.Period) ([]analysis.SlotCount, error) {
	return collect(ctx, db, "analysis_slots", func(row pgx.CollectableRow) (analysis.SlotCount, error) {
		var c analysis.SlotCount
		err := row.Scan(&c.Group, &c.Weekday, &c.Hour, &c.N)
		return c, err
	}, areaID, p.From, p.To.AddDate(0, 0, 1))
}

// KommunCellMonths counts exact incidents per res-8 cell and month of the whole grid of each
// of the kommuner in which the caller may see an area, not clipped to the caller's cell scope
// (Gi* is computed over the whole kommun grid); nothing for the other kommuner. It is the
// SECURITY DEFINER function emerging_cell_months of migrations/00018; its counts are Gi*'s input
// only and are never published.
func (db *DB) KommunCellMonths(ctx context.Context, kommuner []string, from, to time.Time, group string) ([]analysis.CellMonth, error) {
	return collect(ctx, db, "analysis_cell_months", func(row pgx.CollectableRow) (analysis.CellMonth, error) {
		var c analysis.CellMonth
		var cell int64
		err := row.Scan(&c.Kommun, &cell, &c.Month, &c.N)
		c.Cell = uint64(cell)
		return c, err
	}, kommuner, from, to, textOrNil(group))
}

// VisibleCells returns which of the cells the caller may see (h3_cell under row-level security).
func (db *DB) VisibleCells(ctx context.Context, cells []uint64) (map[uint64]bool, error) {
	ids := make([]int64, len(cells))
	for i, c := range cells {
		ids[i] = int64(c)
	}
	rows, err := collect(ctx, db, "analysis_visible_cells", func(row pgx.CollectableRow) (int64, error) {
		var c int64
		err := row.Scan(&c)
		return c, err
	}, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[uint64]bool, len(rows))
	for _, c := range rows {
		out[uint64(c)] = true
	}
	return out, nil
}

// AnalysisAreaCells returns the res-8 cells of the areas.
func (db *DB) AnalysisAreaCells(ctx context.Context, areaIDs []string) (map[string][]uint64, error) {
	type ac struct {
		id   string
		cell uint64
	}
	rows, err := collect(ctx, db, "analysis_area_cells", func(row pgx.CollectableRow) (ac, error) {
		var c ac
		var cell int64
		err := row.Scan(&c.id, &cell)
		c.cell = uint64(cell)
		return c, err
	}, areaIDs)
	if err != nil {
		return nil, err
	}
	out := map[string][]uint64{}
	for _, r := range rows {
		out[r.id] = append(out[r.id], r.cell)
	}
	return out, nil
}

// RegionKommuner returns the kommuner of a police region.
func (db *DB) RegionKommuner(ctx context.Context, region string) ([]string, error) {
	return collect(ctx, db, "analysis_region_kommuner", func(row pgx.CollectableRow) (string, error) {
		var s string
		err := row.Scan(&s)
		return s, err
	}, region)
}

// KommunRegion returns the police region of a kommun.
func (db *DB) KommunRegion(ctx context.Context, kommun string) (string, error) {
	var region string
	err := db.pool.QueryRow(ctx, `SELECT l.region_code FROM kommun k JOIN lan l ON l.code = k.lan_code WHERE k.code = $1`, kommun).Scan(&region)
	if err != nil {
		return "", fmt.Errorf("postgis: kommun %q: %w", kommun, translate(err))
	}
	return region, nil
}

// Events returns the exact incidents of one group in p of an area or a kommun.
func (db *DB) Events(ctx context.Context, areaID, kommun, group string, p analysis.Period) ([]analysis.Event, error) {
	return collect(ctx, db, "analysis_events", func(row pgx.CollectableRow) (analysis.Event, error) {
		var e analysis.Event
		err := row.Scan(&e.X, &e.Y, &e.Day)
		return e, err
	}, textOrNil(areaID), textOrNil(kommun), group, p.From, p.To.AddDate(0, 0, 1))
}

func scanOperation(row pgx.CollectableRow) (analysis.Operation, error) {
	var o analysis.Operation
	err := row.Scan(&o.ID, &o.Name, &o.AreaID, &o.Agencies, &o.Start, &o.End, &o.Synthetic)
	return o, err
}

// Operation returns one operation visible to the caller.
func (db *DB) Operation(ctx context.Context, id int64) (analysis.Operation, error) {
	ops, err := collect(ctx, db, "analysis_operation", scanOperation, id, nil)
	if err != nil {
		return analysis.Operation{}, err
	}
	if len(ops) == 0 {
		return analysis.Operation{}, fmt.Errorf("postgis: operation %d: %w", id, lagesbild.ErrNotFound)
	}
	return ops[0], nil
}

// AreaOperationList returns the operations on an area (by its id), newest first.
func (db *DB) AreaOperationList(ctx context.Context, areaID string) ([]analysis.Operation, error) {
	return collect(ctx, db, "analysis_operation", scanOperation, nil, areaID)
}

// OperationAreas returns the areas of list year with another operation overlapping [from, to].
func (db *DB) OperationAreas(ctx context.Context, year int, from, to time.Time, exclude int64) ([]string, error) {
	return collect(ctx, db, "analysis_operation_areas", func(row pgx.CollectableRow) (string, error) {
		var s string
		err := row.Scan(&s)
		return s, err
	}, year, from, to, exclude)
}

// AreaMonths counts the exact incidents of the areas per month.
func (db *DB) AreaMonths(ctx context.Context, areaIDs []string, from, to time.Time, group string) ([]analysis.AreaMonth, error) {
	return collect(ctx, db, "analysis_area_months", func(row pgx.CollectableRow) (analysis.AreaMonth, error) {
		var m analysis.AreaMonth
		err := row.Scan(&m.AreaID, &m.Month, &m.N)
		return m, err
	}, areaIDs, from, to, textOrNil(group))
}

// BufferCounts counts the exact incidents in the ring of bufferM metres around the area.
func (db *DB) BufferCounts(ctx context.Context, areaID string, bufferM float64, from, split, to time.Time, group string) (before, after int, err error) {
	err = db.scoped(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, query("analysis_buffer"), areaID, bufferM, from, split, to, textOrNil(group)).Scan(&before, &after)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("postgis: analysis_buffer: %w", translate(err))
	}
	return before, after, nil
}

// BufferAreas returns the areas of the same list within bufferM metres of the area.
func (db *DB) BufferAreas(ctx context.Context, areaID string, bufferM float64) ([]string, error) {
	return collect(ctx, db, "analysis_buffer_areas", func(row pgx.CollectableRow) (string, error) {
		var s string
		err := row.Scan(&s)
		return s, err
	}, areaID, bufferM)
}
