package postgis

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// ImportPresence stores offices and operations of one file in one transaction. Records the
// database cannot place (a point outside Sweden, an unknown area id) reject the whole file.
func (db *DB) ImportPresence(ctx context.Context, file string, offices []lagesbild.Office, ops []lagesbild.Operation) (lagesbild.ImportReport, error) {
	release, err := db.importSlot()
	if err != nil {
		return lagesbild.ImportReport{}, err
	}
	defer release()
	rep := lagesbild.ImportReport{Read: len(offices) + len(ops), PerPrecision: map[lagesbild.Precision]int{}, UnknownTypes: map[string]int{}}
	var rejects lagesbild.Rejects
	errInvalid := errors.New("rejected")
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := beginImport(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, query("presence_stage")); err != nil {
			return translate(err)
		}
		var orows, prows [][]any
		for _, o := range offices {
			orows = append(orows, []any{o.Line, o.Source, o.SourceID, o.Agency, o.Name, o.StaffedHoursPerWeek, o.Point[0], o.Point[1]})
		}
		for _, p := range ops {
			var poly []byte
			if len(p.Polygon) > 0 {
				var err error
				if poly, err = wkb.Marshal(p.Polygon); err != nil {
					return err
				}
			}
			prows = append(prows, []any{p.Line, p.Source, p.SourceID, p.Name, nullable(p.AreaID), p.Agencies,
				p.Start, p.End, p.PersonHours, nullable(p.SamverkanID), poly})
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_office"}, []string{"line", "source", "source_id", "agency", "name", "staffed_hours_per_week", "lon", "lat"}, pgx.CopyFromRows(orows)); err != nil {
			return translate(err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_operation"}, []string{"line", "source", "source_id", "name", "area_id", "agencies", "starts_on", "ends_on", "person_hours", "samverkan_id", "polygon"}, pgx.CopyFromRows(prows)); err != nil {
			return translate(err)
		}
		if err := collectRejects(ctx, tx, query("presence_rejects"), file, &rejects); err != nil {
			return err
		}
		rejects.Fill(&rep)
		if rep.Rejected > 0 {
			return errInvalid
		}
		rows, err := tx.Query(ctx, query("presence_write"))
		if err != nil {
			return fmt.Errorf("write: %w", translate(err))
		}
		for rows.Next() {
			var inserted bool
			if err := rows.Scan(&inserted); err != nil {
				rows.Close()
				return translate(err)
			}
			if inserted {
				rep.Inserted++
			} else {
				rep.Updated++
			}
		}
		if err := rows.Err(); err != nil {
			return translate(err)
		}
		rep.Unchanged = rep.Read - rep.Inserted - rep.Updated
		if err := bumpVersionIf(ctx, tx, rep.Inserted+rep.Updated > 0, &rep.DataVersion); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO import_log (kind, file, report) VALUES ('presence', $1, $2)`, file, rep)
		return translate(err)
	})
	if errors.Is(err, errInvalid) {
		return rep, fmt.Errorf("postgis: import %s: %d records rejected, nothing stored: %w", file, rep.Rejected, lagesbild.ErrInvalid)
	}
	if err != nil {
		return rep, fmt.Errorf("postgis: import presence %s: %w", file, err)
	}
	return rep, nil
}

// ImportAreaPopulation replaces the residents per area given in one file, in one transaction.
func (db *DB) ImportAreaPopulation(ctx context.Context, file string, pops []lagesbild.AreaPopulation) (lagesbild.ImportReport, error) {
	rep := lagesbild.ImportReport{Read: len(pops), PerPrecision: map[lagesbild.Precision]int{}, UnknownTypes: map[string]int{}}
	var rejects lagesbild.Rejects
	var rows [][]any
	for _, p := range pops {
		rows = append(rows, []any{p.Line, p.AreaID, p.Population, p.Estimated, p.Method, p.Source})
	}
	errInvalid := errors.New("rejected")
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE stage_population (line int, area_id text, population int, estimated bool, method text, source text) ON COMMIT DROP`); err != nil {
			return translate(err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_population"}, []string{"line", "area_id", "population", "estimated", "method", "source"}, pgx.CopyFromRows(rows)); err != nil {
			return translate(err)
		}
		if err := collectRejects(ctx, tx, `SELECT line, 'area_id', format('%s is not an area id (see /api/v1/areas)', area_id)
			FROM stage_population s WHERE NOT EXISTS (SELECT 1 FROM area a WHERE a.id = s.area_id) ORDER BY line`, file, &rejects); err != nil {
			return err
		}
		rejects.Fill(&rep)
		if rep.Rejected > 0 {
			return errInvalid
		}
		r, err := tx.Query(ctx, `INSERT INTO area_population AS p (area_id, population, estimated, method, source)
			SELECT DISTINCT ON (area_id) area_id, population, estimated, method, source FROM stage_population ORDER BY area_id, line DESC
			ON CONFLICT (area_id) DO UPDATE SET population = EXCLUDED.population, estimated = EXCLUDED.estimated,
				method = EXCLUDED.method, source = EXCLUDED.source
			WHERE (p.population, p.estimated, p.method, p.source) IS DISTINCT FROM (EXCLUDED.population, EXCLUDED.estimated, EXCLUDED.method, EXCLUDED.source)
			RETURNING (xmax = 0)`)
		if err != nil {
			return translate(err)
		}
		ins, err := pgx.CollectRows(r, pgx.RowTo[bool])
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
		rep.Unchanged = rep.Read - rep.Inserted - rep.Updated
		if err := bumpVersionIf(ctx, tx, rep.Inserted+rep.Updated > 0, &rep.DataVersion); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO import_log (kind, file, report) VALUES ('population', $1, $2)`, file, rep)
		return translate(err)
	})
	if errors.Is(err, errInvalid) {
		return rep, fmt.Errorf("postgis: import %s: %d records rejected, nothing stored: %w", file, rep.Rejected, lagesbild.ErrInvalid)
	}
	if err != nil {
		return rep, fmt.Errorf("postgis: import population %s: %w", file, err)
	}
	return rep, nil
}
