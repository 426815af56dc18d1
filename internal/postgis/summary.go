package postgis

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// The summary store answers every need of internal/summary with one set-based statement for a
// whole list (sql/summary_*.sql), so the cost of GET /summaries does not grow with a query per
// area. Counts come from aggregates the import maintains (migrations/00012): per area
// (area_agg) and per res-8 cell of a kommun (h3_agg), each with a monthly companion, so that a
// period reads whole calendar months from the monthly table and only the days of its partial
// first and last month from the daily one (see spans); per kommun only the monthly
// admin_month_agg is kept, and the partial days are counted from incident (kommun_partial_days,
// migrations/00035). The one
// exception is the per-group hot spots of a single area's summary, which read one kommun's
// daily res-8 rows (KommunGroupCellCounts). Every read runs as the caller under row-level
// security; the hot-spot grid's two reads are clipped to the kommuner the caller may see an
// area in, not to the caller's cells (see KommunCellCounts).

var _ summary.Store = (*DB)(nil)

// ranges are half-open date ranges [lo, hi), passed to the summary queries as parallel arrays
// (empty, never NULL); now tells the ranges of the period from those of the previous one where
// a query needs both.
type ranges struct {
	lo, hi []time.Time
	now    []bool
}

func newRanges() *ranges { return &ranges{lo: []time.Time{}, hi: []time.Time{}, now: []bool{}} }

func (r *ranges) add(lo, hi time.Time, now bool) {
	if lo.Before(hi) {
		r.lo, r.hi, r.now = append(r.lo, lo), append(r.hi, hi), append(r.now, now)
	}
}

// spans splits the days of p into the whole calendar months it covers, added to months as the
// range of their first days, and the days before and after those months, added to days; every
// day of p lies in exactly one of them. A period without a whole month is all days.
func spans(p summary.Period, now bool, months, days *ranges) {
	end := p.To.AddDate(0, 0, 1) // exclusive
	// The first month that starts on or after From, and the first day of the month of end.
	first := time.Date(p.From.Year(), p.From.Month(), 1, 0, 0, 0, 0, time.UTC)
	if first.Before(p.From) {
		first = first.AddDate(0, 1, 0)
	}
	last := time.Date(end.Year(), end.Month(), 1, 0, 0, 0, 0, time.UTC)
	if !first.Before(last) {
		days.add(p.From, end, now)
		return
	}
	months.add(first, last, now)
	days.add(p.From, first, now)
	days.add(last, end, now)
}

// collect runs the query sql/<name>.sql as the caller (scoped) and scans every row.
func collect[T any](ctx context.Context, db *DB, name string, scan func(pgx.CollectableRow) (T, error), args ...any) ([]T, error) {
	var out []T
	class := ClassRead
	if strings.HasPrefix(name, "summary_") || strings.HasPrefix(name, "compstat_") || strings.HasPrefix(name, "deviation_") {
		class = ClassSummary
	}
	err := db.scopedAs(ctx, class, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, query(name), args...)
		if err != nil {
			return translate(err)
		}
		out, err = pgx.CollectRows(rows, scan)
		return translate(err)
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: %s: %w", name, err)
	}
	return out, nil
}

func scanAreaInfo(row pgx.CollectableRow) (summary.AreaInfo, error) {
	var a summary.AreaInfo
	err := row.Scan(&a.ID, &a.Key, &a.Set, &a.Name, &a.Class, &a.KommunCode, &a.KommunName, &a.RegionCode,
		&a.Population, &a.HasPopulation, &a.PopulationEstimated, &a.KommunPopulation)
	return a, err
}

