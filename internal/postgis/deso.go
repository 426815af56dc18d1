package postgis

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// DesoSource is the source of the populations ImportDesoBoundaries estimates; a re-import
// replaces only rows of this source, never a population imported from an area file.
const DesoSource = "scb-deso"

// DesoMethod describes how ImportDesoBoundaries estimates an area's residents.
const DesoMethod = "area-weighted overlay: SCB DeSO 2018 boundaries × SCB folkmängd 2023-12-31 per DeSO, " +
	"each DeSO's residents spread evenly over its surface"

// MinDesoCoverage is the share of an area's surface the DeSO polygons of a file must cover
// for the area to get an estimate: an area at the edge of a partial file would otherwise get
// the residents of only the part that is covered.
const MinDesoCoverage = 0.98

// DesoPolygon is one DeSO's boundary in WGS84, with the line of the file it came from.
type DesoPolygon struct {
	Code    string
	Line    int
	Polygon orb.MultiPolygon
}

// DesoReport is the result of ImportDesoBoundaries.
type DesoReport struct {
	lagesbild.ImportReport
	// Estimated are the areas covered whole, which got an estimate (inserted, updated or
	// unchanged); Partial the areas the file covers only in part, which got none; Kept the
	// areas with a population from another import (lagesbild import population), which a
	// DeSO estimate does not replace.
	Estimated, Partial, Kept []string
}

// ImportDesoBoundaries estimates the residents of every area the DeSO polygons cover whole by
// an area-weighted overlay with the bundled DeSO population and stores them as estimated, with
// DesoMethod, in one transaction: a file with a bad feature (a code that is not one of SCB's
// 5,984 DeSO codes of the bundled statistics, a polygon without area) changes nothing and every
// such feature is named. The polygons themselves are not kept. Importing the same file again
// changes nothing.
func (db *DB) ImportDesoBoundaries(ctx context.Context, file string, desos []DesoPolygon) (DesoReport, error) {
	rep := DesoReport{ImportReport: lagesbild.ImportReport{Read: len(desos), PerPrecision: map[lagesbild.Precision]int{}, UnknownTypes: map[string]int{}}}
	var rejects lagesbild.Rejects
	rows := make([][]any, 0, len(desos))
	for _, d := range desos {
		b, err := wkb.Marshal(d.Polygon)
		if err != nil {
			return rep, fmt.Errorf("postgis: import deso %s: line %d: %w", file, d.Line, err)
		}
		rows = append(rows, []any{d.Line, d.Code, b})
	}
	errInvalid := errors.New("rejected")
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE stage_deso (line int, code text, polygon bytea) ON COMMIT DROP`); err != nil {
			return translate(err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_deso"}, []string{"line", "code", "polygon"}, pgx.CopyFromRows(rows)); err != nil {
			return translate(err)
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE stage_deso_geom ON COMMIT DROP AS
			SELECT line, code, geom, ST_Area(geom) AS area_m2 FROM (
				SELECT line, code, ST_Multi(ST_CollectionExtract(ST_MakeValid(
					ST_Transform(ST_SetSRID(ST_GeomFromWKB(polygon), 4326), 3006)), 3)) AS geom
				FROM stage_deso) s`); err != nil {
			return translate(err)
		}
		if err := collectRejects(ctx, tx, `SELECT line, 'deso', format('%s is not a DeSO code of SCB''s DeSO 2018 division (the bundled population has 5,984)', code)
			FROM stage_deso_geom s WHERE NOT EXISTS (SELECT 1 FROM deso d WHERE d.code = s.code)
			UNION ALL
			SELECT line, 'geometry', format('the polygon of %s has no area', code) FROM stage_deso_geom WHERE NOT (area_m2 > 0)
			ORDER BY 1`, file, &rejects); err != nil {
			return err
		}
		rejects.Fill(&rep.ImportReport)
		if rep.Rejected > 0 {
			return errInvalid
		}
		if _, err := tx.Exec(ctx, `CREATE INDEX ON stage_deso_geom USING gist (geom)`); err != nil {
			return translate(err)
		}
		if _, err := tx.Exec(ctx, `ANALYZE stage_deso_geom`); err != nil {
			return translate(err)
		}
		r, err := tx.Query(ctx, query("deso_overlay"))
		if err != nil {
			return translate(err)
		}
		type estimate struct {
			ID         string
			Population int
			Covered    float64
		}
		ests, err := pgx.CollectRows(r, pgx.RowToStructByPos[estimate])
		if err != nil {
			return translate(err)
		}
		var ids []string
		var pops []int32
		for _, e := range ests {
			if e.Covered < MinDesoCoverage {
				rep.Partial = append(rep.Partial, e.ID)
				continue
			}
			ids = append(ids, e.ID)
			pops = append(pops, int32(e.Population))
		}
		// Areas with a population of another source keep it.
		kept, err := tx.Query(ctx, `SELECT area_id FROM area_population WHERE area_id = ANY($1) AND source <> $2 ORDER BY area_id`, ids, DesoSource)
		if err != nil {
			return translate(err)
		}
		if rep.Kept, err = pgx.CollectRows(kept, pgx.RowTo[string]); err != nil {
			return translate(err)
		}
		w, err := tx.Query(ctx, `INSERT INTO area_population AS p (area_id, population, estimated, method, source)
			SELECT id, pop, true, $3, $4 FROM unnest($1::text[], $2::int[]) AS u (id, pop)
			ON CONFLICT (area_id) DO UPDATE SET population = EXCLUDED.population, estimated = true,
				method = EXCLUDED.method, source = EXCLUDED.source
			WHERE p.source = EXCLUDED.source
			  AND (p.population, p.estimated, p.method) IS DISTINCT FROM (EXCLUDED.population, true, EXCLUDED.method)
			RETURNING (xmax = 0)`, ids, pops, DesoMethod, DesoSource)
		if err != nil {
			return translate(err)
		}
		ins, err := pgx.CollectRows(w, pgx.RowTo[bool])
		if err != nil {
			return translate(err)
		}
		for _, i := range ins {
			if i {
				rep.Inserted++
			} else {
				rep.Updated++
			}
		}
		for _, id := range ids {
			if !slices.Contains(rep.Kept, id) {
				rep.Estimated = append(rep.Estimated, id)
			}
		}
		rep.Unchanged = len(rep.Estimated) - rep.Inserted - rep.Updated
		if err := bumpVersionIf(ctx, tx, rep.Inserted+rep.Updated > 0, &rep.DataVersion); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO import_log (kind, file, report) VALUES ('population', $1, $2)`, file, rep)
		return translate(err)
	})
	if errors.Is(err, errInvalid) {
		return rep, fmt.Errorf("postgis: import deso %s: %d features rejected, nothing stored: %w", file, rep.Rejected, lagesbild.ErrInvalid)
	}
	if err != nil {
		return rep, fmt.Errorf("postgis: import deso %s: %w", file, err)
	}
	return rep, nil
}
