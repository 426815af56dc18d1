package postgis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// AreaSets lists the police lists with their area counts per class.
func (db *DB) AreaSets(ctx context.Context) ([]lagesbild.AreaSet, error) {
	// Counts are of the areas the caller may see.
	sets, err := collect(ctx, db, "area_sets", func(row pgx.CollectableRow) (lagesbild.AreaSet, error) {
		var s lagesbild.AreaSet
		var u, r, su int
		err := row.Scan(&s.Year, &s.Label, &s.Published, &s.GeometryOfficial, &s.Note, &s.AreaCount, &u, &r, &su)
		s.ClassCounts = map[lagesbild.AreaClass]int{lagesbild.ClassUtsatt: u, lagesbild.ClassRisk: r, lagesbild.ClassSarskiltUtsatt: su}
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: area sets: %w", translate(err))
	}
	return sets, nil
}

// Areas returns the areas of one list year; ErrNotFound when the year is not a list.
func (db *DB) Areas(ctx context.Context, year int) ([]lagesbild.Area, error) {
	areas, err := db.areas(ctx, &year, nil)
	if err != nil {
		return nil, fmt.Errorf("postgis: areas of %d: %w", year, err)
	}
	if len(areas) == 0 {
		var exists bool
		if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM area_set WHERE year = $1)`, year).Scan(&exists); err != nil {
			return nil, fmt.Errorf("postgis: areas of %d: %w", year, translate(err))
		}
		if !exists {
			return nil, fmt.Errorf("postgis: list %d: %w", year, lagesbild.ErrNotFound)
		}
	}
	return areas, nil
}

// Area returns one area by its id.
func (db *DB) Area(ctx context.Context, id string) (lagesbild.Area, error) {
	areas, err := db.areas(ctx, nil, &id)
	if err != nil {
		return lagesbild.Area{}, fmt.Errorf("postgis: area %q: %w", id, err)
	}
	if len(areas) == 0 {
		return lagesbild.Area{}, fmt.Errorf("postgis: area %q: %w", id, lagesbild.ErrNotFound)
	}
	return areas[0], nil
}

func (db *DB) areas(ctx context.Context, year *int, id *string) ([]lagesbild.Area, error) {
	return collect(ctx, db, "areas", func(row pgx.CollectableRow) (lagesbild.Area, error) {
		var a lagesbild.Area
		var class string
		var from, until *time.Time
		var geom string
		var keys, kinds []string
		err := row.Scan(&a.ID, &a.AreaKey, &a.Set, &a.Name, &class, &a.ClassPolisen, &a.Ort,
			&a.KommunCode, &a.KommunName, &a.LanCode, &a.RegionCode, &a.RegionName,
			&a.PolisomradeCode, &a.PolisomradeName, &a.LPOCode, &a.LPOName, &a.LPOSourceYear,
			&from, &until, &a.GeometryOfficial, &a.GeometrySource, &a.Source, &a.AreaM2, &geom,
			&a.LabelPoint[0], &a.LabelPoint[1], &a.Bounds[0], &a.Bounds[1], &a.Bounds[2], &a.Bounds[3], &keys, &kinds)
		for i := range keys {
			a.Predecessors = append(a.Predecessors, lagesbild.AreaPredecessor{Key: keys[i], Kind: kinds[i]})
		}
		a.Class, a.ClassifiedFrom, a.ClassifiedUntil, a.Geometry = lagesbild.AreaClass(class), from, until, json.RawMessage(geom)
		return a, err
	}, year, id)
}

// Boundaries returns every kommun, län or police region, simplified to toleranceM metres.
func (db *DB) Boundaries(ctx context.Context, kind lagesbild.BoundaryKind, toleranceM float64) ([]lagesbild.Boundary, error) {
	out, err := collect(ctx, db, "boundaries", func(row pgx.CollectableRow) (lagesbild.Boundary, error) {
		b := lagesbild.Boundary{Kind: kind}
		var geom string
		err := row.Scan(&b.Code, &b.Name, &b.ParentCode, &b.Population, &geom, &b.LabelPoint[0], &b.LabelPoint[1])
		b.Geometry = json.RawMessage(geom)
		return b, err
	}, string(kind), toleranceM)
	if err != nil {
		return nil, fmt.Errorf("postgis: %s boundaries: %w", kind, translate(err))
	}
	return out, nil
}

// AreaScope returns the region and lokalpolisområde of an area (as the owner: the police lists
// are public, and the answer is used to refuse, never to show).
func (db *DB) AreaScope(ctx context.Context, id string) (regionCode, lpoCode string, err error) {
	var lpo *string
	err = db.pool.QueryRow(ctx, `SELECT region_code, lpo_code FROM area WHERE id = $1`, id).Scan(&regionCode, &lpo)
	if err != nil {
		return "", "", fmt.Errorf("postgis: area %q: %w", id, translate(err))
	}
	if lpo != nil {
		lpoCode = *lpo
	}
	return regionCode, lpoCode, nil
}

// AreaScopes returns the region and lokalpolisområde of every area of a list (as the owner, like
// AreaScope).
func (db *DB) AreaScopes(ctx context.Context, year int) (map[string]lagesbild.AreaScopeColumns, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, region_code, coalesce(lpo_code, '') FROM area WHERE set_year = $1`, year)
	if err != nil {
		return nil, fmt.Errorf("postgis: area scopes of %d: %w", year, translate(err))
	}
	out := map[string]lagesbild.AreaScopeColumns{}
	var id string
	var c lagesbild.AreaScopeColumns
	_, err = pgx.ForEachRow(rows, []any{&id, &c.RegionCode, &c.LPOCode}, func() error {
		out[id] = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: area scopes of %d: %w", year, translate(err))
	}
	return out, nil
}