// SummaryAreas returns the areas of list year with their populations; ErrNotFound when the
// year is not a list.
func (db *DB) SummaryAreas(ctx context.Context, year int) ([]summary.AreaInfo, error) {
	areas, err := collect(ctx, db, "summary_areas", scanAreaInfo, year, nil)
	if err != nil {
		return nil, err
	}
	if len(areas) == 0 {
		var exists bool
		if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM area_set WHERE year = $1)`, year).Scan(&exists); err != nil {
			return nil, fmt.Errorf("postgis: list %d: %w", year, translate(err))
		}
		if !exists {
			return nil, fmt.Errorf("postgis: list %d: %w", year, lagesbild.ErrNotFound)
		}
	}
	return areas, nil
}

// SummaryArea returns one area with its population.
func (db *DB) SummaryArea(ctx context.Context, id string) (summary.AreaInfo, error) {
	areas, err := collect(ctx, db, "summary_areas", scanAreaInfo, nil, id)
	if err != nil {
		return summary.AreaInfo{}, err
	}
	if len(areas) == 0 {
		return summary.AreaInfo{}, fmt.Errorf("postgis: area %q: %w", id, lagesbild.ErrNotFound)
	}
	return areas[0], nil
}

// NewestIncidentDay returns the latest day with an incident the caller may see in the admin
// series: the newest month of admin_month_agg, the day within it from incident
// (admin_newest_day, migrations/00035).
func (db *DB) NewestIncidentDay(ctx context.Context) (time.Time, bool, error) {
	var day *time.Time
	if err := db.scoped(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT admin_newest_day()`).Scan(&day)
	}); err != nil {
		return time.Time{}, false, fmt.Errorf("postgis: newest incident day: %w", translate(err))
	}
	if day == nil {
		return time.Time{}, false, nil
	}
	return *day, true, nil
}

// AreaGroupCounts counts the incidents per area and group of list year in now and before.
func (db *DB) AreaGroupCounts(ctx context.Context, year int, now, before summary.Period) ([]summary.GroupCount, error) {
	return collect(ctx, db, "summary_area_counts", func(row pgx.CollectableRow) (summary.GroupCount, error) {
		var c summary.GroupCount
		err := row.Scan(&c.AreaID, &c.Group, &c.Now, &c.Before)
		return c, err
	}, countArgs(year, now, before)...)
}

func countArgs(year int, now, before summary.Period) []any {
	months, days := newRanges(), newRanges()
	spans(now, true, months, days)
	spans(before, false, months, days)
	return []any{year, months.lo, months.hi, months.now, days.lo, days.hi, days.now}
}

// periodArgs are the arguments of the summary queries over one period: the list year, then the
// month ranges and the day ranges of p.
func periodArgs(year int, p summary.Period) []any {
	months, days := newRanges(), newRanges()
	spans(p, true, months, days)
	return []any{year, months.lo, months.hi, days.lo, days.hi}
}

// KommunGroupCounts counts the exact incidents per kommun and group of the list's kommuner.
func (db *DB) KommunGroupCounts(ctx context.Context, year int, p summary.Period) ([]summary.KommunCount, error) {
	return collect(ctx, db, "summary_kommun_counts", func(row pgx.CollectableRow) (summary.KommunCount, error) {
		var c summary.KommunCount
		err := row.Scan(&c.Kommun, &c.Group, &c.N)
		return c, err
	}, periodArgs(year, p)...)
}

// AreaMonthlyCounts counts the incidents per area (or of part's area), group and month of list year.
func (db *DB) AreaMonthlyCounts(ctx context.Context, year int, part summary.Part, p summary.Period) ([]summary.MonthCount, error) {
	return collect(ctx, db, "summary_monthly", func(row pgx.CollectableRow) (summary.MonthCount, error) {
		var c summary.MonthCount
		err := row.Scan(&c.AreaID, &c.Group, &c.Month, &c.N)
		return c, err
	}, append(periodArgs(year, p), partArea(part))...)
}

// KommunCellCounts returns the whole hot-spot grid of each kommun with an area of list year
// visible to the caller, not clipped to the caller's cell scope (Gi* is computed over the whole
// kommun grid): the res-8 cells with incidents in p and the list's area cells with N = 0. It is
// the SECURITY DEFINER function hotspot_grid of migrations/00016; its counts are Gi*'s input
// only and are never published. Given a Part, the same rows of its kommun only, from
// hotspot_grid_kommun of migrations/00030, which reads that kommun and the few that share a
// cell with it instead of the whole list's.
func (db *DB) KommunCellCounts(ctx context.Context, year int, part summary.Part, p summary.Period) ([]summary.CellCount, error) {
	name, args := "summary_cells", periodArgs(year, p)
	if !part.Whole() {
		name, args = "summary_cells_kommun", append(args, part.Kommun)
	}
	return collect(ctx, db, name, func(row pgx.CollectableRow) (summary.CellCount, error) {
		var c summary.CellCount
		var cell int64
		err := row.Scan(&c.Kommun, &cell, &c.N)
		c.Cell = uint64(cell)
		return c, err
	}, args...)
}

