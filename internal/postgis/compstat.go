package postgis

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/summary"
)

var _ summary.CompStatStore = (*DB)(nil)

// indexedRanges are half-open date ranges tagged with the index of the period they belong to.
type indexedRanges struct {
	lo, hi []time.Time
	i      []int32
}

func (r *indexedRanges) from(src *ranges, i int) {
	r.lo = append(r.lo, src.lo...)
	r.hi = append(r.hi, src.hi...)
	for range src.lo {
		r.i = append(r.i, int32(i))
	}
}

// periodRanges splits every period into whole months and remaining days (spans), tagged with
// the period's index.
func periodRanges(periods []summary.Period) (months, days indexedRanges) {
	months = indexedRanges{lo: []time.Time{}, hi: []time.Time{}, i: []int32{}}
	days = indexedRanges{lo: []time.Time{}, hi: []time.Time{}, i: []int32{}}
	for i, p := range periods {
		m, d := newRanges(), newRanges()
		spans(p, true, m, d)
		months.from(m, i)
		days.from(d, i)
	}
	return months, days
}

// CompStatUnit returns the area, kommun or lokalpolisområde (with areas on list year) to
// compare. The names and codes are reference data; the counts (PeriodGroupCounts) are read as
// the caller.
func (db *DB) CompStatUnit(ctx context.Context, level, id string, year int) (summary.Unit, error) {
	u := summary.Unit{Level: level, ID: id}
	var lpo *string
	var err error
	switch level {
	case summary.LevelArea:
		u.Counts = "exact"
		err = db.pool.QueryRow(ctx, `SELECT name, set_year, kommun_code, region_code, lpo_code FROM area WHERE id = $1`, id).
			Scan(&u.Name, &u.Set, &u.KommunCode, &u.RegionCode, &lpo)
		if lpo != nil {
			u.LPOCodes = []string{*lpo}
		}
	case summary.LevelKommun:
		u.Counts = "all"
		u.KommunCode = id
		err = db.pool.QueryRow(ctx, `SELECT k.name, l.region_code,
				array(SELECT DISTINCT a.lpo_code FROM area a WHERE a.kommun_code = k.code AND a.lpo_code IS NOT NULL ORDER BY 1)
			FROM kommun k JOIN lan l ON l.code = k.lan_code WHERE k.code = $1`, id).Scan(&u.Name, &u.RegionCode, &u.LPOCodes)
	case summary.LevelLPO:
		u.Counts, u.Set, u.LPOCodes = "exact", year, []string{id}
		err = db.pool.QueryRow(ctx, `SELECT name, region_code FROM lokalpolisomrade o
			WHERE code = $1 AND EXISTS (SELECT 1 FROM area a WHERE a.set_year = $2 AND a.lpo_code = o.code)`, id, year).
			Scan(&u.Name, &u.RegionCode)
	default:
		return u, lagesbild.Invalid("level", "%q is not area, kommun or lpo", level)
	}
	if err != nil {
		return u, fmt.Errorf("postgis: compstat unit %s %s: %w", level, id, translate(err))
	}
	return u, nil
}

// PeriodGroupCounts counts the unit's incidents per group in each period, as the caller.
func (db *DB) PeriodGroupCounts(ctx context.Context, u summary.Unit, periods []summary.Period) ([]summary.PeriodCount, error) {
	months, days := periodRanges(periods)
	scan := func(row pgx.CollectableRow) (summary.PeriodCount, error) {
		var c summary.PeriodCount
		err := row.Scan(&c.Period, &c.Group, &c.N)
		return c, err
	}
	switch u.Level {
	case summary.LevelArea, summary.LevelLPO:
		var area, lpo *string
		if u.Level == summary.LevelArea {
			area = &u.ID
		} else {
			lpo = &u.ID
		}
		return collect(ctx, db, "compstat_area_counts", scan, u.Set, area, lpo,
			months.lo, months.hi, months.i, days.lo, days.hi, days.i)
	case summary.LevelKommun:
		return collect(ctx, db, "compstat_kommun_counts", scan, u.ID, months.lo, months.hi, months.i, days.lo, days.hi, days.i)
	}
	return nil, lagesbild.Invalid("level", "%q is not area, kommun or lpo", u.Level)
}