// partArea is the area argument of the summary queries: NULL for the whole list.
func partArea(part summary.Part) any {
	if part.Whole() {
		return nil
	}
	return part.Area
}

// KommunGroupCellCounts returns the incidents per res-8 cell and category group of the whole of
// one kommun in p, for the per-group hot spots of one area: like KommunCellCounts not clipped to
// the caller's cell scope (hotspot_group_cells of migrations/00016), nothing when the caller may
// see no area of the kommun. Unlike the list's queries it reads the daily rows
// of h3_agg (there is no monthly res-8 table per group), so it is asked for one kommun at a
// time, never for a whole list.
func (db *DB) KommunGroupCellCounts(ctx context.Context, kommun string, p summary.Period) ([]summary.GroupCellCount, error) {
	return collect(ctx, db, "summary_group_cells", func(row pgx.CollectableRow) (summary.GroupCellCount, error) {
		var c summary.GroupCellCount
		var cell int64
		err := row.Scan(&cell, &c.Group, &c.N)
		c.Cell = uint64(cell)
		return c, err
	}, kommun, p.From, p.To.AddDate(0, 0, 1))
}

// AreaCells returns the res-8 cells of the areas of list year (or of part's area).
func (db *DB) AreaCells(ctx context.Context, year int, part summary.Part) ([]summary.AreaCell, error) {
	return collect(ctx, db, "summary_area_cells", func(row pgx.CollectableRow) (summary.AreaCell, error) {
		var c summary.AreaCell
		var cell int64
		err := row.Scan(&c.AreaID, &cell)
		c.Cell = uint64(cell)
		return c, err
	}, year, partArea(part))
}

// AreaOffices returns the offices within distanceM metres of the areas of list year (or of part's).
func (db *DB) AreaOffices(ctx context.Context, year int, part summary.Part, distanceM float64) ([]summary.Office, error) {
	return collect(ctx, db, "summary_offices", func(row pgx.CollectableRow) (summary.Office, error) {
		var o summary.Office
		err := row.Scan(&o.AreaID, &o.Agency, &o.StaffedHoursPerWeek)
		return o, err
	}, year, distanceM, partArea(part))
}

// AreaOperations returns the operations on the areas of list year (or on part's area) that started by until.
func (db *DB) AreaOperations(ctx context.Context, year int, part summary.Part, until time.Time) ([]summary.Operation, error) {
	return collect(ctx, db, "summary_operations", func(row pgx.CollectableRow) (summary.Operation, error) {
		var o summary.Operation
		err := row.Scan(&o.AreaID, &o.Agencies, &o.Start, &o.End, &o.PersonHours)
		return o, err
	}, year, until, partArea(part))
}

// AreaProvenance returns the distinct sources and agencies behind the areas' (or part's area's) counts.
func (db *DB) AreaProvenance(ctx context.Context, year int, part summary.Part, p summary.Period) ([]summary.Provenance, error) {
	return collect(ctx, db, "summary_provenance", func(row pgx.CollectableRow) (summary.Provenance, error) {
		var v summary.Provenance
		err := row.Scan(&v.AreaID, &v.Source, &v.Agency)
		return v, err
	}, append(periodArgs(year, p), partArea(part))...)
}

// AreaHistory lists the area's key and its predecessors on every list.
func (db *DB) AreaHistory(ctx context.Context, areaKey string) ([]summary.HistoryEntry, error) {
	return collect(ctx, db, "summary_history", func(row pgx.CollectableRow) (summary.HistoryEntry, error) {
		var h summary.HistoryEntry
		err := row.Scan(&h.Year, &h.AreaID, &h.AreaKey, &h.Name, &h.Class, &h.ClassPolisen)
		return h, err
	}, areaKey)
}
